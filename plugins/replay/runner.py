"""Run a trace through a real hub: catalog connector, answer queue, answer chain, review, bus, storage.

The hub is built from the merchant's config (``--config``, optional) with the parts that touch the outside
world taken out: no web server, no scheduler, no connectors of its own (a replay must never post to a live
platform), a temporary database. The only connector is ``replay_catalog``, a ``catalog_file`` on the given
catalog. Events are published at their trace time on the replay clock:

* ``fast`` — a :class:`hub.clock.SimClock`: time jumps whenever the hub is idle, so an hour of trace takes
  seconds, yet windows, expiry and the speaking budget see the same times as live; while an answer is
  being written (an LLM call, a review writing the audit log) the clock follows the wall clock, so real
  latency shows in the report;
* otherwise the wall clock: the replay takes as long as the trace.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.clock import RealClock, SimClock, busy
from hub.config import HubConfig, load_config
from hub.errors import LiveHubError
from hub.interfaces import AnswerQueue
from hub.slots import MissingSlot
from plugins.replay.report import ReportCollector
from plugins.replay.trace import to_event

log = logging.getLogger("livehub.replay")

MEMORY_DB = "sqlite+aiosqlite:///:memory:"


class ReplayError(LiveHubError):
    """The replay could not run (catalog not loadable, no answer queue, ...)."""


@dataclass(frozen=True, slots=True)
class ReplaySession:
    """What an ``observe`` callback gets: the running hub, its answer queue (:class:`AnswerQueue`, the
    triage plugin's), the replay clock and the clock time of trace second 0 (trace time =
    ``clock.now() - t0``)."""

    hub: Any
    service: AnswerQueue
    clock: Any
    t0: float

    def trace_time(self) -> float:
        return self.clock.now() - self.t0


def replay_config(catalog: Path, config: Path | HubConfig | None = None,
                  database_url: str | None = None) -> HubConfig:
    """The hub config of a replay (see the module docstring). Raises :class:`hub.errors.ConfigError`."""
    if isinstance(config, HubConfig):
        cfg = config
    else:
        cfg = load_config(config) if config is not None else load_config(data={}, env=False)
    cfg.web.enabled = False
    cfg.scheduler.enabled = False
    cfg.hub.database_url = database_url or MEMORY_DB
    cfg.raw_connectors = {"replay_catalog": {"type": "catalog_file", "path": str(Path(catalog).resolve())}}
    return cfg


async def run_replay(trace: list[dict[str, Any]], catalog: Path, *, config: Path | HubConfig | None = None,
                     llm: str | None = None, llm_model: str | None = None, fast: bool = True,
                     database_url: str | None = None, settle_s: float = 120.0,
                     catalog_timeout_s: float = 30.0, plugins: Sequence[tuple[str, Any]] = (),
                     observe: Callable[[ReplaySession], Any] | None = None) -> dict[str, Any]:
    """Replay ``trace`` (records from :func:`plugins.replay.trace.load_trace`); return the report.

    ``settle_s`` (trace seconds) bounds how long the replay waits after the last event for the room to
    finish speaking. ``plugins`` adds ``(name, plugin)`` pairs to the hub; ``observe(session)`` is
    called with the :class:`ReplaySession` once everything is set up, before the first event (tests and
    benchmarks add listeners there). Raises :class:`ReplayError` or :class:`hub.errors.ConfigError`.
    """
    from hub.app import Hub

    hub = Hub(replay_config(catalog, config, database_url), web=False, extra_plugins=plugins)
    hub.build()
    await hub.start()
    try:
        connector = hub.connectors.get("replay_catalog")
        if connector is None or not await connector.wait_ready(catalog_timeout_s):
            error = connector.last_error if connector is not None else "connector not created"
            raise ReplayError(f"the catalog {catalog} could not be loaded: {error}")
        try:
            service = hub.slots.require(AnswerQueue)
        except MissingSlot as exc:
            raise ReplayError(f"the replay needs an answer queue: {exc}") from None
        clock: Any = SimClock() if fast else RealClock()
        service.use_clock(clock)
        if llm or llm_model:
            from hub.answer_chain import build_answer_chain

            overrides = {"model": llm_model} if llm_model else None
            service.use_chain(build_answer_chain(hub, [llm] if llm else None, overrides=overrides, clock=clock))
        collector = ReportCollector()
        service.on_decision.append(collector.on_decision)
        service.on_reply.append(collector.on_reply)
        if isinstance(clock, SimClock):
            clock.add_idle_check(lambda: not service.waiting_events)
            hub.create_task(clock.run(), name="replay:clock")
        collector.t0 = clock.now()
        if observe is not None:
            result = observe(ReplaySession(hub, service, clock, collector.t0))
            if inspect.isawaitable(result):
                await result
        await _feed(hub, clock, trace, collector.t0)
        deadline = clock.now() + settle_s
        while not service.idle and clock.now() < deadline:
            await clock.sleep(0.5)
        return collector.build(trace, llm_calls=service.llm_calls,
                               llm_calls_by_intent=service.llm_calls_by_intent)
    finally:
        await hub.stop()


async def _feed(hub: Any, clock: Any, trace: list[dict[str, Any]], t0: float) -> None:
    """Publish every record at its trace time (``t0`` is the clock time of trace second 0)."""
    for record in trace:
        delay = t0 + float(record["t"]) - clock.now()
        if delay > 0:
            await clock.sleep(delay)
        with busy(clock):  # publishing must not let simulated time run ahead of the trace
            await hub.publish(to_event(record))
    await asyncio.sleep(0)
