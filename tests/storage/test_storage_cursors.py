"""Platform connectors' resume state in the database: cursors, and the message ids already stored."""

from __future__ import annotations

from hub.events import Reply
from hub.storage import Storage


async def test_a_cursor_is_stored_replaced_and_read_back_per_connector(storage: Storage) -> None:
    assert await storage.get_cursor("acme") is None
    await storage.set_cursor("acme", "acme", "page-1")
    await storage.set_cursor("other", "douyin", "seq:7")
    await storage.set_cursor("acme", "acme", "page-2")
    assert await storage.get_cursor("acme") == "page-2"
    assert await storage.get_cursor("other") == "seq:7"


async def test_a_cursor_survives_reopening_the_database(db_url: str) -> None:
    async with Storage(db_url) as store:
        await store.set_cursor("acme", "acme", "页-42\x00")  # odd text is stored, not refused
    async with Storage(db_url) as store:
        assert await store.get_cursor("acme") == "页-42\ufffd"


async def test_recent_message_ids_are_this_platform_and_rooms_viewer_events_newest_first(storage: Storage,
                                                                                         comment) -> None:
    await storage.record_events([
        comment("m1", received_ts=1.0), comment("m2", received_ts=2.0), comment("m3", received_ts=3.0),
        comment("x1", platform="other", received_ts=4.0), comment("y1", room="r2", received_ts=5.0),
        Reply(platform="test", room="r1", text="hi", message_id="reply-1", received_ts=6.0),
    ])
    assert await storage.recent_message_ids("test", "r1") == ["m3", "m2", "m1"]
    assert await storage.recent_message_ids("test", "r1", limit=2) == ["m3", "m2"]
    assert await storage.recent_message_ids("other", "r1") == ["x1"]
    assert await storage.recent_message_ids("test", "nowhere") == []
