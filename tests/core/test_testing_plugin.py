"""hub.testing, the pytest plugin integrators use: fixtures and helpers behave as documented."""

import subprocess
import sys

import pytest

from hub import hookimpl
from hub.standin_control import UnknownStandin
from hub.testing import (
    collect,
    comment,
    fault,
    feed,
    make_event,
    post_events,
    register_plugin,
    sent,
    wait_for,
)
from tests.standin.parrot import Parrot, ParrotPlugin


class Echo:
    """Replies to every comment, as a tiny answer plugin would."""

    def __init__(self):
        self.started = False

    @hookimpl
    def livehub_startup(self, hub):
        self.started = True

    @hookimpl
    async def livehub_on_event(self, event, hub):
        if event.type == "comment":
            await hub.publish(make_event("reply", text=f"echo: {event.text}", answers=[event.id]))


async def test_hub_fixture_runs_on_memory_sqlite_without_web(hub):
    assert hub.ready and hub.web is None
    assert hub.storage.url.endswith(":memory:")


async def test_register_plugin_feed_and_collect(hub):
    echo = Echo()
    with register_plugin(hub, echo, name="echo"), collect(hub, types={"reply"}) as replies:
        assert echo.started
        question = comment("hello")
        await feed(hub, question)
        await wait_for(lambda: replies)
    assert replies[0].text == "echo: hello" and replies[0].answers == [question.id]
    assert "echo" not in hub.plugins.loaded()


async def test_make_hub_with_plugins_and_config(make_hub):
    echo = Echo()
    async with make_hub(plugins=[("echo", echo)], config={"plugins": {"event_hooks": {"queue_size": 5}}}) as hub:
        assert echo.started and hub.plugin_config("event_hooks").queue_size == 5
        with collect(hub) as seen:
            await feed(hub, {"type": "like", "platform": "test", "room": "r", "count": 2})
            await wait_for(lambda: any(e.type == "like" for e in seen))


# -- stand-ins: the `standin` fixture and the helpers driving one ---------------------------------

PARROT = [("parrot", ParrotPlugin())]
_stopped_after: list = []


@pytest.fixture
def stand_ins_stopped_after_test():
    """Requested before ``standin``, so this checks after the fixture's own teardown has run."""
    yield _stopped_after
    assert _stopped_after and not any(platform.running for platform in _stopped_after)
    _stopped_after.clear()


async def test_standin_fixture_starts_a_registered_stand_in_and_helpers_drive_it(stand_ins_stopped_after_test,
                                                                                 standin):
    platform = await standin("parrot", plugins=PARROT, token="t0k")
    stand_ins_stopped_after_test.append(platform)
    assert isinstance(platform, Parrot) and platform.running and platform.port > 0 and platform.token == "t0k"
    encoded = await post_events(platform, comment("hello", name="Ann"), {"type": "like", "count": 2})
    assert [m["kind"] for m in encoded] == ["comment", "like"] and platform.queue[0]["who"] == "Ann"
    assert await fault(platform.url, "rate_limit", count=1) == {"fault": "rate_limit", "count": 1}
    platform.record("chat", text="hi")
    assert [e["text"] for e in await sent(platform, "chat")] == ["hi"]
    second = await standin("parrot", plugins=PARROT)
    stand_ins_stopped_after_test.append(second)
    assert second.port != platform.port


async def test_standin_fixture_names_the_known_stand_ins_for_an_unknown_system(standin):
    with pytest.raises(UnknownStandin, match=r"known stand-ins: (.*, )?parrot"):
        await standin("macaw", plugins=PARROT)


def test_hub_testing_imports_without_pytest():
    code = ("import sys; sys.modules['pytest'] = sys.modules['pytest_asyncio'] = None\n"
            "import asyncio, hub.testing as t\n"
            "assert not hasattr(t, 'hub') and not hasattr(t, 'standin') and t.comment('x').text == 'x'\n"
            "try:\n    asyncio.run(t.wait_for(lambda: False, timeout=0.01))\n"
            "except AssertionError as exc:\n    print('failed as expected:', exc)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "failed as expected: condition not met" in result.stdout
