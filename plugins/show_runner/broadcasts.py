"""Shows on air, in the ``broadcasts`` table: what lets a show survive a hub restart.

A show that starts gets a row (``status`` "live", ``started_ts``, ``data`` with the show's name, who started
it and its end time ``ends_ts`` if it has one). It is marked "ended" when the show ends or is stopped,
never when the hub merely shuts down, so on the next start every "live" row whose window is still open
(no end time, or one in the future) is resumed for the time that is left, and rows whose end passed
while the hub was down are closed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.storage.tables import broadcasts


@dataclass(frozen=True, slots=True)
class OnAir:
    """A broadcast row still marked live."""

    id: int
    room: str
    show: str
    ends_ts: float | None
    actor: str
    started_ts: float | None = None  # when the show began: a resumed show goes on where the schedule says

    def remaining_s(self, now: float) -> float | None:
        return None if self.ends_ts is None else self.ends_ts - now


async def record_start(hub: Any, room: str, show: str, *, ends_ts: float | None, actor: str) -> int | None:
    """Insert the live row of a starting show; its id (None without storage)."""
    if hub.storage is None:
        return None
    data = {"show": show, "ends_ts": ends_ts, "actor": actor}
    async with hub.storage.engine.begin() as conn:
        result = await conn.execute(broadcasts.insert().values(room=room, title=show, status="live",
                                                               started_ts=time.time(), data=data))
        return int(result.inserted_primary_key[0])


async def record_end(hub: Any, broadcast_id: int | None, reason: str) -> bool:
    """Mark the broadcast ended (once); False if it was not live."""
    if hub.storage is None or broadcast_id is None:
        return False
    async with hub.storage.engine.begin() as conn:
        row = (await conn.execute(sa.select(broadcasts.c.status, broadcasts.c.data)
                                  .where(broadcasts.c.id == broadcast_id))).first()
        if row is None or row.status != "live":
            return False
        data = {**(row.data or {}), "end_reason": reason}
        await conn.execute(broadcasts.update().where(broadcasts.c.id == broadcast_id)
                           .values(status="ended", ended_ts=time.time(), data=data))
    return True


async def live_rows(hub: Any) -> list[OnAir]:
    """Every broadcast still marked live, oldest first."""
    if hub.storage is None:
        return []
    query = sa.select(broadcasts.c.id, broadcasts.c.room, broadcasts.c.title, broadcasts.c.data,
                      broadcasts.c.started_ts) \
        .where(broadcasts.c.status == "live").order_by(broadcasts.c.id)
    async with hub.storage.engine.connect() as conn:
        rows = list(await conn.execute(query))
    found = []
    for row in rows:
        data = row.data or {}
        ends = data.get("ends_ts")
        found.append(OnAir(int(row.id), row.room, str(data.get("show") or row.title),
                           float(ends) if isinstance(ends, int | float) else None, str(data.get("actor", "")),
                           None if row.started_ts is None else float(row.started_ts)))
    return found
