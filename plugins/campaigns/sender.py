"""Sending a campaign: the approved items of its latest run go to the people of their segment through the
configured channel of their kind, once each.

Before an item goes it is reviewed again against the catalog of now (a changed price blocks it). Each person
gets one variant (chosen by their id, so the same person always sees the same one), one message per product,
segment, channel and content kind of the run (a delivery row with a unique key is stored *before* sending: a send repeated
after a crash or a restart sends nothing twice), with their own tracked link (``/r/<token>``: the click is
counted, then the reader goes on) and unsubscribe link (``/u/<token>``). A person who unsubscribed (consent
``refused``) never gets a message; with ``[plugins.campaigns] consent = "granted"`` only people who said yes do.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import time
from typing import Any

import sqlalchemy as sa

from hub.crm import CrmConnector
from hub.outbound import LINK
from hub.outbound_channels import Channel, ChannelDeferred, ChannelRejected, OutboundMessage
from hub.storage import people_store
from hub.storage.tables import campaign_deliveries, campaign_items
from hub.tenants import OPERATOR, tenant_of_connector, tenant_of_room


def _variant(person: int, variants: list[dict[str, Any]]) -> dict[str, Any]:
    digest = hashlib.sha256(str(person).encode()).digest()
    return variants[digest[0] % len(variants)]


class CampaignSender:
    def __init__(self, hub: Any, service: Any, *, consent: str = "any", public_url: str = "") -> None:
        self.hub, self.service = hub, service
        self.consent, self.public_url = consent, public_url
        self._channels: dict[str, Channel | None] = {}

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        web = self.hub.config.web
        return f"http://{web.host}:{getattr(self.hub.web, 'port', web.port)}"

    def channel(self, kind: str) -> Channel | None:
        """The configured channel (``[backends.channel.<name>]``) that carries ``kind``, or None."""
        if kind not in self._channels:
            from hub.media.backends import build_backend

            found = None
            for backend_kind, name in self.hub.settings.backends:
                if backend_kind != "channel":
                    continue
                built = build_backend(self.hub, "channel", name)
                if isinstance(built, Channel) and built.kind == kind:
                    found = built
                    break
            self._channels[kind] = found
        return self._channels[kind]

    async def audience(self, segment: str, tenant: str | None = None) -> list[dict[str, Any]]:
        """The people of ``segment`` ("" everyone) from the CRM that reads segments (the built-in one), of the
        campaign's ``tenant`` (the tenant of the campaign's room, hub/tenants.py; None: the operator's): a
        campaign addresses its tenant's people and CRMs only."""
        if not segment:
            return await people_store.list_people(self.hub.storage, limit=1_000_000, tenant=tenant or OPERATOR)
        for crm in self.hub.connectors.values():
            if isinstance(crm, CrmConnector) and tenant_of_connector(self.hub.config, crm.name) == tenant:
                try:
                    return await crm.segment(segment)
                except NotImplementedError:
                    continue
        raise LookupError(f"no CRM reads the segment {segment!r}")

    async def send(self, campaign: str, actor: str = "api") -> dict[str, int]:
        from plugins.campaigns import store

        storage = self.hub.storage
        counts = {"sent": 0, "already_sent": 0, "unsubscribed": 0, "no_address": 0, "failed": 0, "deferred": 0,
                  "blocked_items": 0, "no_channel": 0}
        async with storage.engine.connect() as conn:
            run = (await conn.execute(sa.select(sa.func.max(campaign_items.c.run_id))
                                      .where(campaign_items.c.campaign == campaign))).scalar()
        approved = await store.items(storage, campaign=campaign, run_id=run, state="approved", limit=100_000) \
            if run is not None else []
        row = await store.get(storage, campaign)
        room = (row or {}).get("definition", {}).get("room")
        tenant = tenant_of_room(self.hub.config, room) if room else None
        groups: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}  # (sku, segment, channel, content kind)
        for item in approved:
            reasons = await self.service.recheck(item)
            if reasons:
                await store.decide(storage, item["id"], "blocked", "send", reasons)
                counts["blocked_items"] += 1
                continue
            groups.setdefault((item["sku"], item["segment"], item["channel"], item["kind"]), []).append(item)
        for (sku, segment, kind, content_kind), variants in groups.items():
            channel = self.channel(kind)
            if channel is None:
                counts["no_channel"] += len(variants)
                continue
            if not channel.per_person:  # each variant once (a bundle for manual upload)
                for n, item in enumerate(variants):
                    await self._one(campaign, run, sku, segment, channel, {"id": 0, "consent": "granted"},
                                    [item], counts, suffix=f":{content_kind}:{n}")
                continue
            for person in await self.audience(segment, tenant):
                await self._one(campaign, run, sku, segment, channel, person, variants, counts,
                                suffix=f":{content_kind}")
        await storage.audit(actor=actor, action="campaign.send", target=campaign, detail={"run": run, **counts},
                            tenant=tenant)
        return counts

    async def _one(self, campaign: str, run: int, sku: str, segment: str, channel: Channel,
                   person: dict[str, Any], variants: list[dict[str, Any]], counts: dict[str, int],
                   suffix: str = "") -> None:
        if person.get("consent") == "refused" or (self.consent == "granted" and person.get("consent") != "granted"):
            counts["unsubscribed"] += 1
            return
        accounts = person.get("accounts") or []
        address = {"email": person.get("email"), "crm": person.get("email") or (accounts[0] if accounts else None)
                   }.get(channel.address, str(person["id"])) if channel.per_person else "bundle"
        if not address:
            counts["no_address"] += 1
            return
        item = _variant(int(person["id"]), variants)
        key = f"{campaign}:{run}:{sku}:{segment}:{channel.kind}:{person['id']}{suffix}"
        delivery = await self._delivery(key, item, campaign, int(person["id"]), channel.kind)
        if delivery["state"] == "sent":
            counts["already_sent"] += 1
            return
        base = self.base_url()
        link = f"{base}/r/{delivery['token']}"
        unsubscribe = f"{base}/u/{delivery['token']}" if channel.per_person else ""  # a public post: nobody's
        content = item["content"]
        body = content.get("body", "")
        videos = content.get("videos") or {}
        watch = f"{base}/v/{delivery['token']}" if videos else ""  # a video is a link, never an attachment
        text = body.replace(LINK, link) + (f"\nWatch: {watch}" if watch else "") \
            + (f"\n\nUnsubscribe: {unsubscribe}\n" if unsubscribe else "")
        page = html.escape(body).replace("\n", "<br>\n").replace(html.escape(LINK), f'<a href="{link}">{link}</a>')
        leave = f'<p style="font-size:small"><a href="{unsubscribe}">Unsubscribe</a></p>' if unsubscribe else ""
        video = f'<p><a href="{watch}">Watch the video</a></p>' if watch else ""
        markup = f"<html><body><p>{page}</p>{video}{leave}</body></html>"
        message = OutboundMessage(key, address, content.get("subject", ""), text, markup, link, unsubscribe,
                                  {"campaign": campaign, "run": run, "item": item["id"], "variant": item["variant"],
                                   "sku": sku, "segment": segment, "person": person["id"], "watch": watch,
                                   "media": [*videos.values(),
                                             *(content[k] for k in ("cover", "captions") if content.get(k))]})
        try:
            await channel.send(message)
        except ChannelDeferred as exc:
            await self._mark(delivery["id"], "deferred", str(exc))
            counts["deferred"] += 1
        except ChannelRejected as exc:
            await self._mark(delivery["id"], "failed", str(exc))
            counts["failed"] += 1
        except Exception as exc:  # noqa: BLE001 - tried again by the next send
            await self._mark(delivery["id"], "failed", f"{type(exc).__name__}: {exc}")
            counts["failed"] += 1
        else:
            await self._mark(delivery["id"], "sent", "")
            counts["sent"] += 1

    async def _delivery(self, key: str, item: dict[str, Any], campaign: str, person: int, kind: str
                        ) -> dict[str, Any]:
        """The delivery row of ``key``, stored (pending) before anything is sent."""
        async with self.hub.storage.engine.begin() as conn:
            row = (await conn.execute(sa.select(campaign_deliveries).where(campaign_deliveries.c.key == key))).first()
            if row is None:
                await conn.execute(campaign_deliveries.insert().values(
                    item_id=item["id"], campaign=campaign, person_id=person, channel=kind, key=key,
                    token=secrets.token_urlsafe(18), link=item["content"].get("link", ""), state="pending",
                    error="", clicks=0, created_ts=time.time()))
                row = (await conn.execute(sa.select(campaign_deliveries)
                                          .where(campaign_deliveries.c.key == key))).one()
        return dict(row._mapping)

    async def _mark(self, delivery: int, state: str, error: str) -> None:
        values: dict[str, Any] = {"state": state, "error": error[:1000]}
        if state == "sent":
            values["sent_ts"] = time.time()
        async with self.hub.storage.engine.begin() as conn:
            await conn.execute(campaign_deliveries.update().where(campaign_deliveries.c.id == delivery)
                               .values(**values))
