"""CRMs: the CRM connector contract, and the base that owns the outbox.

A CRM connector (the built-in CRM, HubSpot, Salesforce) subclasses :class:`CrmConnector` and implements one
method, :meth:`CrmConnector.send`: make one write in the CRM and return what it answered (its record id); a
CRM with batch endpoints may also say which writes go together (:meth:`CrmConnector.batchable`) and make
them in one request (:meth:`CrmConnector.send_batch`). Everything else lives here, written
once:

* **The outbox.** Features never call the CRM. They call :meth:`CrmConnector.upsert_contact`,
  :meth:`~CrmConnector.add_note` or :meth:`~CrmConnector.upsert_deal`, which *store* the write in the hub's
  database (table ``crm_outbox``, :mod:`hub.storage.outbox_store`) with an idempotency key and return at
  once: a CRM that is down never slows a room. The same key is stored once, so a write asked twice (a
  redelivered event, a replay) is made once.
* **Delivery, at least once.** One owned loop (the connector's ``run``) sends the pending writes in the order
  they were stored. A write the CRM refuses for good (:class:`CrmRejected`: a validation error) is marked
  ``failed`` with the CRM's message and the next one goes; any other error (an outage, a 429) leaves it
  ``pending`` with its attempt counted and the connector ``retrying`` with capped jittered backoff
  (:class:`hub.connector.Connector`); a refused credential stops it in ``auth_failed``. Pending writes survive
  restarts: a new hub delivers them. The CRM sees each write's key (``write.key``) to make a redelivery
  harmless where its API allows.
* **Visible.** ``GET /api/v1/crm/outbox`` (:mod:`hub.builtin.crm_api`) lists writes and counts per state;
  ``livehub_crm_outbox{connector,state}`` and ``livehub_crm_writes_total{connector,outcome}`` are in /metrics;
  the connector's status carries its counts. See docs/crm.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from hub.connector import Connector
from hub.errors import AuthFailed
from hub.storage import outbox_store

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.crm")

__all__ = ["CrmConnector", "CrmWrite", "CrmRejected", "OPERATIONS"]

OPERATIONS = ("upsert_contact", "add_note", "upsert_deal")
"""The writes every CRM connector makes (``CrmWrite.op``)."""


class CrmRejected(Exception):
    """The CRM refused this write for good (a validation error): it is marked ``failed``, never retried.
    ``fields`` names the fields the CRM blamed, when it says."""

    def __init__(self, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or []


@dataclass(frozen=True, slots=True)
class CrmWrite:
    """One write to make: ``op`` (one of :data:`OPERATIONS`) with its ``payload``; ``key`` is its idempotency
    key; ``attempts`` how many times it was tried before."""

    id: int
    key: str
    op: str
    payload: dict[str, Any]
    attempts: int = 0


class CrmConnector(Connector):
    """Base of every CRM connector. One abstract method: :meth:`send`."""

    kind: ClassVar[str] = "crm"
    batch: ClassVar[int] = 50
    """Pending writes read from the outbox at a time (and handed to :meth:`send_many`)."""
    linger_s: ClassVar[float] = 0.05
    """How long the loop, woken by a new write, waits for more before reading the outbox (batches fill)."""
    auth_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    """The client's exceptions that mean refused credentials: the connector stops in ``auth_failed``."""

    def __init__(self, name: str, config: Any, hub: Hub) -> None:
        super().__init__(name, config, hub)
        self._client: Any = None  # the wire client (client.py), made at first use: see make_client
        self._wake = asyncio.Event()
        self.counts: dict[str, int] = {state: 0 for state in outbox_store.STATES}
        self._counting = asyncio.Lock()  # a write stored while the counts are read is counted exactly once

    # -- what a subclass provides -----------------------------------------------------------------

    async def send(self, write: CrmWrite) -> dict[str, Any]:
        """Make ``write`` in the CRM; return what it answered (e.g. ``{"id": "<its record id>"}``). Raise
        :class:`CrmRejected` for a write it refuses for good, :class:`hub.errors.AuthFailed` for refused
        credentials, anything else to be retried."""
        raise NotImplementedError

    async def segment(self, name: str) -> list[dict[str, Any]]:
        """The members of the CRM's segment ``name`` now (each ``id``, ``name``, ``email``, ``consent``,
        ``accounts``): the audience of a feature that addresses one. Raises LookupError for no such segment,
        NotImplementedError for a CRM whose segments the hub does not read (the built-in CRM reads its own)."""
        raise NotImplementedError(f"the {self.name} CRM's segments are not read by the hub")

    # -- what features call (never waits on the CRM) ----------------------------------------------

    async def upsert_contact(self, external_key: str, fields: dict[str, Any], *, key: str | None = None,
                             due_ts: float | None = None) -> bool:
        """Create or update the contact known by ``external_key`` (e.g. ``"douyin:123"`` or an email)."""
        return await self.enqueue("upsert_contact", {"external_key": external_key, "fields": fields}, key=key,
                                  due_ts=due_ts)

    async def add_note(self, external_key: str, text: str, *, key: str | None = None, due_ts: float | None = None,
                       **extra: Any) -> bool:
        """Add an activity/note to that contact."""
        return await self.enqueue("add_note", {"external_key": external_key, "text": text, **extra}, key=key,
                                  due_ts=due_ts)

    async def upsert_deal(self, deal_key: str, external_key: str, fields: dict[str, Any], *,
                          key: str | None = None, due_ts: float | None = None) -> bool:
        """Create or update the lead/deal ``deal_key`` of that contact."""
        return await self.enqueue("upsert_deal", {"deal_key": deal_key, "external_key": external_key,
                                                  "fields": fields}, key=key, due_ts=due_ts)

    async def enqueue(self, op: str, payload: dict[str, Any], *, key: str | None = None,
                      due_ts: float | None = None) -> bool:
        """Store a write for delivery; False when one with the same key is stored already. ``key`` defaults
        to a digest of the operation and payload (the same write asked twice is the same key). A write with
        ``due_ts`` (wall-clock seconds) waits until then, and until then may be withdrawn (:meth:`cancel`) or
        amended (:meth:`amend`)."""
        if op not in OPERATIONS:
            raise ValueError(f"unknown CRM operation {op!r} (one of {', '.join(OPERATIONS)})")
        if key is None:
            body = json.dumps([op, payload], sort_keys=True, default=str, ensure_ascii=False)
            key = hashlib.sha256(body.encode()).hexdigest()
        async with self._counting:
            stored = await outbox_store.enqueue(self.hub.storage, self.name, key, op, payload, due_ts)
            if stored:
                self.counts["pending"] += 1
        if stored:
            self._gauge()
            self._wake.set()
        return stored

    async def cancel(self, key: str) -> bool:
        """Withdraw the write ``key`` while it waits for its due time; False when it is due, sent or unknown."""
        async with self._counting:
            withdrawn = await outbox_store.cancel(self.hub.storage, self.name, key)
            if withdrawn:
                self.counts["pending"] = max(0, self.counts["pending"] - 1)
                self.counts["cancelled"] += 1
        if withdrawn:
            self._gauge()
        return withdrawn

    async def amend(self, key: str, payload: dict[str, Any], due_ts: float) -> bool:
        """Replace the payload and due time of the write ``key`` while it waits; False when it is due, sent or
        unknown (then store a new write)."""
        amended = await outbox_store.amend(self.hub.storage, self.name, key, payload, due_ts)
        if amended:
            self._wake.set()
        return amended

    async def waiting(self, prefix: str) -> dict[str, Any] | None:
        """The newest waiting write whose key starts with ``prefix`` (``key``, ``payload``, ``due_ts``), or None."""
        return await outbox_store.waiting(self.hub.storage, self.name, prefix)

    async def release(self, prefix: str) -> int:
        """Make the waiting writes whose key starts with ``prefix`` due now (a show ended); how many."""
        released = await outbox_store.release(self.hub.storage, self.name, prefix)
        if released:
            self._wake.set()
        return released

    async def stored(self, key: str) -> dict[str, Any] | None:
        """The write ``key`` as stored (``state``, ``payload``, ``due_ts``), or None."""
        return await outbox_store.payload_of(self.hub.storage, self.name, key)

    # -- delivery (owned by Connector.supervise) ------------------------------------------------------

    async def run(self) -> None:
        await self._refresh_counts()
        try:
            while True:
                self._wake.clear()  # before reading: a write stored meanwhile wakes the wait below
                rows = await outbox_store.pending(self.hub.storage, self.name, self.batch)
                if not rows:
                    self.set_ready()  # nothing due: ready (after an outage, only once a write went through)
                    due = await outbox_store.next_due(self.hub.storage, self.name)
                    wait = None if due is None else max(0.0, due - time.time()) + 0.01
                    try:
                        async with asyncio.timeout(wait):
                            await self._wake.wait()
                        await asyncio.sleep(self.linger_s)  # writes stored together go together
                    except TimeoutError:
                        pass  # a waiting write fell due
                    continue
                await self._deliver([CrmWrite(r["id"], r["key"], r["op"], r["payload"], r["attempts"]) for r in rows])
                self.set_ready()  # the CRM answered (logs the recovery after an outage)
        except self.auth_errors as exc:
            raise AuthFailed(f"{self.name}: {exc}") from None
        finally:
            await self.close()  # a subclass opens its client again on the next run

    async def send_many(self, writes: list[CrmWrite]) -> list[Any]:
        """Make ``writes`` in order and return one outcome per write made: what the CRM answered (a dict), the
        :class:`CrmRejected` refusing it, or the error that stopped the run (any other exception, last: the
        writes after it are not made). Writes that :meth:`batchable` groups go together through
        :meth:`send_batch`; the others one by one through :meth:`send`."""
        out: list[Any] = []
        i = 0
        while i < len(writes):
            n = self.batchable(writes, i)
            outcomes = await (self.send_batch(writes[i:i + n]) if n >= 2 else self.send_each(writes[i:i + 1]))
            out += outcomes
            if any(isinstance(o, Exception) and not isinstance(o, CrmRejected) for o in outcomes):
                return out
            i += n if n >= 2 else 1
        return out

    def batchable(self, writes: list[CrmWrite], start: int) -> int:
        """How many writes from ``start`` on go in one request (below 2: ``writes[start]`` goes alone). A
        connector whose CRM has batch endpoints overrides this and :meth:`send_batch`."""
        return 0

    async def send_batch(self, writes: list[CrmWrite]) -> list[Any]:
        """Make a group :meth:`batchable` formed in one request; outcomes as :meth:`send_many`'s."""
        return await self.send_each(writes)

    async def send_each(self, writes: list[CrmWrite]) -> list[Any]:
        """Make ``writes`` one by one with :meth:`send`; outcomes as :meth:`send_many`'s."""
        out: list[Any] = []
        for write in writes:
            try:
                out.append(await self.send(write))
            except CrmRejected as exc:
                out.append(exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - handed to the base, which retries or stops
                out.append(exc)
                break
        return out

    def make_client(self) -> Any:
        """The CRM's wire client (its ``client.py``), made at first use of :attr:`client` and closed by
        :meth:`close`; optional (a CRM without one never asks for :attr:`client`)."""
        raise NotImplementedError(f"{type(self).__name__} has no wire client")

    @property
    def client(self) -> Any:
        """The wire client, made once (:meth:`make_client`) and again after :meth:`close`."""
        if self._client is None:
            self._client = self.make_client()
        return self._client

    async def close(self) -> None:
        """Close what :meth:`send` opened (the wire client's HTTP session); called when the delivery loop ends
        or retries. A subclass that opens more closes it too and calls this."""
        client, self._client = self._client, None
        if client is not None and (close := getattr(client, "close", None)) is not None:
            await close()

    async def _deliver(self, writes: list[CrmWrite]) -> None:
        storage = self.hub.storage
        outcomes = await self.send_many(writes)
        for write, outcome in zip(writes, outcomes, strict=False):
            if isinstance(outcome, CrmRejected):
                reason = f"{outcome}" + (f" (fields: {', '.join(outcome.fields)})" if outcome.fields else "")
                await outbox_store.mark(storage, write.id, state="failed", error=reason)
                self._moved("failed", "rejected")
                log.warning("crm %s: %s %s refused: %s", self.name, write.op, write.key[:16], reason)
            elif isinstance(outcome, BaseException):  # an outage: pending, counted; the supervisor backs off
                await outbox_store.mark(storage, write.id, state="pending",
                                        error=f"{type(outcome).__name__}: {outcome}")
                self._count("retried")
                raise outcome
            else:
                await outbox_store.mark(storage, write.id, state="sent",
                                        result=outcome if isinstance(outcome, dict) else None)
                self._moved("sent", "sent")

    # -- counts and metrics ------------------------------------------------------------------------

    async def _refresh_counts(self) -> None:
        async with self._counting:
            self.counts = await outbox_store.counts(self.hub.storage, self.name)
        self._gauge()

    def _moved(self, state: str, outcome: str) -> None:
        self.counts["pending"] = max(0, self.counts["pending"] - 1)
        self.counts[state] += 1
        self._gauge()
        self._count(outcome)

    def _count(self, outcome: str) -> None:
        metric = getattr(self.hub, "metric", None)
        if metric is not None:
            from prometheus_client import Counter

            metric(Counter, "livehub_crm_writes", "CRM writes delivered, refused or retried",
                   ["connector", "outcome"]).labels(self.name, outcome).inc()

    def _gauge(self) -> None:
        metric = getattr(self.hub, "metric", None)
        if metric is not None:
            from prometheus_client import Gauge

            gauge = metric(Gauge, "livehub_crm_outbox", "CRM writes in the outbox by state", ["connector", "state"])
            for state, n in self.counts.items():
                gauge.labels(self.name, state).set(n)

    def status(self) -> dict[str, Any]:
        out = super().status()
        out["outbox"] = dict(self.counts)
        return out
