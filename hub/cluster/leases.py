"""Room leases and cluster members in the hub's database (PostgreSQL in a cluster; SQLite works for one machine).

A **lease** says which process runs a room until ``expires_ts``. Taking a room is one conditional ``UPDATE``
(free, or its lease expired), so two processes can never both succeed: the database's row lock (PostgreSQL) or
write lock (SQLite) orders them. Every acquisition raises the room's **fencing token**; renewing and releasing
name the token held, so a process that paused past its lease (a long GC, a frozen VM) finds its renewal refused
and stops the room instead of running it beside the new owner.

Times are the processes' wall clocks (``time.time()``): machines keep them in step with NTP, and the lease
(6 s by default) is far longer than the skew NTP leaves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hub.storage.tables import cluster_nodes, room_leases


@dataclass(frozen=True, slots=True)
class Lease:
    room: str
    owner: str | None
    token: int
    acquired_ts: float
    expires_ts: float

    def free(self, now: float) -> bool:
        return self.owner is None or self.expires_ts <= now


class LeaseStore:
    """The SQL of leases and members (one per hub; the engine is the hub's storage engine)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    async def ensure_rooms(self, rooms: list[str]) -> None:
        """A free lease row for every room that has none yet."""
        async with self.engine.connect() as conn:
            known = {r for (r,) in await conn.execute(sa.select(room_leases.c.room))}
        for room in rooms:
            if room in known:
                continue
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(room_leases.insert().values(room=room, owner=None, token=0, acquired_ts=0.0,
                                                                   expires_ts=0.0))
            except IntegrityError:
                pass  # another process added it meanwhile

    async def acquire(self, room: str, node: str, ttl: float) -> int | None:
        """Take ``room`` for ``node`` if it is free or its lease expired; the new fencing token, or None."""
        now = time.time()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                room_leases.update()
                .where(room_leases.c.room == room,
                       sa.or_(room_leases.c.owner.is_(None), room_leases.c.expires_ts <= now))
                .values(owner=node, token=room_leases.c.token + 1, acquired_ts=now, expires_ts=now + ttl))
            if result.rowcount != 1:
                return None
            return int((await conn.execute(sa.select(room_leases.c.token)
                                           .where(room_leases.c.room == room))).scalar_one())

    async def renew(self, room: str, node: str, token: int, ttl: float) -> float | None:
        """Extend the lease ``node`` holds with ``token``; its new expiry, or None when it is no longer held."""
        expires = time.time() + ttl
        async with self.engine.begin() as conn:
            result = await conn.execute(
                room_leases.update()
                .where(room_leases.c.room == room, room_leases.c.owner == node, room_leases.c.token == token)
                .values(expires_ts=expires))
        return expires if result.rowcount == 1 else None

    async def release(self, room: str, node: str, token: int) -> bool:
        """Give ``room`` up at once (another process may take it at its next look)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                room_leases.update()
                .where(room_leases.c.room == room, room_leases.c.owner == node, room_leases.c.token == token)
                .values(owner=None, expires_ts=0.0))
        return result.rowcount == 1

    async def leases(self) -> list[Lease]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(room_leases).order_by(room_leases.c.room))
            return [Lease(r.room, r.owner, int(r.token), float(r.acquired_ts), float(r.expires_ts)) for r in rows]

    # -- members ----------------------------------------------------------------------------------------------

    async def heartbeat(self, node: str, **values: Any) -> bool:
        """Write ``node``'s row (added at its first beat); whether an operator asked it to drain."""
        now = time.time()
        async with self.engine.begin() as conn:
            result = await conn.execute(cluster_nodes.update().where(cluster_nodes.c.node == node)
                                        .values(heartbeat_ts=now, **values))
            if result.rowcount == 0:
                await conn.execute(cluster_nodes.insert().values(node=node, heartbeat_ts=now, started_ts=now,
                                                                 draining=False, **values))
            return bool((await conn.execute(sa.select(cluster_nodes.c.draining)
                                            .where(cluster_nodes.c.node == node))).scalar_one())

    async def set_draining(self, node: str, draining: bool = True) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(cluster_nodes.update().where(cluster_nodes.c.node == node)
                                        .values(draining=draining))
        return result.rowcount == 1

    async def forget(self, node: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(cluster_nodes.delete().where(cluster_nodes.c.node == node))

    async def nodes(self) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(cluster_nodes).order_by(cluster_nodes.c.node))
            return [dict(r._mapping) for r in rows]
