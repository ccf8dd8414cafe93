"""Time as the hub's parts see it. Live runs use :class:`RealClock`; ``livehub replay --fast`` swaps in a
:class:`SimClock` so that windows, expiry and speaking budgets behave as live, only faster.

Anything that waits or stamps times in the conversation and media pipelines takes a :class:`Clock`
instead of calling ``time`` or ``asyncio.sleep`` directly. Two optional extras, used through the module
functions :func:`timer` and :func:`busy` so that any object with ``now``/``sleep`` still works:

* ``timer(seconds)`` — a future that resolves after ``seconds`` on this clock (cancel it to forget it),
  so a loop can wait for "new work or a deadline" without a helper task;
* ``busy()`` — a context manager around real work whose duration must count (an LLM call, a review
  that writes the audit log): a simulated clock runs at wall-clock pace while anyone is busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on this clock (monotonic; only differences mean anything)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class RealClock:
    """The wall clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def timer(self, seconds: float) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(max(0.0, seconds), _resolve, future)
        future.add_done_callback(lambda _f: handle.cancel())
        return future

    def busy(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class SimClock:
    """A simulated clock for replays: time jumps to the next timer as soon as the program is idle.

    "Idle" means nothing else is ready to run on the event loop (checked over a few loop turns) and
    every check added with :meth:`add_idle_check` agrees (the replay adds "the triage queue of the bus
    is empty"). While any code is inside :meth:`busy`, the clock instead runs at wall-clock pace, so the
    real duration of an LLM call or of a database write shows in the simulated timeline.

    :meth:`run` is the driver; the owner starts it as a named task and cancels it when done.
    """

    def __init__(self, start: float = 0.0, *, idle_rounds: int = 3) -> None:
        self._virtual = float(start)
        self._busy = 0
        self._anchor = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._waiter: asyncio.Future[None] | None = None
        self._idle_checks: list[Callable[[], bool]] = []
        self.idle_rounds = max(1, idle_rounds)
        self.jumps = 0

    # -- the Clock protocol ---------------------------------------------------------------------

    def now(self) -> float:
        if self._busy:
            return self._virtual + (time.monotonic() - self._anchor)
        return self._virtual

    async def sleep(self, seconds: float) -> None:
        future = self.timer(seconds)
        try:
            await future
        finally:
            if not future.done():
                future.cancel()

    def timer(self, seconds: float) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now() + max(0.0, seconds), next(self._seq), future))
        self._poke()
        return future

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Count the block's wall-clock time (see the class docstring)."""
        if self._busy == 0:
            self._anchor = time.monotonic()
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._virtual += time.monotonic() - self._anchor
            self._poke()

    # -- driving --------------------------------------------------------------------------------

    def add_idle_check(self, check: Callable[[], bool]) -> None:
        """Time may only jump while ``check()`` is true (e.g. "no event waits to be processed")."""
        self._idle_checks.append(check)

    @property
    def pending_timers(self) -> int:
        return sum(1 for _, _, f in self._timers if not f.done())

    async def run(self) -> None:
        """Advance time forever: jump to the next timer when idle, follow the wall clock when busy."""
        while True:
            self._drop_done()
            if self._busy:
                delay = self._timers[0][0] - self.now() if self._timers else None
                if delay is None or delay > 0:
                    await self._wait_change(delay)
                    continue
                self._fire_due()
                continue
            if not await self._settled() or self._busy:
                continue
            self._drop_done()
            if not self._timers:
                await self._wait_change(None)
                continue
            deadline = self._timers[0][0]
            if deadline > self._virtual:
                self._virtual = deadline
                self.jumps += 1
            self._fire_due()

    async def _settled(self) -> bool:
        loop = asyncio.get_running_loop()
        for _ in range(self.idle_rounds):
            await asyncio.sleep(0)
            if getattr(loop, "_ready", ()) or not all(check() for check in self._idle_checks):
                return False
        return True

    def _fire_due(self) -> None:
        now = self.now()
        while self._timers and self._timers[0][0] <= now + 1e-9:
            _, _, future = heapq.heappop(self._timers)
            _resolve(future)

    def _drop_done(self) -> None:
        while self._timers and self._timers[0][2].done():
            heapq.heappop(self._timers)

    async def _wait_change(self, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        handle = loop.call_later(timeout, _resolve, self._waiter) if timeout is not None else None
        try:
            await self._waiter
        finally:
            if handle is not None:
                handle.cancel()
            self._waiter = None

    def _poke(self) -> None:
        if self._waiter is not None:
            _resolve(self._waiter)


def timer(clock: Any, seconds: float) -> asyncio.Future[Any]:
    """A future resolving after ``seconds`` on ``clock`` (any object with ``sleep`` will do)."""
    make = getattr(clock, "timer", None)
    if make is not None:
        return make(seconds)
    return asyncio.get_running_loop().create_task(clock.sleep(seconds), name="clock-timer")


def busy(clock: Any) -> contextlib.AbstractContextManager[None]:
    """``clock.busy()`` if the clock has it, else a no-op context manager."""
    make = getattr(clock, "busy", None)
    return make() if make is not None else contextlib.nullcontext()
