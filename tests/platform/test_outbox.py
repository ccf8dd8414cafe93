"""The outgoing chat queue: rate limit, splitting, the platform's word list, retries and counts.

The fake platform's clock moves only when the outbox waits on it, so the times asserted here are exact
and nothing sleeps for real.
"""

from __future__ import annotations

import asyncio

from hub.platform import ChatRateLimited, ChatRejected
from hub.testing import wait_for
from tests.platform.fakes import CORE, FakePlatforms, answer

PLUGINS = [("fake-platforms", FakePlatforms())]


def config(**settings):
    return {"connectors": {"f": {"type": "fake", "room": "main", **settings}}}


async def fake(hub):
    connector = hub.connectors["f"]
    assert await connector.wait_ready(5)
    return connector


def sent_metric(hub, outcome: str) -> float:
    return hub.metrics.get_sample_value("livehub_connector_chat_messages_total",
                                        {"connector": "f", "outcome": outcome}) or 0.0


async def test_messages_leave_at_the_platforms_rate_and_waiting_ones_count_as_delayed(make_hub) -> None:
    async with make_hub(plugins=PLUGINS, config=config(), builtins=CORE) as hub:  # 1 a second, burst 1
        f = await fake(hub)
        for i in range(4):
            await hub.publish(answer(f"第{i}条。", [("fake", "甲", f"m{i}")]))
        await wait_for(lambda: len(f.sent) == 4)
        assert [t for t, _ in f.sent] == [0.0, 1.0, 2.0, 3.0]
        assert f.outbox_status()["delayed"] == 3 and f.outbox_status()["sent"] == 4
        assert sent_metric(hub, "sent") == 4 and sent_metric(hub, "delayed") == 3


async def test_the_settings_override_the_platforms_rate_and_burst(make_hub) -> None:
    async with make_hub(plugins=PLUGINS, config=config(chat_rate_per_s=4, chat_burst=2), builtins=CORE) as hub:
        f = await fake(hub)
        for i in range(5):
            await hub.publish(answer(f"第{i}条。", [("fake", "甲", f"m{i}")]))
        await wait_for(lambda: len(f.sent) == 5)
        assert [t for t, _ in f.sent] == [0.0, 0.0, 0.25, 0.5, 0.75]
        assert f.outbox_status()["delayed"] == 3


async def test_a_long_answer_is_split_on_sentence_and_clause_boundaries_to_the_platforms_maximum(make_hub) -> None:
    text = ("这款乌龙茶产自福建高山茶园。每年春天采摘一次，手工炒制。现在下单送一个玻璃杯！"
            "库存还有三十件，欢迎大家下单购买支持一下我们的小店铺吧。")
    async with make_hub(plugins=PLUGINS, config=config(chat_max_chars=30), builtins=CORE) as hub:
        f = await fake(hub)
        reply = answer(text, [("fake", "小雨", "m1")])
        await hub.publish(reply)
        await wait_for(lambda: len(f.sent) == 4)
        assert f.texts() == ["@小雨 这款乌龙茶产自福建高山茶园。",
                             "@小雨 每年春天采摘一次，手工炒制。现在下单送一个玻璃杯！",  # two sentences packed
                             "@小雨 库存还有三十件，",  # one too long: cut at its comma, nothing lost
                             "@小雨 欢迎大家下单购买支持一下我们的小店铺吧。"]
        assert all(len(t) <= 30 for t in f.texts())
        assert [m.key for _, m in f.sent] == [f"{reply.id}:{n}" for n in range(4)]


async def test_the_platforms_word_list_rewrites_or_drops_and_never_sends_a_banned_term(make_hub, tmp_path) -> None:
    lists = tmp_path / "prompts" / "zh-CN" / "banned" / "platform"
    lists.mkdir(parents=True)
    (lists / "fake.txt").write_text("秒杀 => 限时活动\n私人号码\n", encoding="utf-8")
    settings = {**config(), "hub": {"prompts_dir": str(tmp_path / "prompts")}}
    async with make_hub(plugins=PLUGINS, config=settings, builtins=CORE) as hub:
        f = await fake(hub)
        await hub.publish(answer("今晚八点秒杀。", [("fake", "甲", "m1")]))
        await hub.publish(answer("打我私人号码问。", [("fake", "乙", "m2")]))  # this platform's list
        await hub.publish(answer("加微信领券。", [("fake", "丙", "m3")]))  # the list of every platform
        await hub.publish(answer("有货。", [("fake", "加微信送礼", "m4")]))  # a banned name is not repeated
        await hub.publish(answer("end", [("fake", "丁", "m5")]))
        await wait_for(lambda: f.texts()[-1:] == ["@丁 end"])
        assert f.texts() == ["@甲 今晚八点限时活动。", "有货。", "@丁 end"]
        status = f.outbox_status()
        assert (status["dropped"], status["drops"], status["rewritten"]) == (2, {"banned": 2}, 1)
        assert sent_metric(hub, "dropped") == 2


async def test_a_transient_error_is_retried_with_the_same_key_until_it_goes_or_fails(make_hub) -> None:
    async with make_hub(plugins=PLUGINS, config=config(), builtins=CORE) as hub:
        f = await fake(hub)
        f.faults = [ConnectionResetError("reset"), TimeoutError()]
        await hub.publish(answer("第一条", [("fake", "甲", "m1")]))
        await wait_for(lambda: len(f.sent) == 1)
        keys = [m.key for _, m in f.attempts]
        assert len(keys) == 3 and len(set(keys)) == 1
        backoffs = f.clock.sleeps
        assert len(backoffs) == 2 and all(f.chat_retry_base <= s <= f.chat_retry_cap for s in backoffs)

        f.faults = [OSError("down")] * f.chat_attempts
        await hub.publish(answer("第二条", [("fake", "甲", "m2")]))
        await hub.publish(answer("第三条", [("fake", "甲", "m3")]))
        await wait_for(lambda: len(f.sent) == 2)
        assert f.texts() == ["@甲 第一条", "@甲 第三条"]
        assert sum(1 for _, m in f.attempts if m.text == "@甲 第二条") == f.chat_attempts
        status = f.outbox_status()
        assert (status["sent"], status["failed"], status["dropped"]) == (2, 1, 0)
        assert "OSError: down" in status["last_error"]


async def test_slow_down_waits_as_told_and_a_refusal_is_dropped_not_retried(make_hub) -> None:
    async with make_hub(plugins=PLUGINS, config=config(), builtins=CORE) as hub:
        f = await fake(hub)
        f.faults = [ChatRateLimited(7.0)]
        await hub.publish(answer("慢一点", [("fake", "甲", "m1")]))
        await wait_for(lambda: len(f.sent) == 1)
        assert [t for t, _ in f.attempts] == [0.0, 7.0]  # the first try, then again after retry_after
        assert f.outbox_status()["delayed"] == 1

        f.faults = [ChatRejected("contains a link")]
        await hub.publish(answer("被拒", [("fake", "乙", "m2")]))
        await hub.publish(answer("正常", [("fake", "丙", "m3")]))
        await wait_for(lambda: len(f.sent) == 2)
        assert [m.text for _, m in f.attempts].count("@乙 被拒") == 1
        status = f.outbox_status()
        assert (status["sent"], status["dropped"], status["drops"], status["failed"]) == (2, 1, {"rejected": 1}, 0)


async def test_a_full_queue_drops_its_oldest_message_and_counts_it(make_hub) -> None:
    async with make_hub(plugins=PLUGINS, config=config(), builtins=CORE) as hub:
        f = await fake(hub)
        gate, holding = asyncio.Event(), []
        original = f.send_chat

        async def held(message):
            holding.append(message)
            await gate.wait()
            return await original(message)

        f.outbox.send = held
        f.outbox.max_queue = 2
        await hub.publish(answer("第0条", [("fake", "甲", "m0")]))
        await wait_for(lambda: holding)  # being sent (waiting at the gate)
        for i in range(1, 5):  # 1..4 into a queue of 2
            await hub.publish(answer(f"第{i}条", [("fake", "甲", f"m{i}")]))
        await wait_for(lambda: f.outbox_status()["dropped"] == 2)
        assert f.outbox_status()["queued"] == 2 and f.outbox_status()["drops"] == {"overflow": 2}
        gate.set()
        await wait_for(lambda: len(f.sent) == 3)
        assert f.texts() == ["@甲 第0条", "@甲 第3条", "@甲 第4条"]
        assert hub.status()["connectors"][0]["outbox"]["sent"] == 3


async def test_messages_unsent_when_the_connector_stops_are_counted_the_one_in_flight_too(make_hub) -> None:
    async with make_hub(plugins=PLUGINS, config=config(), builtins=CORE) as hub:
        f = await fake(hub)
        holding = []

        async def hangs(message):
            holding.append(message)
            await asyncio.Event().wait()

        f.outbox.send = hangs
        for i in range(3):
            await hub.publish(answer(f"第{i}条", [("fake", "甲", f"m{i}")]))
        await wait_for(lambda: holding and f.outbox_status()["queued"] == 2)
        outbox = f.outbox
    status = outbox.status()  # the hub stopped: one was being sent, two were waiting
    assert (status["sent"], status["dropped"], status["queued"]) == (0, 3, 0)
    assert status["drops"] == {"stopped": 3}
