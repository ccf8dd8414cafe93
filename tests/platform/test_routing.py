"""Replies go back to the platform, and the connector, the asker wrote on: mentions, modes, voice-only."""

from __future__ import annotations

import pytest

from hub.testing import wait_for
from tests.platform.fakes import CORE, FakePlatforms, answer, viewer_comment

PLUGINS = [("fake-platforms", FakePlatforms())]


async def started(hub, *names):
    connectors = [hub.connectors[name] for name in names]
    for connector in connectors:
        assert await connector.wait_ready(5)
    return connectors


async def test_a_reply_goes_to_the_platform_each_asker_wrote_on_with_its_mention(make_hub) -> None:
    config = {"connectors": {"f": {"type": "fake", "room": "main"}, "o": {"type": "other", "room": "main"},
                             "side": {"type": "fake", "room": "side"}}}
    async with make_hub(plugins=PLUGINS, config=config, builtins=CORE) as hub:
        f, o, side = await started(hub, "f", "o", "side")
        await hub.publish(answer("包邮哦。", [("fake", "小雨", "m1")]))
        await hub.publish(answer("Yes, free shipping.", [("other", "Ann", "m2")]))
        await hub.publish(answer("都有货。", [("fake", "A", "m3"), ("other", "B", "m4"), ("fake", "C", "m5")]))
        await hub.publish(answer("别的房间", [("fake", "D", "m6")], room="side"))
        await wait_for(lambda: len(f.sent) == 2 and len(o.sent) == 2 and len(side.sent) == 1)
        assert f.texts() == ["@小雨 包邮哦。", "@A @C 都有货。"]
        assert o.texts() == ["<Ann> Yes, free shipping.", "<B> 都有货。"]
        assert side.texts() == ["@D 别的房间"]
        first = f.sent[0][1]
        assert (first.reply_to.user.name, first.reply_to.message_id, first.kind) == ("小雨", "m1", "answer")
        assert first.key == f"{first.reply_id}:0"
        status = f.status()
        assert (status["platform"], status["room"], status["can_send_chat"]) == ("fake", "main", True)
        assert status["outbox"]["sent"] == 2


async def test_with_two_connectors_of_one_platform_each_answers_the_messages_it_ingested(make_hub) -> None:
    config = {"connectors": {"a": {"type": "fake", "room": "main"}, "b": {"type": "fake", "room": "main"}}}
    async with make_hub(plugins=PLUGINS, config=config, builtins=CORE) as hub:
        a, b = await started(hub, "a", "b")
        a.inbox.put_nowait((viewer_comment("几号发货", "ma-1", name="甲"), None))
        b.inbox.put_nowait((viewer_comment("包邮吗", "mb-1", name="乙"), None))
        await wait_for(lambda: a.ingested == 1 and b.ingested == 1)
        await hub.publish(answer("今天发货。", [("fake", "甲", "ma-1")]))
        await hub.publish(answer("包邮。", [("fake", "乙", "mb-1")]))
        await hub.publish(answer("没人问过", [("fake", "丙", "m-unknown")]))  # taken in before a restart
        await hub.publish(answer("一起答。", [("fake", "甲", "ma-1"), ("fake", "乙", "mb-1")]))
        await hub.publish(answer("聊天区公告", platform="fake"))  # no asker: the first connector posts it
        await hub.publish(answer("谢谢关注", [("fake", "丁", None)]))  # no message id: the first one too
        await wait_for(lambda: len(a.sent) == 5 and len(b.sent) == 2)
        # an asker no connector took in (from before a restart) and one with no message id: the first
        assert a.texts() == ["@甲 今天发货。", "@丙 没人问过", "@甲 一起答。", "聊天区公告", "@丁 谢谢关注"]
        assert b.texts() == ["@乙 包邮。", "@乙 一起答。"]


@pytest.mark.parametrize(("mode", "expected"), [
    ("all", ["@甲 语音回答", "@乙 文字回答", "聊天公告", "@丁 end"]),
    ("chat", ["@乙 文字回答", "聊天公告", "@丁 end"]),
])
async def test_chat_replies_decides_which_replies_reach_the_chat(make_hub, mode, expected) -> None:
    config = {"connectors": {"f": {"type": "fake", "room": "main", "chat_replies": mode}}}
    async with make_hub(plugins=PLUGINS, config=config, builtins=CORE) as hub:
        (f,) = await started(hub, "f")
        await hub.publish(answer("语音回答", [("fake", "甲", "m1")], channel="voice"))
        await hub.publish(answer("文字回答", [("fake", "乙", "m2")], channel="chat"))
        await hub.publish(answer("讲解词", channel="voice", kind="pitch"))  # heard by all, asked by none
        await hub.publish(answer("别的平台的语音", channel="voice", platform="fake"))  # no asker: voice only
        await hub.publish(answer("聊天公告", channel="chat", platform="fake"))
        await hub.publish(answer("end", [("fake", "丁", "m9")], channel="chat"))
        await wait_for(lambda: f.texts()[-1:] == ["@丁 end"])
        assert f.texts() == expected


async def test_chat_replies_none_and_a_platform_without_bot_chat_post_nothing(make_hub) -> None:
    config = {"connectors": {"quiet": {"type": "fake", "room": "main", "chat_replies": "none"},
                             "radio": {"type": "radio", "room": "main"},
                             "o": {"type": "other", "room": "main"}}}
    async with make_hub(plugins=PLUGINS, config=config, builtins=CORE) as hub:
        quiet, radio, o = await started(hub, "quiet", "radio", "o")
        subscribers = {s["name"] for s in hub.bus.stats()}
        assert "connector:o:replies" in subscribers
        assert not {"connector:quiet:replies", "connector:radio:replies"} & subscribers
        for platform in ("fake", "radio", "other"):
            await hub.publish(answer("有货", [(platform, "甲", "m1")], channel="chat"))
        await wait_for(lambda: o.sent)
        assert quiet.attempts == [] and radio.attempts == []
        assert radio.post_chat("直接发", key="k") == 0  # no bot chat there: nothing is ever queued
        status = radio.status()
        assert status["can_send_chat"] is False and "voice only" in status["chat_replies"]
        assert status["outbox"] == radio.outbox_status() and status["outbox"]["queued"] == 0
        assert quiet.status()["chat_replies"] == "none"
