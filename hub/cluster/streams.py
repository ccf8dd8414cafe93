"""Redis Streams: what one process hands to the process that runs a room (``[cluster] redis_url``).

A platform's webhook may reach any process (the load balancer picks one), but only the process that runs the
room may ingest it (triage, answers and the show live there). The receiving process checks it (signature,
freshness, shape) and **hands** it over: one ``XADD`` to the room's stream ``livehub:room:<room>``, and only once
Redis has it does the process answer the platform. The room's process **consumes** the stream in the consumer
group ``owner`` under its node name: each entry is handled (the connector ingests it and waits until its events
are stored) and then acknowledged (``XACK``), so delivery is at least once and the consumers are idempotent by the
platform's message ids (a repeat is recognised and stored once).

When a room moves (its process died or drained), the new owner first claims what the old one read but never
acknowledged (``XAUTOCLAIM`` of entries idle longer than the lease), then reads on; an entry whose handling
failed stays pending and is claimed again after the same idle time. Streams are capped (``MAXLEN ~``) so a room
nobody runs cannot fill Redis.

Guarantees depend on Redis's own: with ``appendonly yes`` and ``appendfsync everysec`` (docs/scale-out.md), an
acknowledged hand-off survives a Redis restart except for at most the last second.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("livehub.cluster")

GROUP = "owner"
EVENTS_TARGET = "@events"
"""The target of platform events posted to ``POST /api/v1/events`` of a process that does not run their room:
the room's process publishes them (and acknowledges once they are stored)."""
MAXLEN = 100_000
MAX_ATTEMPTS = 5
"""Times an entry is handled before it is given up (acknowledged and logged as dropped): a poison entry."""
Handler = Callable[[str, str, Any], Awaitable[None]]
"""``handler(target, kind, data)``: handle one hand-off (raise to leave it pending for a retry)."""


def stream_key(room: str) -> str:
    return f"livehub:room:{room}"


class RoomStreams:
    """One process's view of the rooms' streams (see the module docstring)."""

    def __init__(self, url: str, node: str, *, claim_idle_s: float, block_s: float = 1.0) -> None:
        import redis.asyncio as redis

        self.redis = redis.Redis.from_url(url, decode_responses=True, health_check_interval=10)
        self.node, self.claim_idle_ms, self.block_ms = node, int(claim_idle_s * 1000), int(block_s * 1000)
        self.handled = self.failed = self.claimed = self.dropped = 0
        self._attempts: dict[str, int] = {}

    async def close(self) -> None:
        await self.redis.aclose()

    async def hand(self, room: str, target: str, kind: str, data: Any) -> str:
        """Give ``data`` for ``target`` (a connector's name) to the process that runs ``room``; the entry's id once
        Redis has it."""
        fields = {"target": target, "kind": kind, "data": json.dumps(data, ensure_ascii=False)}
        return str(await self.redis.xadd(stream_key(room), fields, maxlen=MAXLEN, approximate=True))

    async def _group(self, key: str) -> None:
        from redis.exceptions import ResponseError

        try:  # from the stream's start: what was handed before anyone ran the room is delivered too
            await self.redis.xgroup_create(key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def consume(self, room: str, handler: Handler) -> None:
        """Handle ``room``'s hand-offs until cancelled: first those a previous owner left unacknowledged, then new
        ones as they come."""
        key = stream_key(room)
        await self._group(key)
        await self._claim(key, handler)
        since_claim = 0.0
        while True:
            found = await self.redis.xreadgroup(GROUP, self.node, {key: ">"}, count=100, block=self.block_ms)
            for _, entries in found or []:
                for entry_id, fields in entries:
                    await self._handle(key, entry_id, fields, handler)
            since_claim += self.block_ms / 1000 if not found else 0.1
            if since_claim * 1000 >= self.claim_idle_ms:  # entries whose handling failed: once more
                since_claim = 0.0
                await self._claim(key, handler)

    async def _claim(self, key: str, handler: Handler) -> None:
        start = "0-0"
        while True:
            start, entries, *_ = await self.redis.xautoclaim(key, GROUP, self.node, self.claim_idle_ms,
                                                             start_id=start, count=100)
            for entry_id, fields in entries:
                if fields is None:
                    continue  # trimmed away meanwhile
                self.claimed += 1
                await self._handle(key, entry_id, fields, handler)
            if start in ("0-0", b"0-0") or not entries:
                return

    async def _handle(self, key: str, entry_id: str, fields: dict[str, str], handler: Handler) -> None:
        attempts = self._attempts[entry_id] = self._attempts.get(entry_id, 0) + 1
        if attempts > MAX_ATTEMPTS:
            log.error("hand-off %s of %s dropped after %d attempts: %s", entry_id, key, MAX_ATTEMPTS,
                      str(fields)[:200])
            await self.redis.xack(key, GROUP, entry_id)
            self._attempts.pop(entry_id, None)
            self.dropped += 1
            return
        try:
            data = json.loads(fields.get("data") or "null")
            await handler(fields.get("target", ""), fields.get("kind", ""), data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # left pending: claimed again after claim_idle
            self.failed += 1
            log.warning("hand-off %s of %s not handled (retried later): %s: %s", entry_id, key,
                        type(exc).__name__, exc)
            return
        await self.redis.xack(key, GROUP, entry_id)
        self._attempts.pop(entry_id, None)
        self.handled += 1

    async def pending(self, room: str) -> int:
        """Entries of ``room`` read but not acknowledged yet."""
        try:
            info = await self.redis.xpending(stream_key(room), GROUP)
        except Exception:
            return 0
        return int(info.get("pending", 0)) if isinstance(info, dict) else 0
