"""hub.testing, the pytest plugin integrators use: fixtures and helpers behave as documented."""

from hub import hookimpl
from hub.testing import collect, comment, feed, make_event, register_plugin, wait_for


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
