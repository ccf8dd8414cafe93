"""Platform events for the ingest benchmarks: a realistic room's mix, as many as needed, with re-deliveries.

The mix comes from :func:`plugins.replay.tracegen.generate_trace` over the starter catalog: questions in
real-world phrasing, floods of the same price question, greetings, chit-chat, bait, injections, spam,
English comments, enters, likes, follows, gifts, orders, room stats and stage changes. The generated
records are cycled with fresh platform message ids, so any number of distinct events can be made; a share
of them (``redeliver``) repeats the message id of an event sent shortly before, as platforms do after a
reconnect, so de-duplication has real work. Viewer ids are cycled from a large pool, as in a big room.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from bench.common import ROOM, STARTER_CATALOG
from hub.events import Event
from plugins.replay.trace import to_event

PLATFORM = "bench"
VIEWERS = 50_000


def record_pool(minutes: float = 30, seed: int = 6) -> list[dict[str, Any]]:
    """Trace records of a busy show (comments several times the default rate), in time order."""
    from plugins.replay.tracegen import generate_trace

    trace = generate_trace(STARTER_CATALOG, minutes=minutes, seed=seed, comments_per_min=120,
                           enters_per_s=1.0, flood_every_s=120, flood_size=60)
    return list(trace)


class EventSource:
    """Makes the ``n``-th benchmark event on demand (cheap, so a long run needs no big list)."""

    def __init__(self, *, redeliver: float = 0.03, seed: int = 6, pool: list[dict[str, Any]] | None = None
                 ) -> None:
        self.pool = pool if pool is not None else record_pool(seed=seed)
        self.redeliver = redeliver
        self.rng = random.Random(seed)
        self.made = 0
        self.redelivered = 0

    def event(self, n: int) -> Event:
        """Event number ``n``: record ``n`` of the cycled pool with its own message id (or a repeat's)."""
        record = dict(self.pool[n % len(self.pool)])
        message = n
        if n > 100 and self.rng.random() < self.redeliver:
            message = n - self.rng.randint(1, 100)
            self.redelivered += 1
        record["id"] = f"m{message}"
        user = record.get("user")
        if user:
            viewer = (int(user["id"][1:]) * 7919 + n // len(self.pool)) % VIEWERS
            record["user"] = {"id": f"v{viewer}", "name": user.get("name", "")}
        event = to_event(record, platform=PLATFORM, room=ROOM)
        if message != n:  # the same platform message, delivered again: a new hub event, the same message id
            from hub.events import new_event_id

            event.id = new_event_id()
        self.made += 1
        return event

    def events(self, count: int, start: int = 0) -> Iterator[Event]:
        for n in range(start, start + count):
            yield self.event(n)
