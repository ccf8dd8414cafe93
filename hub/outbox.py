"""A platform connector's outgoing chat: a bounded queue drained by one task, within the platform's rate.

:class:`Outbox` takes :class:`ChatMessage` objects (already split, mentioned and checked by the
connector), keeps at most ``max_queue`` of them (a full queue drops its oldest, counted) and posts them
one at a time through the connector's ``send_chat``:

* **rate**: a :class:`hub.ratelimit.TokenBucket` (``rate`` a second, ``burst`` at once); a message that
  has to wait for a token counts as ``delayed``;
* **retries**: any error other than :class:`ChatRejected` is transient: the same message (same
  idempotency ``key``) is sent again after a capped, jittered backoff, up to ``attempts`` times, then
  counted ``failed``; a send that takes longer than ``timeout`` counts as such an error;
* :class:`ChatRateLimited` (the platform said "slow down"): wait ``retry_after``, spend the saved-up
  burst, send again (counted ``delayed``; after :data:`MAX_RATE_LIMITED` such answers, ``failed``);
* :class:`ChatRejected` (a permanent refusal: banned by the platform, message too long, chat closed): the
  message is dropped, never retried;
* **stop**: what is still queued, and the message being sent, are not kept: counted ``dropped`` (reason
  ``stopped``) with one warning.

Counts (``sent``, ``delayed``, ``dropped``, ``failed``, ``queued``, ``rewritten``) are in :meth:`status` and
in the metrics ``livehub_connector_chat_messages_total{connector, outcome}`` and
``livehub_connector_chat_queued{connector}``. Every wait uses the connector's clock, so tests run on a
simulated one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge

from hub.connector import Backoff
from hub.events import Asker
from hub.ratelimit import TokenBucket

if TYPE_CHECKING:
    from hub.app import Hub
    from hub.clock import Clock

log = logging.getLogger("livehub.connector")

MAX_RATE_LIMITED = 10
""""Slow down" answers one message may get before it counts as failed."""
OUTCOMES = ("sent", "delayed", "dropped", "failed", "rewritten")


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message for a platform's chat, ready to post as it is.

    ``text`` is reviewed, within the platform's maximum length, mention included; ``key`` is the
    idempotency key, the same on every retry (``"<reply id>:<part>"``): a platform that takes one
    de-duplicates on it. ``reply_to`` is the asker to thread or mention, if any; ``reply_id`` the
    :class:`hub.events.Reply` it comes from, ``kind`` that reply's kind (answer, thanks, ...)."""

    text: str
    key: str
    reply_to: Asker | None = None
    reply_id: str = ""
    kind: str = ""


class ChatRateLimited(Exception):
    """The platform said "slow down": try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, message: str = "") -> None:
        super().__init__(message or f"rate limited; retry after {retry_after:g} s")
        self.retry_after = max(0.0, float(retry_after))


class ChatRejected(Exception):
    """The platform refused the message for good (its own filter, too long, chat closed): not retried."""


Send = Callable[[ChatMessage], Awaitable[str | None]]


class Outbox:
    """See the module docstring. ``start()`` once the hub runs; ``stop()`` cancels the drain task."""

    def __init__(self, hub: Hub, name: str, send: Send, *, rate: float, burst: int, clock: Clock,
                 max_queue: int = 100, attempts: int = 5, timeout: float = 15.0,
                 retry_base: float = 0.5, retry_cap: float = 30.0) -> None:
        self.hub, self.name, self.send, self.clock = hub, name, send, clock
        self.bucket = TokenBucket(rate, burst, now=clock.now())
        self.max_queue, self.attempts, self.timeout = max(1, max_queue), max(1, attempts), timeout
        self.retry_base, self.retry_cap = retry_base, retry_cap
        self.queue: deque[ChatMessage] = deque()
        self.counts: Tally[str] = Tally()
        self.drops: Tally[str] = Tally()
        self.sent_log: deque[tuple[ChatMessage, str | None]] = deque(maxlen=50)
        self.last_error = ""
        self._wake = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None
        self._current: ChatMessage | None = None  # taken from the queue, not yet posted
        self._metric = hub.metric(Counter, "livehub_connector_chat_messages",
                                  "Chat messages of platform connectors, by outcome", ["connector", "outcome"])
        for outcome in OUTCOMES:
            self._metric.labels(name, outcome)
        hub.metric(Gauge, "livehub_connector_chat_queued", "Chat messages waiting to be posted",
                   ["connector"]).labels(name).set_function(lambda: len(self.queue))

    # -- queueing ---------------------------------------------------------------------------------

    def put(self, message: ChatMessage) -> None:
        """Queue ``message``; a full queue loses its oldest message (counted ``dropped``, ``overflow``)."""
        while len(self.queue) >= self.max_queue:
            old = self.queue.popleft()
            self.drop("overflow", f"queue full: dropped {old.key}")
        self.queue.append(message)
        self._wake.set()

    def count(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n
        self._metric.labels(self.name, outcome).inc(n)

    def drop(self, reason: str, detail: str = "") -> None:
        """Count one message that will not be posted, and why (``overflow``, ``banned``, ``rejected``)."""
        self.count("dropped")
        self.drops[reason] += 1
        if detail:
            log.info("connector %s: chat message dropped (%s): %s", self.name, reason, detail)

    # -- running ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = self.hub.create_task(self._drain(), name=f"connector:{self.name}:outbox")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        unsent = ([self._current] if self._current is not None else []) + list(self.queue)
        self._current = None
        self.queue.clear()
        if unsent:
            log.warning("connector %s stopped with %d chat messages unsent", self.name, len(unsent))
            for _ in unsent:
                self.drop("stopped")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _drain(self) -> None:
        while True:
            if not self.queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            message = self._current = self.queue.popleft()
            wait = self.bucket.reserve(self.clock.now())
            if wait > 0:
                self.count("delayed")
                await self.clock.sleep(wait)
            await self.deliver(message, delayed=wait > 0)
            self._current = None

    async def deliver(self, message: ChatMessage, *, delayed: bool = False) -> bool:
        """Post ``message`` with retries (see the module docstring); True once the platform took it."""
        backoff = Backoff(self.retry_base, self.retry_cap)
        failures = limited = 0
        while True:
            try:
                async with asyncio.timeout(self.timeout):
                    platform_id = await self.send(message)
            except asyncio.CancelledError:
                raise
            except ChatRejected as exc:
                self.last_error = f"rejected: {exc}"
                self.drop("rejected", f"{message.key}: {exc}")
                return False
            except ChatRateLimited as exc:
                limited += 1
                self.last_error = f"rate limited: {exc}"
                if limited > MAX_RATE_LIMITED:
                    return self._failed(message, exc)
                if not delayed:
                    delayed = True
                    self.count("delayed")
                await self.clock.sleep(exc.retry_after)
                self.bucket.empty(self.clock.now())
                continue
            except Exception as exc:  # transient: the same message, same key, again
                failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                if failures >= self.attempts:
                    return self._failed(message, exc)
                await self.clock.sleep(backoff.next_delay())
                continue
            self.count("sent")
            self.sent_log.append((message, platform_id))
            return True

    def _failed(self, message: ChatMessage, exc: BaseException) -> bool:
        self.count("failed")
        log.warning("connector %s: chat message %s not posted: %s: %s", self.name, message.key,
                    type(exc).__name__, exc)
        return False

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {outcome: self.counts[outcome] for outcome in OUTCOMES}
        out.update(queued=len(self.queue), drops=dict(self.drops), last_error=self.last_error)
        return out
