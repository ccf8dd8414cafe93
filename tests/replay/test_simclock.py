"""The simulated clock of ``livehub replay --fast``: jumps when idle, follows the wall clock when busy."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from hub.clock import RealClock, SimClock, busy, timer


@contextlib.asynccontextmanager
async def driven(clock: SimClock) -> AsyncIterator[SimClock]:
    task = asyncio.get_running_loop().create_task(clock.run(), name="test-simclock")
    try:
        yield clock
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_hour_of_sleep_takes_no_time() -> None:
    async with driven(SimClock(start=100.0)) as clock:
        started = time.monotonic()
        await clock.sleep(3600)
        assert clock.now() == 3700.0
        assert time.monotonic() - started < 5  # generous: an hour must not be waited out


async def test_sleepers_wake_in_order_at_their_own_time() -> None:
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float, clock: SimClock) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    async with driven(SimClock()) as clock:
        await asyncio.gather(*(sleeper(n, s, clock) for n, s in (("c", 30), ("a", 10), ("b", 20), ("a2", 10))))
    assert woke == [("a", 10), ("a2", 10), ("b", 20), ("c", 30)]


async def test_busy_work_counts_its_real_duration() -> None:
    async with driven(SimClock()) as clock:
        before = clock.now()
        with clock.busy():
            await asyncio.sleep(0.2)  # real work, e.g. an LLM call
        assert clock.now() - before >= 0.2


async def test_time_does_not_jump_past_timers_while_busy() -> None:
    order: list[str] = []

    async def sleeper(clock: SimClock) -> None:
        await clock.sleep(50)
        order.append(f"sleeper woke at {clock.now():.0f}")

    async with driven(SimClock()) as clock:
        task = asyncio.get_running_loop().create_task(sleeper(clock), name="test-sleeper")
        with busy(clock):
            await asyncio.sleep(0.1)
            order.append("busy work done")
        await task
    assert order == ["busy work done", "sleeper woke at 50"]


async def test_time_waits_for_the_idle_checks() -> None:
    ready = False
    clock = SimClock()
    clock.add_idle_check(lambda: ready)
    async with driven(clock):
        sleeping = asyncio.get_running_loop().create_task(clock.sleep(5), name="test-sleep")
        await asyncio.sleep(0.05)
        assert not sleeping.done() and clock.now() == 0
        ready = True
        await sleeping
        assert clock.now() == 5


async def test_cancelled_timers_are_forgotten() -> None:
    async with driven(SimClock()) as clock:
        forgotten = clock.timer(10)
        forgotten.cancel()
        await clock.sleep(20)
        assert clock.now() == 20 and clock.pending_timers == 0


@pytest.mark.parametrize("make", [RealClock, SimClock])
async def test_timer_and_busy_work_on_both_clocks(make) -> None:
    clock = make()
    async with contextlib.AsyncExitStack() as stack:
        if isinstance(clock, SimClock):
            await stack.enter_async_context(driven(clock))
        start = clock.now()
        await timer(clock, 0.01)
        with busy(clock):
            pass
        assert clock.now() - start >= 0.01
