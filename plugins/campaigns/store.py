"""Campaigns, runs and items in the hub's database (tables ``campaigns``, ``campaign_runs``,
``campaign_items``)."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from hub.storage.tables import campaign_items, campaign_runs, campaigns


async def save(storage: Any, name: str, definition: dict[str, Any]) -> None:
    now = time.time()
    async with storage.engine.begin() as conn:
        done = await conn.execute(campaigns.update().where(campaigns.c.name == name)
                                  .values(definition=definition, updated_ts=now))
        if not done.rowcount:
            await conn.execute(campaigns.insert().values(name=name, definition=definition, created_ts=now,
                                                         updated_ts=now))


async def get(storage: Any, name: str) -> dict[str, Any] | None:
    async with storage.engine.connect() as conn:
        row = (await conn.execute(sa.select(campaigns).where(campaigns.c.name == name))).first()
    return dict(row._mapping) if row is not None else None


async def listed(storage: Any) -> list[dict[str, Any]]:
    async with storage.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(sa.select(campaigns).order_by(campaigns.c.name))]


async def delete(storage: Any, name: str) -> bool:
    async with storage.engine.begin() as conn:
        return bool((await conn.execute(campaigns.delete().where(campaigns.c.name == name))).rowcount)


async def start_run(storage: Any, campaign: str, trigger: str) -> int:
    async with storage.engine.begin() as conn:
        row = await conn.execute(campaign_runs.insert().values(campaign=campaign, trigger=trigger, status="running",
                                                               error="", started_ts=time.time()))
        return int(row.inserted_primary_key[0])


async def finish_run(storage: Any, run_id: int, status: str, counts: dict[str, int], error: str = "") -> None:
    async with storage.engine.begin() as conn:
        await conn.execute(campaign_runs.update().where(campaign_runs.c.id == run_id).values(
            status=status, counts=counts, error=error[:2000], finished_ts=time.time()))


async def runs(storage: Any, campaign: str, limit: int = 50) -> list[dict[str, Any]]:
    query = (sa.select(campaign_runs).where(campaign_runs.c.campaign == campaign)
             .order_by(campaign_runs.c.id.desc()).limit(limit))
    async with storage.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(query)]


async def triggers(storage: Any, campaign: str) -> set[str]:
    """The triggers of the campaign's runs so far (a before-show plan's run says which plan)."""
    query = sa.select(campaign_runs.c.trigger).where(campaign_runs.c.campaign == campaign).distinct()
    async with storage.engine.connect() as conn:
        return {str(t) for (t,) in await conn.execute(query)}


async def made_before(storage: Any, cache_key: str) -> list[dict[str, Any]]:
    """The items of the newest earlier run that made ``cache_key`` (its variants), oldest variant first."""
    async with storage.engine.connect() as conn:
        run = (await conn.execute(sa.select(sa.func.max(campaign_items.c.run_id))
                                  .where(campaign_items.c.cache_key == cache_key))).scalar()
        if run is None:
            return []
        query = (sa.select(campaign_items).where(campaign_items.c.cache_key == cache_key,
                                                 campaign_items.c.run_id == run).order_by(campaign_items.c.id))
        return [dict(r._mapping) for r in await conn.execute(query)]


async def add_item(storage: Any, **values: Any) -> int:
    async with storage.engine.begin() as conn:
        row = await conn.execute(campaign_items.insert().values(created_ts=time.time(), **values))
        return int(row.inserted_primary_key[0])


async def items(storage: Any, *, campaign: str | None = None, run_id: int | None = None, state: str | None = None,
                limit: int = 200) -> list[dict[str, Any]]:
    query = sa.select(campaign_items).order_by(campaign_items.c.id).limit(limit)
    if campaign is not None:
        query = query.where(campaign_items.c.campaign == campaign)
    if run_id is not None:
        query = query.where(campaign_items.c.run_id == run_id)
    if state is not None:
        query = query.where(campaign_items.c.state == state)
    async with storage.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(query)]


async def item(storage: Any, item_id: int) -> dict[str, Any] | None:
    async with storage.engine.connect() as conn:
        row = (await conn.execute(sa.select(campaign_items).where(campaign_items.c.id == item_id))).first()
    return dict(row._mapping) if row is not None else None


async def decide(storage: Any, item_id: int, state: str, by: str, reasons: list[str] | None = None) -> None:
    values: dict[str, Any] = {"state": state, "decided_by": by, "decided_ts": time.time()}
    if reasons is not None:
        values["reasons"] = reasons
    async with storage.engine.begin() as conn:
        await conn.execute(campaign_items.update().where(campaign_items.c.id == item_id).values(**values))
