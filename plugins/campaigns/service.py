"""Running a campaign: for each product × segment × channel × content kind, the content generator makes the
variants (or, for the same product facts, segment, channel and template, the variants an earlier run made are
taken again: generated once), every piece is reviewed by the guardrails with the catalog of now, and goes to
``approved`` (approval ``auto``), ``awaiting_approval`` (``manual``) or ``blocked`` with the reasons. Each run
is a record (``campaign_runs``) with its counts, and audited.

Approving an item reviews it again against the catalog of the moment: a price that changed since the item
was made blocks it (run the campaign again to regenerate it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from hub.catalog import Product
from hub.errors import BackendError
from hub.outbound import ContentGenerator, ContentPiece, ContentRequest
from hub.review import ReviewContext, review_output
from plugins.campaigns import store
from plugins.campaigns.model import Campaign

log = logging.getLogger("livehub.campaigns")


class CampaignError(Exception):
    """A campaign that cannot run: no such campaign, no shop, no generator for a kind; the message says."""


_NOT_PIECE_DATA = frozenset({"subject", "body", "source", "price", "product", "link", "llm_calls", "llm_tokens"})
"""Keys of an item's content that are not its piece's own data (videos, cover, ...) when it is reused."""


def _fingerprint(product: Product) -> dict[str, Any]:
    """What of a product the copy is made from: a change here makes new copy."""
    return {"sku": product.sku, "name": product.name, "price": str(product.price),
            "promo": None if product.promo_price is None else str(product.promo_price),
            "points": list(product.selling_points), "link": product.link}


class CampaignService:
    """Runs campaigns and decides on their items (see the module docstring)."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self._generators: dict[str, ContentGenerator] = {}

    async def aclose(self) -> None:
        generators, self._generators = list(self._generators.values()), {}
        for generator in generators:
            await generator.aclose()

    def generator(self, kind: str) -> ContentGenerator:
        """The content generator of ``kind``: ``[backends.content] default`` when it makes that kind, else the
        first registered that does."""
        if kind in self._generators:
            return self._generators[kind]
        from hub.media.backends import build_backend

        choice = self.hub.settings.backend_choice.get("content")
        names = [n for k, n in self.hub.registry.backends if k == "content"]
        if choice is not None and choice.default in names:
            names.remove(choice.default)
            names.insert(0, choice.default)
        for name in names:
            built = build_backend(self.hub, "content", name)
            if isinstance(built, ContentGenerator) and built.kind == kind:
                self._generators[kind] = built
                return built
        raise CampaignError(f"no content generator makes {kind!r} (content backends: {', '.join(names) or 'none'})")

    async def _products(self, campaign: Campaign, catalog: Any) -> tuple[list[Product], list[str]]:
        if campaign.rule == "next_show":
            campaign = campaign.model_copy(update={"products": await self._next_show_skus(campaign)})
        elif campaign.rule == "all":
            return list(catalog.products), []
        if campaign.rule == "low_stock":
            return [p for p in catalog.products if p.stock is not None and 0 < p.stock < campaign.low_stock_below], []
        if campaign.rule == "on_promotion":
            return [p for p in catalog.products if p.promo_price is not None], []
        found = [catalog.by_sku(sku) for sku in dict.fromkeys(campaign.products)]
        missing = [sku for sku, p in zip(dict.fromkeys(campaign.products), found, strict=True) if p is None]
        return [p for p in found if p is not None], missing

    async def _next_show_skus(self, campaign: Campaign) -> list[str]:
        """The SKUs of the next scheduled ``show.start`` (of the campaign's room, if it names one)."""
        from hub.interfaces import ShowControl

        control, scheduler = self.hub.slots.get(ShowControl), self.hub.scheduler
        if control is None or scheduler is None:
            raise CampaignError("rule next_show needs the show runner and the scheduler")
        room = (campaign.before_show.room if campaign.before_show is not None else None) or campaign.room
        for schedule in await scheduler.list():  # soonest first
            args = schedule.get("args") or {}
            if schedule.get("job_type") != "show.start" or not args.get("show"):
                continue
            try:
                rundown = await control.rundown(args["show"])
            except Exception:
                continue  # a schedule of a show deleted since
            if room is None or (args.get("room") or rundown.room) == room:
                return [segment.sku for segment in rundown.segments]
        raise CampaignError("rule next_show: no show is scheduled" + (f" on room {room!r}" if room else ""))

    async def run(self, name: str, trigger: str) -> dict[str, Any]:
        """Run campaign ``name``; the run's record (id, status, counts)."""
        storage = self.hub.storage
        row = await store.get(storage, name)
        if row is None:
            raise CampaignError(f"no campaign {name!r}")
        campaign = Campaign.model_validate(row["definition"])
        room = campaign.room  # None: the hub's default shop
        run_id = await store.start_run(storage, name, trigger)
        counts = {"generated": 0, "reused": 0, "approved": 0, "awaiting_approval": 0, "blocked": 0,
                  "unknown_products": 0, "llm_calls": 0, "llm_tokens": 0}
        try:
            catalog = self.hub.catalog(room)
            if catalog is None or not catalog.products:
                raise CampaignError(f"no catalog for room {room!r}" if room else "no shop catalog loaded")
            products, unknown = await self._products(campaign, catalog)
            counts["unknown_products"] = len(unknown)
            locale = campaign.locale or (catalog.shop.locale if catalog.shop is not None else "zh-CN")
            for product in products:
                for segment in campaign.segments:
                    for channel in campaign.channels:
                        for kind in campaign.kinds:
                            await self._make(run_id, name, campaign, catalog, product, segment, channel, kind,
                                             locale, room, counts)
        except (CampaignError, BackendError) as exc:
            await store.finish_run(storage, run_id, "failed", counts, str(exc))
            await storage.audit(actor=trigger, action="campaign.run", target=name, tenant=storage.tenant_of(room or ""),
                                detail={"run": run_id, "status": "failed", "error": str(exc)[:500], **counts})
            return {"id": run_id, "status": "failed", "error": str(exc), "counts": counts}
        await store.finish_run(storage, run_id, "done", counts)
        await storage.audit(actor=trigger, action="campaign.run", target=name, detail={"run": run_id, **counts},
                            tenant=storage.tenant_of(room or ""))  # the campaign's tenant: its room's
        return {"id": run_id, "status": "done", "counts": counts}

    async def _make(self, run_id: int, name: str, campaign: Campaign, catalog: Any, product: Product, segment: str,
                    channel: str, kind: str, locale: str, room: str | None, counts: dict[str, int]) -> None:
        generator = self.generator(kind)
        link = campaign.link.replace("{sku}", product.sku)  # put in for {link} when an item is sent
        request = ContentRequest(name, product, catalog.shop, segment, channel, locale, campaign.variants)
        key = hashlib.sha256(json.dumps([kind, generator.name, generator.config.model_dump() if generator.config
                                         else None, _fingerprint(product), segment, channel, locale, campaign.variants,
                                         link, await generator.edition(request)],
                                        sort_keys=True, default=str).encode()).hexdigest()
        earlier = await store.made_before(self.hub.storage, key)
        if earlier:
            pieces = [ContentPiece(i["variant"], i["content"].get("subject", ""), i["content"].get("body", ""),
                                   i["content"].get("source", ""),
                                   {k: v for k, v in i["content"].items() if k not in _NOT_PIECE_DATA})
                      for i in earlier]
            counts["reused"] += len(pieces)
        else:
            pieces = await generator.make(request)
            counts["generated"] += len(pieces)
            for piece in pieces:  # what writing them cost (a reused piece cost nothing)
                counts["llm_calls"] += int(piece.data.get("llm_calls", 0))
                counts["llm_tokens"] += int(piece.data.get("llm_tokens", 0))
        for piece in pieces:
            subject, body, reasons = await self.review(piece.subject, piece.body, catalog, product, locale, room)
            if piece.data.get("blocked"):  # the generator's own review stopped it (a video never rendered)
                reasons = [*piece.data["blocked"], *reasons]
            blocked = body is None or subject is None or bool(piece.data.get("blocked"))
            state = "blocked" if blocked else ("approved" if campaign.approval == "auto" else "awaiting_approval")
            counts[state] += 1
            content = {"subject": piece.subject if subject is None else subject,
                       "body": piece.body if body is None else body, "source": piece.source, **piece.data,
                       "price": str(product.current_price), "product": product.name, "link": link}
            await store.add_item(self.hub.storage, run_id=run_id, campaign=name, cache_key=key, kind=kind,
                                 channel=channel, sku=product.sku, segment=segment, variant=piece.variant,
                                 content=content, state=state, reasons=reasons,
                                 decided_by="auto" if state == "approved" else None)

    async def review(self, subject: str, body: str, catalog: Any, product: Product, locale: str,
                     room: str | None) -> tuple[str | None, str | None, list[str]]:
        """The subject and body as the guardrails let them go (None: blocked), and every reason given."""
        context = ReviewContext(channel="chat", kind="campaign", locale=locale, room=room or "", source="campaign",
                                catalog=catalog, stage_sku=product.sku, skus=[product.sku])
        reasons: list[str] = []
        out: list[str | None] = []
        for text in (subject, body):
            if not text:
                out.append(text)
                continue
            outcome = await review_output(self.hub, text, context)
            reasons += outcome.reasons
            out.append(outcome.text)
        return out[0], out[1], reasons

    async def decide(self, item_id: int, approve: bool, by: str) -> dict[str, Any]:
        """Approve (reviewed again against the catalog of now) or reject an item awaiting approval."""
        storage = self.hub.storage
        item = await store.item(storage, item_id)
        if item is None:
            raise CampaignError(f"no campaign item {item_id}")
        if item["state"] != "awaiting_approval":
            raise CampaignError(f"item {item_id} is {item['state']}, not awaiting approval")
        if not approve:
            await store.decide(storage, item_id, "rejected", by)
        else:
            reasons = await self.recheck(item)
            await store.decide(storage, item_id, "blocked" if reasons else "approved", by, reasons or None)
        owner = await store.get(storage, item["campaign"])
        await storage.audit(actor=by, action="campaign.item." + ("approve" if approve else "reject"),
                            target=item["campaign"], detail={"item": item_id},
                            tenant=storage.tenant_of((owner or {}).get("definition", {}).get("room") or ""))
        return await store.item(storage, item_id) or {}

    async def recheck(self, item: dict[str, Any]) -> list[str]:
        """Why the item may not go now (empty: it may): its product gone or repriced, or the guardrails."""
        row = await store.get(self.hub.storage, item["campaign"])
        campaign = Campaign.model_validate(row["definition"]) if row is not None else None
        room = campaign.room if campaign is not None else None
        catalog = self.hub.catalog(room)
        product = catalog.by_sku(item["sku"]) if catalog is not None else None
        if product is None:
            return [f"product {item['sku']} is no longer in the catalog"]
        was = item["content"].get("price")
        if was is not None and str(product.current_price) != was:
            return [f"price changed since the item was made ({was} → {product.current_price}): run the campaign "
                    "again to regenerate it"]
        locale = catalog.shop.locale if catalog.shop is not None else "zh-CN"
        subject, body, reasons = await self.review(item["content"].get("subject", ""),
                                                   item["content"].get("body", ""), catalog, product, locale, room)
        return reasons if subject is None or body is None else []
