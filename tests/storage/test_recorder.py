"""The recorder stores every event the bus accepted, through backpressure, outages and shutdown."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from hub.app import Hub
from hub.builtin.recorder import is_transient, recorder_of
from hub.config import load_config
from hub.errors import ConfigError
from hub.events import Comment, Event, Reply, ReplySentence
from hub.hookspecs import hookimpl
from hub.storage import Storage
from tests.pgserver import PostgresServer

N = 3_000


def _config(url: str, **recorder: Any) -> Any:
    return load_config(data={"hub": {"database_url": url}, "web": {"enabled": False},
                             "scheduler": {"enabled": False}, "plugins": {"recorder": recorder}}, env=False)


@pytest.fixture
async def start_hub() -> AsyncIterator[Any]:
    hubs: list[Hub] = []

    async def make(url: str, **recorder: Any) -> Hub:
        hub = Hub(_config(url, **recorder), builtins=("hub.builtin.recorder",), autoload=False)
        hubs.append(hub)
        await hub.start()
        return hub

    yield make
    for hub in hubs:
        await hub.stop()


def _comments(n: int, prefix: str = "m") -> list[Comment]:
    return [Comment(platform="test", room="r1", message_id=f"{prefix}{i}", text=f"评论{i}") for i in range(n)]


async def _stored(url: str) -> int:
    async with Storage(url) as store:
        return await store.count_events()


async def test_every_published_event_is_in_the_database_after_stop(db_url: str, start_hub) -> None:
    # A queue smaller than the load: publishers must wait for the writer (backpressure, no drops).
    hub = await start_hub(db_url, batch_size=100, queue_size=250)
    for event in _comments(N):
        await hub.publish(event)
    await hub.stop()  # returns only after the bus drained the recorder's queue
    assert await _stored(db_url) == N
    assert hub.bus.stats()[0]["dropped"] == 0


async def test_redelivered_events_are_stored_once(tmp_path, start_hub) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    hub = await start_hub(url)
    for event in _comments(50) + _comments(50):
        await hub.publish(event)
    await hub.stop()
    assert await _stored(url) == 50


async def test_batch_size_one_hands_single_events_to_the_writer(tmp_path, start_hub) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    hub = await start_hub(url, batch_size=1)
    for event in _comments(20):
        await hub.publish(event)
    await hub.stop()
    assert await _stored(url) == 20


@pytest.mark.parametrize("batch_size", [1, 100])
async def test_events_not_meant_to_persist_are_not_stored(tmp_path, start_hub, batch_size: int) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    hub = await start_hub(url, batch_size=batch_size)
    sentence = ReplySentence(platform="livehub", room="r1", reply="r-1", index=0, text="第一句。")
    for event in [sentence, *_comments(5), sentence]:
        await hub.publish(event)
    await hub.publish(Reply(platform="livehub", room="r1", text="第一句。", id="r-1"))
    await hub.stop()
    assert await _stored(url) == 6  # five comments and the reply, no sentence


def _locked() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("INSERT INTO events ...", (), sqlite3.OperationalError("database is locked"))


async def test_a_briefly_unavailable_database_delays_batches_but_loses_none(tmp_path, start_hub, caplog) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    hub = await start_hub(url, batch_size=50, retry_max_delay=0.05)
    real_write, failures = hub.storage.record_events, 0

    async def flaky(batch: list[Event]) -> int:
        nonlocal failures
        if failures < 4:
            failures += 1
            raise _locked()
        return await real_write(batch)

    hub.storage.record_events = flaky
    for event in _comments(500):
        await hub.publish(event)
    await hub.stop()
    assert await _stored(url) == 500
    recorder = recorder_of(hub)
    assert recorder is not None and recorder.retries == 4 and recorder.skipped == 0
    assert caplog.text.count("cannot write events to the database") == 1  # logged once, not per retry
    assert "recovered after 4 retries" in caplog.text


class ErrorCatcher:
    """A plugin that records where the hub caught errors."""

    def __init__(self) -> None:
        self.reported: list[str] = []

    @hookimpl
    def livehub_handle_exception(self, error: BaseException, where: str, hub: Hub) -> bool:
        self.reported.append(where)
        return True


async def test_an_event_the_database_refuses_is_skipped_and_the_rest_kept(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    catcher = ErrorCatcher()
    hub = Hub(_config(url, batch_size=10), builtins=("hub.builtin.recorder",), autoload=False,
              extra_plugins=[("catcher", catcher)])
    await hub.start()
    real_write = hub.storage.record_events

    async def refuses_poison(batch: list[Event]) -> int:
        if any(getattr(e, "text", "") == "poison" for e in batch):
            raise sa_exc.DataError("INSERT", (), Exception("value too long"))
        return await real_write(batch)

    hub.storage.record_events = refuses_poison
    events = _comments(25)
    events[12].text = "poison"
    for event in events:
        await hub.publish(event)
    await hub.stop()
    assert await _stored(url) == 24
    assert catcher.reported == [f"recorder:event:comment:{events[12].id}"]


@pytest.mark.parametrize(("error", "transient"), [
    (_locked(), True),
    (sa_exc.IntegrityError("x", (), Exception()), False),
    (sa_exc.DataError("x", (), Exception()), False),
    (ConnectionRefusedError(), True),
    (TypeError("not JSON serialisable"), False),
])
def test_transient_errors_are_told_from_data_errors(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_recorder_settings_are_validated() -> None:
    with pytest.raises(ConfigError, match="plugins.recorder.batch_size"):
        Hub(_config("sqlite+aiosqlite:///:memory:", batch_size=0), builtins=("hub.builtin.recorder",),
            autoload=False).build()


SIGTERM_SCRIPT = textwrap.dedent('''
    import asyncio, signal, sys
    from hub.app import Hub
    from hub.bus import BusClosed
    from hub.config import load_config
    from hub.events import Comment

    async def main(url):
        config = load_config(data={"hub": {"database_url": url}, "web": {"enabled": False},
                                   "scheduler": {"enabled": False},
                                   "plugins": {"recorder": {"batch_size": 200, "queue_size": 1000}}},
                             env=False)
        hub = Hub(config, builtins=("hub.builtin.recorder",), autoload=False)
        await hub.start()
        stopping = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        accepted = 0

        async def publish(worker):
            nonlocal accepted
            i = 0
            while True:
                await hub.publish(Comment(platform="test", room="r", message_id=f"{worker}-{i}", text="x"))
                accepted += 1
                i += 1
                if accepted == 5000:
                    print("busy", flush=True)

        publishers = [asyncio.create_task(publish(w), name=f"publisher-{w}") for w in range(4)]
        await stopping.wait()
        await hub.stop()  # the publishers are still running: the bus refuses them from now on
        for task in publishers:
            try:
                await task
            except BusClosed:
                pass
        print("accepted", accepted, flush=True)

    asyncio.run(main(sys.argv[1]))
''')


async def test_sigterm_during_a_busy_run_loses_no_accepted_event(db_url: str, tmp_path) -> None:
    script = tmp_path / "busy_hub.py"
    script.write_text(SIGTERM_SCRIPT)
    proc = await asyncio.create_subprocess_exec(sys.executable, str(script), db_url,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"busy\n"  # type: ignore[union-attr]
        proc.terminate()
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    accepted = int(out.decode().split()[-1])
    assert accepted >= 5000
    assert await _stored(db_url) == accepted


async def _until(condition: Any, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.mark.postgres
async def test_a_postgresql_restart_mid_run_loses_no_event(start_hub, postgres_server) -> None:
    with PostgresServer(postgres_server.bindir) as server:  # a server of its own: this test stops it
        url = server.url()
        hub = await start_hub(url, batch_size=50, retry_max_delay=0.2)
        recorder = recorder_of(hub)
        assert recorder is not None
        for event in _comments(200, "before-"):
            await hub.publish(event)

        async def stored_before() -> bool:
            return recorder.written == 200

        await _until(stored_before)
        server.pause()
        for event in _comments(300, "during-"):
            await hub.publish(event)

        async def retrying() -> bool:
            return recorder.retries > 0

        await _until(retrying)
        server.resume()
        await hub.stop()
        assert recorder.skipped == 0
        assert await _stored(url) == 500
