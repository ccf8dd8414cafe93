"""Resuming a platform feed: the cursor is kept in the database, redeliveries are recognised, also
across a restart of the hub on the same database (a SQLite file), so nothing is lost or repeated."""

from __future__ import annotations

import logging
import time

from hub.testing import collect, wait_for
from tests.platform.fakes import CORE, FakePlatforms, answer, viewer_comment

PLUGINS = [("fake-platforms", FakePlatforms())]


def config(tmp_path):
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "connectors": {"f": {"type": "fake", "room": "main"}}}


async def fake(hub):
    connector = hub.connectors["f"]
    assert await connector.wait_ready(5)
    return connector


async def test_a_restart_resumes_after_the_last_accepted_message_and_repeats_nothing(make_hub, tmp_path) -> None:
    async with make_hub(plugins=PLUGINS, config=config(tmp_path), builtins=CORE) as hub:
        f = await fake(hub)
        assert f.resumed_from == [None]
        for i in range(1, 4):
            f.inbox.put_nowait((viewer_comment(f"问题{i}", f"m{i}"), f"c{i}"))
        await wait_for(lambda: f.ingested == 3)
        assert f.cursor == "c3"
        await wait_for(lambda: hub.storage.get_cursor("f"), timeout=5)  # stored while running, too

    async with make_hub(plugins=PLUGINS, config=config(tmp_path), builtins=CORE) as hub:
        f = await fake(hub)
        assert f.resumed_from == ["c3"] and await hub.storage.get_cursor("f") == "c3"
        with collect(hub, types={"comment"}) as comments:
            # the platform sends again what followed an older cursor, then something new
            for i in range(2, 5):
                f.inbox.put_nowait((viewer_comment(f"问题{i}", f"m{i}"), f"c{i}"))
            await wait_for(lambda: f.ingested + f.duplicates == 3)
            await wait_for(lambda: comments)
        assert [c.message_id for c in comments] == ["m4"]
        assert (c := comments[0]).platform == "fake" and c.room == "main"
        assert (f.ingested, f.duplicates, f.cursor) == (1, 2, "c4")
        # a message ingested before the restart is still answered on this platform, once
        await hub.publish(answer("答复。", [("fake", "小雨", "m1")]))
        await wait_for(lambda: f.sent)

    async with make_hub(plugins=PLUGINS, config=config(tmp_path), builtins=CORE) as hub:
        f = await fake(hub)
        assert f.resumed_from == ["c4"]
        assert await hub.storage.count_events("comment") == 4  # m1..m4, each once
        assert await hub.storage.recent_message_ids("fake", "main") == ["m4", "m3", "m2", "m1"]


async def test_ingest_refuses_a_redelivery_and_stamps_platform_and_room(make_hub, tmp_path) -> None:
    async with make_hub(plugins=PLUGINS, config=config(tmp_path), builtins=CORE) as hub:
        f = await fake(hub)
        with collect(hub, types={"comment"}) as comments:
            assert await f.ingest(viewer_comment("包邮吗", "dup-1"), cursor="k1") is True
            assert await f.ingest(viewer_comment("包邮吗", "dup-1"), cursor="k2") is False
            assert await f.ingest(viewer_comment("no id", None)) is True  # nothing to recognise it by
            await wait_for(lambda: len(comments) == 2)
        assert [(c.platform, c.room, c.message_id) for c in comments] == [("fake", "main", "dup-1"),
                                                                           ("fake", "main", None)]
        assert f.cursor == "k2"  # a redelivery still moves the feed on
        assert f.status()["cursor"] == "k2" and f.status()["duplicates"] == 1


async def test_the_cursor_is_written_at_most_about_once_a_second(make_hub, tmp_path) -> None:
    async with make_hub(plugins=PLUGINS, config=config(tmp_path), builtins=CORE) as hub:
        f = await fake(hub)
        started = time.monotonic()
        for i in range(200):
            await f.ingest(viewer_comment("刷屏", f"flood-{i}"), cursor=f"c{i}")
        elapsed = time.monotonic() - started
        await wait_for(lambda: f.cursor_keeper.stored == "c199", timeout=5)
        assert f.cursor_keeper.writes <= 2 + int(elapsed / f.cursor_interval)  # not one per message


async def test_a_database_that_refuses_cursor_writes_is_retried_quietly(make_hub, tmp_path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="livehub.connector")
    async with make_hub(plugins=PLUGINS, config=config(tmp_path), builtins=CORE) as hub:
        f = await fake(hub)
        f.cursor_keeper.interval = 0.05
        real, attempts = hub.storage.set_cursor, []

        async def refusing(*args):
            attempts.append(args)
            if len(attempts) <= 3:
                raise ConnectionError("database is down")
            await real(*args)

        hub.storage.set_cursor = refusing
        for i in range(50):
            await f.ingest(viewer_comment("在吗", f"down-{i}"), cursor=f"d{i}")
        await wait_for(lambda: f.cursor_keeper.stored == "d49", timeout=5)
        assert 4 <= len(attempts) <= 8  # retried on its interval, not once per message
        warnings = [r for r in caplog.records if "cannot store its cursor" in r.getMessage()]
        assert len(warnings) == 1 and any("stored again" in r.getMessage() for r in caplog.records)
