"""This process as a member of the cluster: its heartbeat, the rooms it runs, their leases (hub/cluster/leases.py).

Every ``lease_s / 3`` seconds the node

1. **beats**: its row in ``cluster_nodes`` (role, address, capacity, rooms) and reads whether an operator asked
   it to drain (``livehub drain``);
2. **renews** the lease of every room it runs, naming its fencing token; a renewal refused (another process
   owns the room now) stops the room at once; a renewal that cannot be made (the database is unreachable)
   stops the room before its lease can expire, so its next owner never runs beside it;
3. **drains** (one room per beat: stopped here, then its lease released so another process takes it at once),
   or **takes** free and expired rooms up to its fair share (the configured rooms over the live workers) and its
   ``capacity``. A node starts taking rooms at its second beat, and one per beat for its first ``lease_s``, so
   processes started together share the rooms.

Running a room here means: its platform connectors run here (they resume from their stored cursors), and the
hook ``livehub_room_acquired`` tells the plugins (the show runner resumes the room's live broadcast where its
schedule says); stopping it calls ``livehub_room_released`` first (outputs stop at once), then stops its
connectors (their cursors are stored).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import os
import random
import socket
import time
import zlib
from dataclasses import dataclass
from typing import Any

from hub.cluster.leases import LeaseStore
from hub.cluster.streams import EVENTS_TARGET

log = logging.getLogger("livehub.cluster")


@dataclass(slots=True)
class Held:
    token: int
    expires_ts: float
    since: float


class ClusterNode:
    """See the module docstring. ``hub.cluster`` while ``[cluster] enabled``."""

    def __init__(self, hub: Any, settings: Any) -> None:
        self.hub, self.settings = hub, settings
        self.name = settings.node or f"{socket.gethostname()}:{os.getpid()}"
        self.role = settings.role
        self.store = LeaseStore(hub.storage.engine)
        self.owned: dict[str, Held] = {}
        self.draining = False
        self.state, self.detail = "starting", ""
        self.beats = 0
        self.started = time.time()
        self.taken = self.lost = 0
        self._task: asyncio.Task[Any] | None = None
        self._wake = asyncio.Event()
        self.streams: Any = None
        self.feed: Any = None  # hub.cluster.feed.EventFeed, with Redis
        self._feed_sub: Any = None
        self.shops: Any = None  # hub.cluster.shops.ShopFanout, with Redis
        if settings.redis():
            from hub.cluster.streams import RoomStreams

            self.streams = RoomStreams(settings.redis(), self.name, claim_idle_s=settings.lease_s)

    @property
    def tick_s(self) -> float:
        return self.settings.lease_s / 3

    @property
    def runs_rooms(self) -> bool:
        return self.role != "api" and self.settings.capacity > 0

    def wake(self) -> None:
        """Look again now (an operator asked to drain, a room was added)."""
        self._wake.set()

    def owns(self, room: str) -> bool:
        """Whether this process runs ``room`` now."""
        return room in self.owned

    def token(self, room: str) -> int | None:
        """The fencing token of ``room``'s lease held here (None: not held)."""
        held = self.owned.get(room)
        return held.token if held is not None else None

    def url(self) -> str:
        if self.settings.advertise_url:
            return self.settings.advertise_url.rstrip("/")
        web = self.hub.web
        port = getattr(web, "port", None) if web is not None else None
        if not port:
            return ""
        host = self.hub.config.web.host
        host = socket.gethostname() if host in ("", "0.0.0.0", "::") else host
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    # -- running ----------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.ensure_rooms([room.name for room in self.hub.rooms if room.configured])
        await self._beat()
        self._task = self.hub.create_task(self.run(), name="cluster:node")
        if self.streams is not None:  # the other processes' events, for this one's watchers (hub/cluster/feed.py)
            from hub.cluster.feed import EventFeed

            self.feed = EventFeed(self.streams.redis, self.name)
            await self.feed.begin()
            self._feed_sub = self.hub.bus.subscribe("cluster:feed", self.feed.take, maxsize=5000,
                                                    overflow="drop_oldest")
            self.hub.create_task(self.feed.flush_loop(), name="cluster:feed:out")
            self.hub.create_task(self.feed.read_loop(), name="cluster:feed:in")
            from hub.cluster.shops import (
                ShopFanout,  # shop webhooks reach every process (hub/cluster/shops.py)
            )

            self.shops = ShopFanout(self.streams.redis, self.name)
            await self.shops.begin()
            self.hub.create_task(self.shops.read_loop(self._offer_shop), name="cluster:shops:in")

    async def run(self) -> None:
        while True:
            try:
                # a beat that hangs (a database that no longer answers) must not outlive the leases it renews
                async with asyncio.timeout(self.settings.lease_s / 2):
                    await self.tick()
                if self.state != "ready":
                    if self.state == "retrying":
                        log.info("cluster node %s reaches the database again", self.name)
                    self.state, self.detail = "ready", ""
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.state != "retrying":
                    log.warning("cluster node %s cannot reach the database: %s", self.name, exc)
                self.state, self.detail = "retrying", f"{type(exc).__name__}: {exc}"
                await self._fence(time.time())
            self._wake.clear()
            try:  # the same pace while the database is away: leases must be renewed as soon as it is back
                async with asyncio.timeout(self.tick_s * random.uniform(0.8, 1.0)):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def tick(self) -> None:
        await self._beat()
        for room, held in list(self.owned.items()):
            expires = await self.store.renew(room, self.name, held.token, self.settings.lease_s)
            if expires is None:
                await self._lose(room, "its lease was taken over")
            else:
                held.expires_ts = expires
        await self._fence(time.time())
        if self.draining:
            if self.owned:
                await self.give_up(next(iter(self.owned)), "draining")
            return
        if self.runs_rooms and self.beats >= 2:
            await self._take()

    async def _beat(self) -> None:
        self.draining = await self.store.heartbeat(
            self.name, role=self.role, host=socket.gethostname(), pid=os.getpid(), url=self.url(),
            capacity=self.settings.capacity if self.runs_rooms else 0, rooms=len(self.owned))
        self.beats += 1

    async def _fence(self, now: float) -> None:
        """Stop every room whose lease could expire before it is renewed again (its next owner must never find
        it still running here)."""
        for room, held in list(self.owned.items()):
            if held.expires_ts - now < self.tick_s / 2:
                await self._lose(room, "its lease could not be renewed in time")

    async def _take(self) -> None:
        now = time.time()
        rooms = {room.name for room in self.hub.rooms if room.configured}
        workers = [n for n in await self.store.nodes() if n["role"] != "api" and not n["draining"]
                   and n["capacity"] > 0 and n["heartbeat_ts"] > now - self.settings.lease_s]
        share = math.ceil(len(rooms) / max(1, len(workers)))
        want = min(self.settings.capacity, share) - len(self.owned)
        if time.time() - self.started < self.settings.lease_s:
            want = min(want, 1)  # joining: one room per beat, so processes started together share the rooms
        if want <= 0:
            return
        free = [lease for lease in await self.store.leases()
                if lease.room in rooms and lease.room not in self.owned and lease.free(now)]
        free.sort(key=lambda lease: zlib.crc32(f"{self.name}/{lease.room}".encode()))  # spread the contention
        for lease in free:
            token = await self.store.acquire(lease.room, self.name, self.settings.lease_s)
            if token is None:
                continue
            await self._gain(lease.room, token)
            want -= 1
            if want <= 0:
                return

    # -- a room's start and stop here --------------------------------------------------------------------------

    async def _gain(self, room: str, token: int) -> None:
        self.owned[room] = Held(token, time.time() + self.settings.lease_s, time.time())
        self.taken += 1
        log.info("cluster node %s runs room %s (fencing token %d)", self.name, room, token)
        self._gauge(room, 1.0)
        for name in self.hub.rooms[room].bindings:
            self.hub.start_connector(name)
        # the plugins start the room in a task of its own: however long that takes, leases are renewed (and
        # fenced) on time here
        self.hub.create_task(self._call("livehub_room_acquired", room=room), name=f"cluster:acquire:{room}")
        if self.streams is not None:
            self.hub.create_task(self.streams.consume(room, self._handoff(room)), name=f"cluster:stream:{room}")

    async def _lose(self, room: str, reason: str, *, planned: bool = False) -> None:
        """Stop ``room`` here, in a task of its own that a beat given up on (a timeout) does not cancel."""
        if room not in self.owned:
            return
        task = self.hub.create_task(self._stop_room(room, reason, planned), name=f"cluster:release:{room}")
        await asyncio.shield(task)

    async def _stop_room(self, room: str, reason: str, planned: bool) -> None:
        if self.owned.pop(room, None) is None:
            return
        if not planned:
            self.lost += 1
        (log.info if planned else log.warning)("cluster node %s stops room %s: %s", self.name, room, reason)
        self._gauge(room, 0.0)
        await self.hub.cancel_task(f"cluster:acquire:{room}")
        await self.hub.cancel_task(f"cluster:stream:{room}")
        try:  # outputs stop at once; a plugin that takes longer must not hold the other rooms' renewals
            async with asyncio.timeout(self.tick_s):
                await self._call("livehub_room_released", room=room, reason=reason)
        except TimeoutError:
            log.error("room %s: stopping it took longer than %.1f s", room, self.tick_s)
        for name in self.hub.rooms[room].bindings:
            await self.hub.stop_connector(name)

    async def give_up(self, room: str, reason: str) -> None:
        """Stop ``room`` here and release its lease at once, for another process to take."""
        held = self.owned.get(room)
        if held is None:
            return
        await self._lose(room, reason, planned=True)
        try:
            await self.store.release(room, self.name, held.token)
        except Exception as exc:  # it expires by itself
            log.warning("lease of room %s not released: %s", room, exc)

    # -- hand-offs (hub/cluster/streams.py) --------------------------------------------------------------------

    async def hand(self, room: str, target: str, kind: str, data: Any) -> str:
        """Hand ``data`` for connector ``target`` to the process that runs ``room`` (RuntimeError without Redis)."""
        if self.streams is None:
            raise RuntimeError("no [cluster] redis_url: webhooks reach only the process that runs their room")
        return await self.streams.hand(room, target, kind, data)

    def _handoff(self, room: str) -> Any:
        async def handle(target: str, kind: str, data: Any) -> None:
            if target == EVENTS_TARGET:  # POST /api/v1/events reached another process
                from hub.events import from_dict

                refused = await self.hub.publish_stored([from_dict(item) for item in data])
                if refused:
                    log.error("room %s: the database refused %d handed-over events", room, len(refused))
                return
            connector = self.hub.connectors.get(target)
            if connector is None or not self.owns(room):
                raise LookupError(f"connector {target!r} does not run here")
            await connector.accept_handoff(kind, data)

        return handle

    def _offer_shop(self, connector: str, delivery: Any) -> None:
        from hub.shop import CatalogConnector

        shop = self.hub.connectors.get(connector)
        if isinstance(shop, CatalogConnector):
            shop.offer_shared(delivery)

    def _gauge(self, room: str, value: float) -> None:
        from prometheus_client import Gauge

        self.hub.metric(Gauge, "livehub_room_owned", "1 while this process runs the room (holds its lease)",
                        ["room", "node"]).labels(room, self.name).set(value)

    async def _call(self, hook: str, **kwargs: Any) -> None:
        for impl in getattr(self.hub.plugins.hook, hook).get_hookimpls():
            try:
                value = impl.function(**{arg: kwargs.get(arg, self.hub) for arg in impl.argnames})
                if inspect.isawaitable(value):
                    await value
            except Exception as exc:  # one plugin's failure never keeps the room from moving
                self.hub.report_error(exc, f"{hook}:{impl.plugin_name}:{kwargs.get('room')}")

    async def stop(self) -> None:
        """Stop every room here and release its lease (a stopping process hands its rooms over at once)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.hub.cancel_task("cluster:feed:out")
        await self.hub.cancel_task("cluster:feed:in")
        await self.hub.cancel_task("cluster:shops:in")
        if self._feed_sub is not None:
            await self.hub.bus.unsubscribe(self._feed_sub, timeout=1.0)
        for room in list(self.owned):
            await self.give_up(room, "the process is stopping")
        try:
            await self.store.forget(self.name)
        except Exception as exc:
            log.warning("cluster node %s not removed from the member list: %s", self.name, exc)
        if self.streams is not None:
            await self.streams.close()
        self.state = "stopped"

    def status(self) -> dict[str, Any]:
        return {"node": self.name, "role": self.role, "state": self.state, "detail": self.detail,
                "draining": self.draining, "capacity": self.settings.capacity if self.runs_rooms else 0,
                "rooms": {room: held.token for room, held in sorted(self.owned.items())},
                "taken": self.taken, "lost": self.lost,
                "handoffs": None if self.streams is None else {
                    "handled": self.streams.handled, "failed": self.streams.failed, "claimed": self.streams.claimed,
                    "dropped": self.streams.dropped},
                "shop_deliveries": None if self.shops is None else {
                    "shared": self.shops.shared, "received": self.shops.received}}
