"""From viewers to customers: what the rooms' viewers do becomes CRM writes, through the CRM outbox.

* **Contacts.** A viewer who asks, gives or buys is upserted once per visit by their account
  (``"douyin:123"``); an order that carries the buyer's email adds it, so the CRM links their accounts.
* **Visit notes.** One note per visit with the questions (intent, product, text), gifts and orders
  (:mod:`.visits`), written once the visit is over or the room's show ends.
* **Leads from intent.** A question whose intent is in ``lead_intents`` about a known product opens a lead
  (a deal at stage ``lead``) written ``lead_after_s`` later unless the viewer orders that product meanwhile
  (then it is withdrawn, never sent); an order after the lead was written closes it (stage ``won``).
* **Deals from orders.** Each order line is a deal (stage ``won``; ``refunded`` when refunded).
* **Consent.** Nothing about a viewer is written unless the merchant's policy allows it for the room's
  platform and region (:class:`~.settings.ConsentPolicy`); a refused consent always stops it.
* **Tenants.** A room's viewers go only to the CRMs of the room's tenant (hub/tenants.py): a tenant's rooms to
  the CRM connectors it names, the operator's rooms to those no tenant names; consent is the tenant's record.

Every write has a key derived from the event, so a redelivered event or a replay writes nothing twice, and
everything waits in the database (a restart loses nothing: an open visit is found again in the outbox). The
work runs in one owned task fed by a queue: the room's answering never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from hub.crm import CrmConnector
from hub.decisions import Question
from hub.events import Event, Gift, LiveState, Order, StreamState
from hub.interfaces import AnswerQueue
from hub.storage import people_store
from hub.tenants import OPERATOR, tenant_of_connector, tenant_of_room
from plugins.customers.settings import CustomerRoomSettings, CustomersSettings
from plugins.customers.visits import RoomCustomers, Visit, account_of, lead_key, note_prefix

log = logging.getLogger("livehub.customers")

QUEUE_MAX = 100_000


class CustomerService:
    """See the module docstring."""

    def __init__(self, hub: Any, settings: CustomersSettings) -> None:
        self.hub = hub
        self.settings = settings
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(QUEUE_MAX)
        self._subscription: Any = None
        self._task: asyncio.Task[None] | None = None
        self._consent: dict[tuple[str, str], tuple[float, str]] = {}
        self.skipped = 0

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        self.hub.slots.set(CustomerService, self)
        queue = self.hub.slots.get(AnswerQueue)
        if queue is not None:
            queue.on_question.append(self._question)
        self._subscription = self.hub.bus.subscribe("customers", self._event, maxsize=50_000,
                                                    types=("order", "gift", "stream_state", "live_state"))
        self._task = self.hub.create_task(self._work(), name="customers:crm-writes")

    async def stop(self) -> None:
        queue = self.hub.slots.get(AnswerQueue)
        if queue is not None and self._question in queue.on_question:
            queue.on_question.remove(self._question)
        if self._subscription is not None:
            await self.hub.bus.unsubscribe(self._subscription, timeout=2.0)
            self._subscription = None
        if self._task is not None:
            try:  # what is queued is stored before the CRM connectors stop
                async with asyncio.timeout(5.0):
                    await self._queue.join()
            except TimeoutError:
                log.warning("customers: %d room events not written to the CRM outbox at shutdown",
                            self._queue.qsize())
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def crms(self, room: str = "") -> list[CrmConnector]:
        """The CRM connectors ``room``'s viewers are written to: its tenant's (``[plugins.customers] crms``
        narrows them)."""
        wanted, config = self.settings.crms, self.hub.config
        tenant = tenant_of_room(config, room)
        return [c for c in self.hub.connectors.values() if isinstance(c, CrmConnector)
                and (wanted is None or c.name in wanted) and tenant_of_connector(config, c.name) == tenant]

    # -- intake (never blocks the room) ---------------------------------------------------------------

    def _question(self, room: str, question: Question) -> None:
        self._put(("question", (room, question)))

    async def _event(self, event: Event) -> None:
        self._put(("event", event))

    def _put(self, item: tuple[str, Any]) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.skipped += 1
            log.warning("customers: the CRM write queue is full; a room event was not written")

    @property
    def idle(self) -> bool:
        """Every room event taken so far is in the CRM outbox."""
        return self._queue.empty() and self._queue._unfinished_tasks == 0  # type: ignore[attr-defined]

    async def _work(self) -> None:
        while True:
            kind, item = await self._queue.get()
            try:
                if kind == "question":
                    await self.on_question(*item)
                else:
                    await self.on_event(item)
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad event never stops the others
                log.exception("customers: a room event could not be written to the CRM outbox")
            finally:
                self._queue.task_done()

    # -- what becomes a CRM write -----------------------------------------------------------------------

    async def on_question(self, room: str, q: Question) -> None:
        if not self.crms(room):
            return
        account = account_of(q.platform, q.user.id)
        if not await self._allowed(room, q.platform, account):
            return
        await self._touch(room, account, q.user.name, q.event_id, "questions",
                          {"intent": q.intent, "sku": q.sku, "text": q.text[:500], "at": round(time.time(), 3)})
        state = self._room(room)
        if q.intent in self.settings.lead_intents and q.sku and (account, q.sku) not in state.bought:
            key = lead_key(room, account, q.sku)
            fields = {"title": f"{self._product(room, q.sku)}: lead from live room {room}", "stage": "lead",
                      "sku": q.sku, "room": room, "intent": q.intent, "question": q.text[:500]}
            due = time.time() + self.settings.lead_after_s
            for crm in self.crms(room):
                await crm.upsert_deal(key, account, fields, key=f"{key}:open", due_ts=due)

    async def on_event(self, event: Event) -> None:
        if not self.crms(event.room or ""):
            return
        if isinstance(event, (StreamState, LiveState)):
            ended = event.state == "ended" and (isinstance(event, LiveState) or event.output == "show")
            if ended and event.room:
                await self.show_ended(event.room)
            return
        if event.user is None or not event.room:
            return
        account = account_of(event.platform, event.user.id)
        if not await self._allowed(event.room, event.platform, account):
            return
        if isinstance(event, Gift):
            await self._touch(event.room, account, event.user.name, event.id, "gifts",
                              {"gift": event.gift, "count": event.count,
                               "value": str(event.value) if event.value is not None else None})
        elif isinstance(event, Order):
            await self._order(event, account)

    async def _order(self, order: Order, account: str) -> None:
        room = order.room
        amount = str(order.amount) if order.amount is not None else None
        await self._touch(room, account, order.user.name if order.user else "", order.id, "orders",
                          {"order_id": order.order_id, "sku": order.sku, "qty": order.qty, "amount": amount,
                           "currency": order.currency, "status": order.status})
        refunded = order.status == "refunded"
        deal = f"order:{order.order_id}:{order.sku}"
        fields = {"title": f"Order {order.order_id}: {order.qty} x {self._product(room, order.sku)}",
                  "stage": "refunded" if refunded else "won", "amount": amount, "currency": order.currency,
                  "sku": order.sku, "qty": order.qty, "room": room}
        lead = lead_key(room, account, order.sku)
        if not refunded:
            self._room(room).bought.add((account, order.sku))
        for crm in self.crms(room):
            if order.email:
                await crm.upsert_contact(account, {"email": order.email}, key=f"email:{account}:{order.email}")
            await crm.upsert_deal(deal, account, fields, key=f"{deal}:{'refunded' if refunded else 'won'}")
            if refunded or await crm.cancel(f"{lead}:open"):
                continue  # the lead was waiting: withdrawn, never sent
            opened = await crm.stored(f"{lead}:open")
            if opened is not None and opened["state"] in ("pending", "sent"):
                await crm.upsert_deal(lead, account, {"stage": "won", "order_id": order.order_id, "room": room},
                                      key=f"{lead}:won")

    async def show_ended(self, room: str) -> None:
        """The room's show ended: its visits are over, their notes go now."""
        self._room(room).visits.clear()
        for crm in self.crms(room):
            await crm.release(note_prefix(room))

    # -- visits -------------------------------------------------------------------------------------------

    async def _touch(self, room: str, account: str, name: str, event_id: str, kind: str,
                     line: dict[str, Any]) -> None:
        state = self._room(room)
        crms = self.crms(room)
        visit = state.visits.get(account)
        if visit is None:  # after a restart: the visit's note still waiting in the outbox
            found = await crms[0].waiting(note_prefix(room, account))
            if found is not None:
                visit = Visit(found["key"], dict(found["payload"]))
        due = time.time() + self.settings.note_after_s
        if visit is not None:
            visit.add(kind, line)
            if all([await crm.amend(visit.key, visit.payload, due) for crm in crms]):
                state.visits[account] = visit
                return
        visit = Visit.start(room, account, name, event_id)  # a new visit: the contact, and its note
        visit.add(kind, line)
        state.visits[account] = visit
        for crm in crms:
            await crm.upsert_contact(account, {"name": name} if name else {}, key=f"contact:{visit.key}")
            await crm.enqueue("add_note", visit.payload, key=visit.key, due_ts=due)

    # -- helpers -------------------------------------------------------------------------------------------

    def _room(self, room: str) -> RoomCustomers:
        target = self.hub.rooms.get(room)
        if target is None:
            return RoomCustomers()  # an event for no configured room: nothing kept
        return target.slots.setdefault(RoomCustomers, RoomCustomers)

    def _product(self, room: str, sku: str) -> str:
        try:
            catalog = self.hub.catalog(room)
        except Exception:  # noqa: BLE001 - no shop for the room: the SKU names it
            return sku
        product = catalog.by_sku(sku) if catalog is not None else None
        return product.name if product is not None else sku

    async def _allowed(self, room: str, platform: str, account: str) -> bool:
        target = self.hub.rooms.get(room)
        region = target.settings(CustomerRoomSettings).region if target is not None else ""
        need = self.settings.consent.requirement(platform, region)
        if need == "none":
            return self._skip()
        now = time.monotonic()
        tenant = tenant_of_room(self.hub.config, room) or OPERATOR
        cached = self._consent.get((tenant, account))
        if cached is None or now - cached[0] > self.settings.consent_cache_s:
            cached = (now, await people_store.consent_of(self.hub.storage, account, tenant=tenant))
            self._consent[(tenant, account)] = cached
            if len(self._consent) > 100_000:
                self._consent.clear()
        consent = cached[1]
        if consent == "refused" or (need == "granted" and consent != "granted"):
            return self._skip()
        return True

    def _skip(self) -> bool:
        self.skipped += 1
        from prometheus_client import Counter

        self.hub.metric(Counter, "livehub_crm_skipped", "Viewer activity not sent to CRMs for want of consent",
                        []).inc()
        return False
