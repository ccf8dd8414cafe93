"""Events are stored once per platform message, in batches, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from hub.events import Comment, Gift, Reply, from_dict
from hub.storage import Storage
from hub.storage.tables import events, replies


def _metric(store: Storage, name: str) -> float:
    return float(store.metrics.registry.get_sample_value(name) or 0)


async def test_same_message_id_in_one_batch_is_stored_once(storage: Storage, comment) -> None:
    inserted = await storage.record_events([comment("m1"), comment("m1", text="again"), comment("m2")])
    assert inserted == 2
    assert await storage.count_events() == 2
    texts = {e["message_id"]: e["text"] for e in await storage.recent_events()}
    assert texts == {"m1": "多少钱", "m2": "多少钱"}  # the first delivery wins


async def test_same_message_id_across_batches_is_stored_once(storage: Storage, comment) -> None:
    assert await storage.record_events([comment("m1"), comment("m2")]) == 2
    assert await storage.record_events([comment("m2"), comment("m3")]) == 1
    assert await storage.record_events([comment("m1")]) == 0
    assert await storage.count_events("comment") == 3


async def test_the_same_message_id_on_two_platforms_is_two_events(storage: Storage, comment) -> None:
    assert await storage.record_events([comment("m1", platform="a"), comment("m1", platform="b")]) == 2


async def test_events_without_message_id_are_keyed_by_their_own_id(storage: Storage, comment) -> None:
    first, second = comment(None), comment(None)
    assert await storage.record_events([first, second]) == 2
    assert await storage.record_events([first]) == 0  # the same event object, redelivered
    async with storage.engine.connect() as conn:
        keys = set((await conn.execute(sa.select(events.c.message_id))).scalars())
    assert keys == {first.id, second.id}


async def test_columns_and_payload_rebuild_the_event(storage: Storage, comment) -> None:
    original = comment("m9", platform_ts=1700000000.5)
    gift = Gift(platform="test", room="r2", gift="rose", count=3, value=Decimal("9.90"))
    await storage.record_events([original, gift])
    async with storage.engine.connect() as conn:
        row = (await conn.execute(sa.select(events).where(events.c.message_id == "m9"))).one()
    assert (row.event_id, row.type, row.platform, row.room, row.user_id, row.user_name) == \
        (original.id, "comment", "test", "r1", "u1", "小明")
    assert row.platform_ts == 1700000000.5 and row.received_ts == original.received_ts
    assert from_dict(row.payload) == original
    stored_gift = from_dict((await storage.recent_events(type="gift"))[0])
    assert stored_gift == gift


async def test_replies_also_go_to_the_replies_table_once(storage: Storage, comment) -> None:
    question = comment("q1")
    reply = Reply(platform="livehub", room="r1", text="九块九", kind="answer", channel="chat",
                  answers=[question.id], source="llm")
    assert await storage.record_events([question, reply]) == 2
    assert await storage.record_events([reply]) == 0
    async with storage.engine.connect() as conn:
        rows = (await conn.execute(sa.select(replies))).all()
    assert len(rows) == 1
    assert (rows[0].event_id, rows[0].text, rows[0].kind, rows[0].channel, rows[0].answers, rows[0].source) \
        == (reply.id, "九块九", "answer", "chat", [question.id], "llm")
    assert await storage.count_events("reply") == 1


async def test_text_no_database_accepts_is_made_storable(storage: Storage, comment) -> None:
    odd = [comment("nul", text="a\x00b"), comment("sur", text="x\ud800y", user=None),
           comment("ok", text="正常")]
    assert await storage.record_events(odd) == 3
    stored = {e["message_id"]: e["text"] for e in await storage.recent_events()}
    assert stored["nul"] == "a\ufffdb"
    assert stored["sur"].startswith("x\ufffd") and stored["sur"].endswith("y")
    assert stored["ok"] == "正常"


async def test_a_batch_larger_than_one_statement_is_split_and_counted(storage: Storage, comment) -> None:
    batch = [comment(f"m{i}") for i in range(4500)] + [comment("m0"), comment("m4499")]
    assert await storage.record_events(batch) == 4500
    assert await storage.count_events() == 4500


async def test_metrics_count_written_events_duplicates_and_batches(storage: Storage, comment) -> None:
    await storage.record_events([comment("a"), comment("b"), comment("a")])
    await storage.record_events([comment("b")])
    assert _metric(storage, "livehub_storage_events_written_total") == 2
    assert _metric(storage, "livehub_storage_event_duplicates_total") == 2
    assert _metric(storage, "livehub_storage_batch_seconds_count") == 2


async def test_empty_batch_writes_nothing(storage: Storage) -> None:
    assert await storage.record_events([]) == 0
    assert await storage.count_events() == 0


async def test_recent_events_filters_by_room_and_type(storage: Storage, comment) -> None:
    await storage.record_events([comment("1", room="a"), comment("2", room="b"),
                                 Comment(platform="test", room="a", text="x", message_id="3")])
    assert [e["message_id"] for e in await storage.recent_events(room="a")] == ["3", "1"]
    assert [e["message_id"] for e in await storage.recent_events(limit=1)] == ["3"]
