"""A circuit breaker: stop calling what keeps failing, and try it again now and then.

A dependency that is down, or that accepts connections and never answers, costs every caller its full
deadline. The breaker watches the outcome of each call and, after ``failures`` consecutive failures,
*opens*: callers then skip the dependency at once (:meth:`CircuitBreaker.allow` says False) instead of
waiting for it. After a cool-down it goes *half-open* and lets ONE probe call through; a success closes
it, a failure opens it again with a longer cool-down (doubled each time, with jitter, up to
``cooldown_max_s``). One log line when it opens, one when it closes; never one per call.

The breaker knows nothing about what it guards: the owner (e.g. :class:`hub.answer_chain.AnswerChain`,
one breaker per backend) asks :meth:`~CircuitBreaker.allow` before a call and reports
:meth:`~CircuitBreaker.success`, :meth:`~CircuitBreaker.failure` or :meth:`~CircuitBreaker.abandon`
after it. Time comes from an injectable ``clock`` (seconds, monotonic), so tests drive it by hand.
Loop-only: not thread-safe.
"""

from __future__ import annotations

import logging
import random as _random
import time
from collections.abc import Callable
from typing import Any

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
STATES = (CLOSED, HALF_OPEN, OPEN)
STATE_VALUES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}
"""The state as a number, for a gauge: 0 closed, 1 half-open, 2 open."""

log = logging.getLogger("livehub.breaker")


class CircuitBreaker:
    """See the module docstring. ``failures=0`` turns the breaker off (every call is allowed).

    ``on_change(breaker, old_state, new_state)`` is called on every state change (metrics);
    ``jitter`` spreads each cool-down by up to that fraction either way (``random()`` in [0, 1) picks
    where), so breakers of several hubs on one server do not probe it in step.
    """

    def __init__(self, name: str, *, failures: int = 3, cooldown_s: float = 30.0, cooldown_max_s: float = 300.0,
                 jitter: float = 0.1, clock: Callable[[], float] = time.monotonic,
                 random: Callable[[], float] = _random.random,
                 on_change: Callable[[CircuitBreaker, str, str], None] | None = None,
                 logger: logging.Logger | None = None, what: str = "") -> None:
        if failures < 0:
            raise ValueError("failures must be 0 (off) or more")
        if cooldown_s <= 0 or cooldown_max_s <= 0:
            raise ValueError("cool-downs must be positive")
        if not 0 <= jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        self.name = name
        self.what = what or name
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.cooldown_max_s = max(cooldown_max_s, cooldown_s)
        self.jitter = jitter
        self.clock = clock
        self.random = random
        self.on_change = on_change
        self.log = logger or log
        self.short_circuited = 0  # calls refused while open (or while a probe was out)
        self.opens = 0  # times it opened (re-openings after a failed probe included)
        self.reset()

    def reset(self) -> None:
        """Back to closed with no history of failures (counters of refused calls and openings are kept)."""
        self.state = CLOSED
        self.consecutive_failures = 0
        self.reopens = 0  # failed probes in a row: the cool-down doubles with each
        self.opened_at: float | None = None  # on the clock
        self.opened_wall: float | None = None  # time.time(), for people
        self.retry_at: float | None = None  # on the clock: when the next probe may go
        self.current_cooldown: float | None = None
        self.last_error = ""
        self._probing = False

    @property
    def enabled(self) -> bool:
        return self.threshold > 0

    # -- the calls --------------------------------------------------------------------------------

    def allow(self) -> bool:
        """Whether a call may go now. Open: no, until the cool-down has passed; then the breaker is
        half-open and the first caller gets the one probe call, the others no until it reports back.
        A caller that is refused is counted (:attr:`short_circuited`)."""
        if not self.enabled or self.state == CLOSED:
            return True
        if self.state == OPEN:
            if self.retry_at is not None and self.clock() < self.retry_at:
                self.short_circuited += 1
                return False
            self._set(HALF_OPEN)
        if self._probing:
            self.short_circuited += 1
            return False
        self._probing = True
        return True

    def success(self) -> None:
        """The call worked: the breaker closes (and forgets the failures)."""
        self.consecutive_failures = 0
        self._probing = False
        if self.state != CLOSED:
            was_open_for = self.clock() - self.opened_at if self.opened_at is not None else 0.0
            self.reopens = 0
            self.opened_at = self.opened_wall = self.retry_at = self.current_cooldown = None
            self._set(CLOSED)
            self.log.info("%s: circuit closed, it answers again (was open %.0f s)", self.what, was_open_for)

    def failure(self, reason: str = "") -> None:
        """The call failed (an error, a missed deadline, nothing said). The ``failures``-th in a row opens
        the breaker; a failed probe opens it again for longer."""
        self.consecutive_failures += 1
        self.last_error = reason[:200]
        if not self.enabled:
            return
        if self.state == HALF_OPEN:
            self._probing = False
            self.reopens += 1
            self._open()
        elif self.state == CLOSED and self.consecutive_failures >= self.threshold:
            self._open()
        # OPEN: a call let through before it opened failed late; it stays open, its cool-down unchanged

    def abandon(self) -> None:
        """The caller gave up on the call (its own time ran out, or it stopped): it says nothing about
        what was called. A probe that was out is given back, so the next call probes."""
        self._probing = False

    # -- state ------------------------------------------------------------------------------------

    def retry_in(self) -> float | None:
        """Seconds until an open breaker lets a probe through (0: the next call probes); None unless open."""
        if self.state != OPEN or self.retry_at is None:
            return None
        return max(0.0, self.retry_at - self.clock())

    def status(self) -> dict[str, Any]:
        """The state for a status page: state, consecutive failures, threshold, when it opened (epoch
        seconds), seconds until the next probe, the current cool-down and the counters."""
        retry_in = self.retry_in()
        return {"state": self.state, "failures": self.consecutive_failures, "threshold": self.threshold,
                "opened_at": round(self.opened_wall, 3) if self.opened_wall is not None else None,
                "retry_in_s": round(retry_in, 3) if retry_in is not None else None,
                "cooldown_s": round(self.current_cooldown, 3) if self.current_cooldown is not None else None,
                "short_circuited": self.short_circuited, "opens": self.opens, "last_error": self.last_error}

    def _open(self) -> None:
        now = self.clock()
        base = min(self.cooldown_max_s, self.cooldown_s * 2.0 ** min(self.reopens, 32))
        spread = 1.0 + self.jitter * (2.0 * self.random() - 1.0)
        self.current_cooldown = min(self.cooldown_max_s, base * spread)
        self.retry_at = now + self.current_cooldown
        if self.opened_at is None:  # a re-opening after a failed probe keeps the first opening's time
            self.opened_at, self.opened_wall = now, time.time()
        self.opens += 1
        self._set(OPEN)
        if self.reopens:
            self.log.warning("%s: circuit open again, the probe failed (%s); skipping it for %.0f s",
                             self.what, self.last_error or "no reason", self.current_cooldown)
        else:
            self.log.warning("%s: circuit open after %d failures in a row (last: %s); skipping it for %.0f s",
                             self.what, self.consecutive_failures, self.last_error or "no reason",
                             self.current_cooldown)

    def _set(self, state: str) -> None:
        old, self.state = self.state, state
        if old != state and self.on_change is not None:
            try:
                self.on_change(self, old, state)
            except Exception as exc:  # a metrics hook must never break the caller
                self.log.debug("%s: breaker on_change failed: %s", self.what, exc)
