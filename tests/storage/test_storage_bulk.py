"""The acceptance load: 100,000 comment events with redeliveries, stored exactly once each."""

from __future__ import annotations

import random

import pytest

from hub.events import Comment, User
from hub.storage import Storage

TOTAL = 100_000
BATCH = 2_000


def _comments_with_redeliveries(seed: int = 7) -> tuple[list[Comment], int]:
    """TOTAL comments, ~10% of them redeliveries of an earlier message id (some in the same batch,
    most in an earlier one), in a shuffled-but-seeded order. Returns the events and the unique count."""
    rng = random.Random(seed)
    out: list[Comment] = []
    issued = 0
    for i in range(TOTAL):
        if issued and rng.random() < 0.1:
            message_id = f"msg-{rng.randrange(issued)}"
        else:
            message_id = f"msg-{issued}"
            issued += 1
        out.append(Comment(platform="test", room=f"room{i % 3}", user=User(f"u{i % 977}", f"观众{i % 977}"),
                           message_id=message_id, text=f"第{i}条评论，多少钱？"))
    return out, issued


@pytest.mark.slow
async def test_100k_comments_with_duplicates_are_stored_once_each(storage: Storage) -> None:
    events, unique = _comments_with_redeliveries()
    assert TOTAL * 0.85 < unique < TOTAL * 0.95  # the load really has ~10% redeliveries
    inserted = 0
    for start in range(0, TOTAL, BATCH):
        inserted += await storage.record_events(events[start:start + BATCH])
    assert inserted == unique
    assert await storage.count_events() == unique
    assert await storage.count_events("comment") == unique
    assert await storage.record_events(events[:BATCH]) == 0  # a full redelivery adds nothing
    duplicates = storage.metrics.registry.get_sample_value("livehub_storage_event_duplicates_total")
    assert duplicates == TOTAL - unique + BATCH
