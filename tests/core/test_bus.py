"""The bus: bounded queues with declared overflow, isolation, draining in reverse start order."""

import asyncio

import pytest
from prometheus_client import generate_latest

from hub.bus import BusClosed, EventBus
from hub.testing import comment, make_event, wait_for


async def test_block_subscriber_gets_every_event_in_order():
    bus = EventBus()
    got = []
    bus.subscribe("slow", got.append, maxsize=3, overflow="block")
    await bus.start()
    events = [comment(f"c{i}") for i in range(50)]
    for event in events:
        await bus.publish(event)
    await bus.stop()
    assert [e.text for e in got] == [e.text for e in events]


async def test_block_policy_makes_the_publisher_wait_for_room():
    bus = EventBus()
    gate = asyncio.Event()
    got = []

    async def handler(event):
        await gate.wait()
        got.append(event)

    bus.subscribe("gated", handler, maxsize=2, overflow="block")
    await bus.start()
    await bus.publish(comment("a"))  # taken by the consumer, which then waits at the gate
    await bus.publish(comment("b"))
    await bus.publish(comment("c"))
    publisher = asyncio.create_task(bus.publish(comment("d")))
    await asyncio.sleep(0.05)
    assert not publisher.done(), "a full block queue must make the publisher wait"
    gate.set()
    await asyncio.wait_for(publisher, 5)
    await bus.stop()
    assert [e.text for e in got] == ["a", "b", "c", "d"]


async def test_drop_oldest_counts_and_exports_drops():
    bus = EventBus()
    gate = asyncio.Event()
    got = []

    async def handler(event):
        await gate.wait()
        got.append(event.text)

    bus.subscribe("viewer", handler, maxsize=2, overflow="drop_oldest")
    await bus.start()
    for i in range(10):
        await bus.publish(comment(f"c{i}"))
    gate.set()
    await bus.stop()
    sub = bus.stats()[0]
    assert sub["dropped"] == len([f"c{i}" for i in range(10)]) - len(got)
    assert got[-2:] == ["c8", "c9"], "the newest events survive"
    metrics = generate_latest(bus.registry).decode()
    assert f'livehub_bus_dropped_total{{subscriber="viewer"}} {float(sub["dropped"])}' in metrics


async def test_a_failing_subscriber_never_stops_another():
    errors = []
    bus = EventBus(on_error=lambda exc, where: errors.append(where))
    good = []

    def bad(event):
        raise RuntimeError("boom")

    bus.subscribe("bad", bad)
    bus.subscribe("good", good.append)
    await bus.start()
    for i in range(5):
        await bus.publish(comment(f"c{i}"))
    await bus.stop()
    assert len(good) == 5
    assert errors == ["bus:bad"] * 5


async def test_stop_drains_in_reverse_start_order_and_refuses_new_events():
    bus = EventBus()
    handled = {"first": 0, "second": 0, "third": 0}

    def make(name, delay):
        async def handler(event):
            await asyncio.sleep(delay)
            handled[name] += 1
        return handler

    subs = [bus.subscribe("first", make("first", 0)), bus.subscribe("second", make("second", 0.01))]
    await bus.start()
    subs.append(bus.subscribe("third", make("third", 0.02)))  # started last
    ended = []
    for sub in subs:
        sub.task.add_done_callback(lambda t, name=sub.name: ended.append(name))
    for _ in range(5):
        await bus.publish(comment("x"))
    assert await bus.stop() == 0
    assert handled == {"first": 5, "second": 5, "third": 5}, "every accepted event was delivered"
    assert ended == ["third", "second", "first"]
    with pytest.raises(BusClosed):
        await bus.publish(comment("late"))


async def test_types_filter_and_batches():
    bus = EventBus()
    batches = []
    bus.subscribe("batched", batches.append, types={"comment"}, batch=4)
    await bus.start()
    from hub.testing import make_event

    await bus.publish(make_event("like", count=3))
    for i in range(9):
        await bus.publish(comment(f"c{i}"))
    await wait_for(lambda: sum(len(b) for b in batches) == 9)
    await bus.stop()
    assert all(isinstance(b, list) and len(b) <= 4 for b in batches)
    assert all(e.type == "comment" for b in batches for e in b)


async def test_accepted_events_are_counted_per_type_on_both_publish_paths():
    bus = EventBus()
    got = []
    bus.subscribe("all", got.append)
    await bus.start()
    for text in ("a", "b", "c"):
        await bus.publish(comment(text))
    like = make_event("like", count=3)
    await bus.publish(like)
    assert bus.publish_nowait(like) and bus.publish_nowait(comment("d"))
    await bus.stop()
    assert len(got) == 6 and bus.accepted == 6
    assert bus.registry.get_sample_value("livehub_bus_accepted_total", {"type": "comment"}) == 4.0
    assert bus.registry.get_sample_value("livehub_bus_accepted_total", {"type": "like"}) == 2.0
