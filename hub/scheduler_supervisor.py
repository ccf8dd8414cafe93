"""The scheduler's supervisor: explicit states, capped jittered restarts, one log line each way.

APScheduler 4 gives up when its database connection breaks in a way its own retries do not cover (a
connection closed in the middle of a query raises ``DBAPIError``, which it does not retry): it logs
"Scheduler crashed" and stops for good. The hub's scheduler therefore runs APScheduler the way a
connector runs its client (:mod:`hub.connector`): each *incarnation* (data store, event broker,
``AsyncScheduler``) runs until it fails, and the supervisor starts a new one after a capped
exponential backoff with full jitter, on the same database and with the same scheduler identity.

States, named as the connectors' (:class:`hub.connector.State`): ``starting`` → ``ready`` ⇄
``retrying`` → ``stopped``. A failure is logged once (WARNING) when ``ready`` turns ``retrying``,
and the recovery once (INFO); the attempts in between are not logged above DEBUG. APScheduler's own
per-attempt lines ("Temporary data store error", "Scheduler crashed", the event broker's
"Connection error") are DEBUG for the same reason. The state is in :meth:`SchedulerSupervisor.status`
(``GET /api/v1/status``) and in the gauge ``livehub_scheduler_state{state=…}``.

This module imports nothing of APScheduler, so the schedule API can name :class:`SchedulerUnavailable`
without loading it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from hub.connector import Backoff, State
from hub.errors import LiveHubError

log = logging.getLogger("livehub.scheduler")

APSCHEDULER_LOG = logging.getLogger("apscheduler.livehub")
"""The logger the hub's APScheduler, its data store and its event broker write to (under ``apscheduler``,
so the hub's logging set-up quiets it like the rest of APScheduler)."""

RETRY_MESSAGES = frozenset({
    "Scheduler crashed",                                  # the supervisor reports the failure itself
    "Temporary data store error (attempt %d): %s",        # one per retried query
    "Connection error: %s",                               # the PostgreSQL event broker reconnecting
})


class SchedulerUnavailable(LiveHubError, RuntimeError):
    """The scheduler cannot serve a request now: stopped, or reconnecting to its database (``retrying``).

    The schedule API answers it with HTTP 503. ``state`` is the scheduler's state when it was raised.
    """

    def __init__(self, message: str, *, state: str = "") -> None:
        self.state = state
        super().__init__(message)


class _RetryLinesToDebug(logging.Filter):
    """Turns APScheduler's per-attempt failure lines into DEBUG lines (dropped unless DEBUG is on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.msg not in RETRY_MESSAGES:
            return True
        if not APSCHEDULER_LOG.isEnabledFor(logging.DEBUG):
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


if not any(isinstance(f, _RetryLinesToDebug) for f in APSCHEDULER_LOG.filters):
    APSCHEDULER_LOG.addFilter(_RetryLinesToDebug())


def is_connection_error(exc: BaseException) -> bool:
    """True for the errors a lost or refused database connection raises (OSError, DBAPI disconnects)."""
    if isinstance(exc, OSError):  # refused, reset, timed out (TimeoutError is an OSError)
        return True
    try:
        from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    except ImportError:  # pragma: no cover - SQLAlchemy is a core dependency
        return False
    if isinstance(exc, (InterfaceError, OperationalError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def leaves(exc: BaseException) -> list[BaseException]:
    """The errors inside ``exc``, exception groups flattened; cancellations last."""
    if not isinstance(exc, BaseExceptionGroup):
        return [exc]
    found = [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return sorted(found, key=lambda leaf: isinstance(leaf, asyncio.CancelledError)) or [exc]


def is_outage(exc: BaseException) -> bool:
    """Whether every error inside ``exc`` (cancellations aside) is a lost or refused connection."""
    found = [leaf for leaf in leaves(exc) if not isinstance(leaf, asyncio.CancelledError)]
    return bool(found) and all(is_connection_error(leaf) for leaf in found)


def innermost(exc: BaseException) -> BaseException:
    """The error inside ``exc`` that tells what went wrong (anyio's task groups wrap errors in groups).

    When several tasks failed at once (two workers losing the same connection), the first one that is
    not a cancellation stands for them all.
    """
    return leaves(exc)[0]


def describe_error(exc: BaseException) -> str:
    """``Type: message`` of the one error inside ``exc``, on one line and cut short."""
    found = leaves(exc)
    exc = found[0]
    text = " ".join(str(exc).split())
    if len(text) > 300:
        text = text[:297] + "..."
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__) + more


class SchedulerSupervisor:
    """State, backoff, logging and gauge of the scheduler; :meth:`run` restarts incarnations.

    ``retry_initial_s`` and ``retry_max_s`` bound the jittered delay before a restart: the n-th retry of
    an outage waits ``uniform(initial, min(max, initial * 2**n))``; a recovery resets the sequence.
    """

    def __init__(self, hub: Any, *, retry_initial_s: float = 1.0, retry_max_s: float = 30.0) -> None:
        if not 0 < retry_initial_s <= retry_max_s:
            raise ValueError("the scheduler's retry delays must satisfy 0 < retry_initial_s <= retry_max_s")
        self.backoff = Backoff(retry_initial_s, retry_max_s)
        self.state = State.STARTING
        self.last_error = ""
        self.since = time.time()
        self.restarts = 0  # incarnations started after a failure
        self._gauge = None
        metric = getattr(hub, "metric", None)
        if callable(metric):
            from prometheus_client import Gauge

            self._gauge = metric(Gauge, "livehub_scheduler_state",
                                 "1 for the scheduler's current state (starting, ready, retrying, stopped)",
                                 ["state"])
        self._show_state()

    def set_state(self, state: State, error: str | None = None, *, exc: BaseException | None = None) -> None:
        """Enter ``state``; log the first failure of an outage and the recovery, nothing in between.

        ``exc``: the failure; its traceback goes with the line unless it is a lost connection.
        """
        error = self.last_error if error is None else error
        if state == self.state and error == self.last_error:
            return
        old, self.state, self.last_error, self.since = self.state, state, error, time.time()
        if state == State.RETRYING and old != State.RETRYING:
            trace = exc is not None and not is_outage(exc)
            log.warning("scheduler unavailable, restarting it with backoff: %s", error,
                        exc_info=(type(exc), exc, exc.__traceback__) if trace and exc is not None else None)
        elif state == State.READY and old == State.RETRYING:
            log.info("scheduler recovered (%d attempt(s))", self.backoff.attempt)
        self._show_state()

    def _show_state(self) -> None:
        if self._gauge is not None:
            for state in (State.STARTING, State.READY, State.RETRYING, State.STOPPED):
                self._gauge.labels(str(state)).set(1.0 if state == self.state else 0.0)

    def failed(self, exc: BaseException) -> float:
        """Record a failed incarnation; the seconds to wait before the next one."""
        if self.state == State.READY:
            self.backoff.reset()
        self.set_state(State.RETRYING, describe_error(exc), exc=exc)
        log.debug("the scheduler failed", exc_info=(type(exc), exc, exc.__traceback__))
        return self.backoff.next_delay()

    async def run(self, incarnation: Callable[[], Awaitable[None]], *, stopping: asyncio.Event,
                  started: asyncio.Event) -> None:
        """Run ``incarnation`` until it returns (a clean stop) or ``stopping`` is set.

        A failure before ``started`` is set is a start-up error and is raised (nothing to keep alive yet);
        later failures are retried forever with backoff.
        """
        try:
            while True:
                try:
                    await incarnation()
                    return
                except Exception as exc:
                    if not started.is_set():
                        raise
                    if stopping.is_set():  # failed while stopping: nothing left to restart
                        log.debug("the scheduler failed while stopping: %s", describe_error(exc))
                        return
                    delay = self.failed(exc)
                try:
                    async with asyncio.timeout(delay):
                        await stopping.wait()
                    return
                except TimeoutError:
                    self.restarts += 1
        finally:
            self.set_state(State.STOPPED)

    def unavailable(self) -> SchedulerUnavailable:
        """The error for a request made while the scheduler cannot serve it."""
        if self.state == State.RETRYING:
            return SchedulerUnavailable(
                f"the scheduler is reconnecting to its database (retrying since "
                f"{time.strftime('%H:%M:%S', time.localtime(self.since))}: {self.last_error}); "
                "schedules are kept and missed ones run once it is back - try again shortly",
                state=str(self.state))
        return SchedulerUnavailable("the scheduler is not running (see the hub's log)", state=str(self.state))

    @contextlib.asynccontextmanager
    async def database_call(self) -> AsyncIterator[None]:
        """Map a lost database connection during an API call to :class:`SchedulerUnavailable`."""
        try:
            yield
        except SchedulerUnavailable:
            raise
        except Exception as exc:
            if not is_outage(exc):
                raise
            raise SchedulerUnavailable(f"the scheduler's database is unreachable ({describe_error(exc)}); "
                                       "try again shortly", state=str(self.state)) from exc

    def status(self) -> dict[str, Any]:
        return {"state": str(self.state), "since": self.since, "last_error": self.last_error,
                "restarts": self.restarts}
