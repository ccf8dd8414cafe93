"""Connector base class and its supervisor: explicit states, capped jittered backoff, log once.

A connector owns a long-lived connection to an outside system. Subclasses implement :meth:`Connector.run`
(connect, call :meth:`Connector.set_ready`, then serve until cancelled) and may override
:meth:`Connector.check` (a quick connectivity probe for ``livehub check``). Everything else — the state
machine, retries, backoff, logging and state events — lives here.

States: ``starting`` → ``ready`` ⇄ ``retrying`` → ``stopped``; ``auth_failed`` when credentials are
refused (no retry until the hub is reconfigured).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from hub.errors import AuthFailed
from hub.events import HUB_PLATFORM, ConnectorState

if TYPE_CHECKING:
    from hub.app import Hub

log = logging.getLogger("livehub.connector")


class State(StrEnum):
    STARTING = "starting"
    READY = "ready"
    RETRYING = "retrying"
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"


class Backoff:
    """Capped exponential backoff with full jitter: ``uniform(base, min(cap, base * 2**attempt))``."""

    def __init__(self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None) -> None:
        self.base, self.cap, self.attempt = base, cap, 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        upper = min(self.cap, self.base * (2 ** min(self.attempt, 16)))
        self.attempt += 1
        return self._rng.uniform(self.base, max(self.base, upper))

    def reset(self) -> None:
        self.attempt = 0


class Connector:
    """Base of every connector (platform, CRM, catalog). One abstract method: :meth:`run`."""

    kind: ClassVar[str] = "platform"
    backoff_base: ClassVar[float] = 1.0
    backoff_cap: ClassVar[float] = 60.0

    def __init__(self, name: str, config: Any, hub: Hub) -> None:
        self.name = name
        self.config = config
        self.hub = hub
        self.state = State.STARTING
        self.last_error = ""
        self.since = time.time()
        self._ready = asyncio.Event()

    async def run(self) -> None:
        """Connect, call :meth:`set_ready`, then serve until cancelled.

        Raise :class:`hub.errors.NotReady` (or any error) to be retried with backoff, or
        :class:`hub.errors.AuthFailed` to stop until reconfigured. Returning normally means done.
        """
        raise NotImplementedError

    async def check(self) -> str:
        """Probe connectivity once for ``livehub check``; return a one-line description or raise."""
        return "no connectivity check"

    async def accept_handoff(self, kind: str, data: Any) -> None:
        """Ingest what another process of the cluster received for this connector (a webhook it checked and
        handed over through the room's stream, hub/cluster/streams.py); return once it is stored. Optional:
        only connectors whose platform calls the hub (webhooks) implement it. Must be idempotent."""
        raise NotImplementedError(f"{type(self).__name__} takes no hand-offs")

    async def wait_ready(self, timeout: float | None = None) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self._ready.wait()
            return True
        except TimeoutError:
            return False

    def set_ready(self) -> None:
        """Called by :meth:`run` once the connection is up (and again after each reconnect)."""
        self._set_state(State.READY, "")
        self._ready.set()

    def status(self) -> dict[str, Any]:
        return {"name": self.name, "type": getattr(self, "type_name", type(self).__name__), "kind": self.kind,
                "state": str(self.state), "since": self.since, "last_error": self.last_error}

    def _set_state(self, state: State, error: str) -> None:
        if state == self.state and error == self.last_error:
            return
        old, self.state, self.last_error, self.since = self.state, state, error, time.time()
        if state != State.READY:
            self._ready.clear()
        if state == State.RETRYING and old != State.RETRYING:
            log.warning("connector %s unavailable: %s", self.name, error)
        elif state == State.READY and old == State.RETRYING:
            log.info("connector %s recovered", self.name)
        elif state == State.AUTH_FAILED:
            log.error("connector %s: credentials refused: %s", self.name, error)
        self.hub.publish_nowait(ConnectorState(platform=HUB_PLATFORM, room="", connector=self.name,
                                               state=str(state), error=error))
        metric = getattr(self.hub, "metric", None)
        if metric is not None:  # livehub_connector_state{connector, state}: 1 for the current state
            from prometheus_client import Gauge

            gauge = metric(Gauge, "livehub_connector_state", "Connector state (1 = the current one)",
                           ["connector", "state"])
            for each in State:
                gauge.labels(self.name, each.value).set(1 if each == state else 0)

    async def supervise(self) -> None:
        """Run :meth:`run` forever with retries; the hub owns the task that calls this."""
        backoff = Backoff(self.backoff_base, self.backoff_cap)
        try:
            while True:
                try:
                    await self.run()
                    return
                except asyncio.CancelledError:
                    raise
                except AuthFailed as exc:
                    self._set_state(State.AUTH_FAILED, str(exc))
                    return
                except Exception as exc:  # any vendor fault: retry, never crash the hub
                    if self.state == State.READY:
                        backoff.reset()
                    self._set_state(State.RETRYING, f"{type(exc).__name__}: {exc}")
                    await asyncio.sleep(backoff.next_delay())
        finally:
            if self.state != State.AUTH_FAILED:
                self._set_state(State.STOPPED, self.last_error)
