"""The event bus: one bounded queue and one named task per subscriber.

* Each subscriber declares its overflow policy: ``block`` (the publisher waits for room, nothing is lost)
  or ``drop_oldest`` (the oldest queued event is dropped and counted in
  ``livehub_bus_dropped_total{subscriber=...}``).
* A failing handler is reported and the subscriber goes on with the next event; one subscriber never
  stops another.
* :meth:`EventBus.stop` refuses new events, then drains subscribers in reverse start order, so every
  event the bus accepted reaches every ``block`` subscriber.
* A publisher that must know when a subscriber is done with what it published (the recorder: "acknowledged
  means stored") takes :meth:`Subscription.mark` after publishing and awaits :meth:`Subscription.reached`:
  one wait per publisher, answered when the handler finishes the batch that holds its events (group commit).
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge

from hub.counters import FastCounter
from hub.events import Event

log = logging.getLogger("livehub.bus")

Overflow = Literal["block", "drop_oldest"]
Handler = Callable[[Any], Awaitable[None] | None]
ErrorReporter = Callable[[BaseException, str], None]


class BusClosed(RuntimeError):
    """The bus is stopping or stopped and accepts no more events."""


class Subscription:
    """One subscriber: its queue, policy, counters and the task that feeds its handler."""

    def __init__(self, bus: EventBus, name: str, handler: Handler, types: frozenset[str] | None,
                 maxsize: int, overflow: Overflow, batch: int) -> None:
        if overflow not in ("block", "drop_oldest"):
            raise ValueError(f"overflow must be 'block' or 'drop_oldest', not {overflow!r}")
        self.bus, self.name, self.handler, self.types = bus, name, handler, types
        self.maxsize, self.overflow, self.batch = max(1, maxsize), overflow, max(1, batch)
        self.queue: deque[Event] = deque()
        self.dropped = self.delivered = self.errors = 0
        self.enqueued = 0  # events ever queued
        self.handled = 0  # events the handler finished with (delivered, failed or dropped), in queue order
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # (mark, tie-break, future) heap
        self._tie = itertools.count()
        self.task: asyncio.Task[None] | None = None
        self._has_items = asyncio.Event()
        self._has_room = asyncio.Event()
        self._has_room.set()
        self._closing = False
        self._is_async = inspect.iscoroutinefunction(handler)

    def wants(self, event: Event) -> bool:
        return self.types is None or event.type in self.types

    async def put(self, event: Event) -> None:
        while len(self.queue) >= self.maxsize:
            if self.overflow == "drop_oldest":
                self._drop_oldest()
            else:
                self._has_room.clear()
                await self._has_room.wait()
        self.queue.append(event)
        self.enqueued += 1
        self._has_items.set()

    def put_nowait(self, event: Event) -> None:
        """Enqueue without waiting; a ``block`` queue may exceed its bound by these rare events."""
        if len(self.queue) >= self.maxsize and self.overflow == "drop_oldest":
            self._drop_oldest()
        self.queue.append(event)
        self.enqueued += 1
        self._has_items.set()

    def _drop_oldest(self) -> None:
        self.queue.popleft()
        self.dropped += 1
        self.bus._dropped.labels(self.name).inc()
        self._handled(1)

    # -- waiting for the handler ----------------------------------------------------------------

    def mark(self) -> int:
        """A position in this subscriber's stream: every event queued so far is before it."""
        return self.enqueued

    async def reached(self, mark: int) -> None:
        """Return once the handler has finished with every event before ``mark`` (:meth:`mark`).

        Raises :class:`BusClosed` if the subscriber stopped first with some of them undelivered.
        """
        if self.handled >= mark:
            return
        if self.task is None or self.task.done():
            raise BusClosed(f"subscriber {self.name} is not running")
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (mark, next(self._tie), future))
        await future

    def _handled(self, count: int) -> None:
        self.handled += count
        waiters = self._waiters
        while waiters and waiters[0][0] <= self.handled:
            future = heapq.heappop(waiters)[2]
            if not future.done():
                future.set_result(None)

    def _fail_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for _, _, future in waiters:
            if not future.done():
                future.set_exception(BusClosed(f"subscriber {self.name} stopped before handling them"))

    async def _consume(self) -> None:
        queue, batch = self.queue, self.batch
        while True:
            if not queue:
                if self._closing:
                    return
                self._has_items.clear()
                await self._has_items.wait()
                continue
            if batch == 1:
                item: Any = queue.popleft()
            else:
                item = [queue.popleft() for _ in range(min(batch, len(queue)))]
            self._has_room.set()
            count = 1 if batch == 1 else len(item)
            try:
                result = self.handler(item)
                if self._is_async or (result is not None and inspect.isawaitable(result)):
                    await result  # type: ignore[misc]
                self.delivered += count
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.errors += 1
                self.bus._errors.labels(self.name).inc()
                self.bus.report_error(exc, f"bus:{self.name}")
            self._handled(count)

    async def drain(self, timeout: float | None) -> int:
        """Finish what is queued, then end the task. Returns how many events were left undelivered."""
        self._closing = True
        self._has_items.set()
        if self.task is None:
            self._fail_waiters()
            return len(self.queue)
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self.task)
        except TimeoutError:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        self._fail_waiters()
        return len(self.queue)

    def stats(self) -> dict[str, Any]:
        return {"name": self.name, "queued": len(self.queue), "maxsize": self.maxsize,
                "overflow": self.overflow, "delivered": self.delivered, "dropped": self.dropped,
                "errors": self.errors}


class EventBus:
    """Typed publish/subscribe with bounded, policy-bearing queues. See the module docstring."""

    def __init__(self, registry: CollectorRegistry | None = None,
                 on_error: ErrorReporter | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._subs: list[Subscription] = []
        self._started: list[Subscription] = []
        self._running = False
        self._closed = False
        self._on_error = on_error
        self.accepted = 0
        self._dropped = Counter("livehub_bus_dropped", "Events dropped by drop_oldest subscribers",
                                ["subscriber"], registry=self.registry)
        self._errors = Counter("livehub_bus_handler_errors", "Subscriber handler failures",
                               ["subscriber"], registry=self.registry)
        # A lock-free counter (hub.counters), its child per event type kept: paid on every event.
        self._accepted = FastCounter("livehub_bus_accepted", "Events accepted by the bus", ["type"],
                                     registry=self.registry)
        self._accepted_by_type: dict[str, Any] = {}
        depth = Gauge("livehub_bus_queue_depth", "Events queued per subscriber", ["subscriber"],
                      registry=self.registry)
        self._depth = depth

    # -- subscribing ----------------------------------------------------------------------------

    def subscribe(self, name: str, handler: Handler, *, types: Iterable[str] | None = None,
                  maxsize: int = 10_000, overflow: Overflow = "block", batch: int = 1) -> Subscription:
        """Add a subscriber. ``handler`` gets one event (or a list of up to ``batch`` events).

        ``types`` limits it to those event types. Subscribing after :meth:`start` starts it at once.
        """
        if any(s.name == name for s in self._subs):
            raise ValueError(f"a subscriber named {name!r} already exists")
        sub = Subscription(self, name, handler, frozenset(types) if types else None, maxsize, overflow,
                           batch)
        self._subs.append(sub)
        self._depth.labels(name).set_function(lambda: len(sub.queue))
        if self._running:
            self._start_one(sub)
        return sub

    async def unsubscribe(self, sub: Subscription, timeout: float | None = 10.0) -> None:
        """Drain ``sub`` and remove it."""
        if sub in self._subs:
            self._subs.remove(sub)
        await sub.drain(timeout)
        if sub in self._started:
            self._started.remove(sub)
        for metric in (self._depth, self._dropped, self._errors):
            try:
                metric.remove(sub.name)
            except KeyError:
                pass

    # -- publishing -----------------------------------------------------------------------------

    async def publish(self, event: Event) -> None:
        """Offer ``event`` to every interested subscriber. When this returns, the event is accepted.

        Waits while a ``block`` subscriber's queue is full. Raises :class:`BusClosed` once stopping.
        """
        if self._closed:
            raise BusClosed("the bus is stopping")
        kind = event.type
        for sub in self._subs:
            if sub.types is None or kind in sub.types:
                if len(sub.queue) < sub.maxsize:  # room: what put() does, without a coroutine per event
                    sub.queue.append(event)
                    sub.enqueued += 1
                    sub._has_items.set()
                else:
                    await sub.put(event)
        self._count_accepted(kind)

    def publish_nowait(self, event: Event) -> bool:
        """Like :meth:`publish` without waiting (from sync code); False when the bus is closed."""
        if self._closed:
            return False
        for sub in self._subs:
            if sub.wants(event):
                sub.put_nowait(event)
        self._count_accepted(event.type)
        return True

    def _count_accepted(self, kind: str) -> None:
        self.accepted += 1
        counter = self._accepted_by_type.get(kind)
        if counter is None:
            counter = self._accepted_by_type[kind] = self._accepted.labels(kind)
        counter.value += 1

    # -- lifecycle ------------------------------------------------------------------------------

    def _start_one(self, sub: Subscription) -> None:
        sub.task = asyncio.get_running_loop().create_task(sub._consume(), name=f"bus:{sub.name}")
        self._started.append(sub)

    async def start(self) -> None:
        self._running, self._closed = True, False
        for sub in self._subs:
            if sub.task is None:
                self._start_one(sub)

    async def stop(self, timeout: float | None = 30.0) -> int:
        """Refuse new events, then drain subscribers in reverse start order. Returns events lost."""
        self._closed = True
        lost = 0
        started = time.monotonic()
        for sub in reversed(self._started):
            remaining = None if timeout is None else max(0.1, timeout - (time.monotonic() - started))
            left = await sub.drain(remaining)
            if left:
                log.error("bus subscriber %s stopped with %d undelivered events", sub.name, left)
            lost += left
        self._started.clear()
        self._running = False
        return lost

    # -- introspection --------------------------------------------------------------------------

    def report_error(self, exc: BaseException, where: str) -> None:
        if self._on_error is not None:
            self._on_error(exc, where)
        else:
            log.error("%s failed: %s", where, exc, exc_info=exc)

    def stats(self) -> list[dict[str, Any]]:
        return [s.stats() for s in self._subs]

    @property
    def closed(self) -> bool:
        return self._closed
