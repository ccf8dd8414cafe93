"""Ingest benchmarks: events published on the bus of a real hub until triaged and persisted.

The hub runs every built-in plugin (recorder, event hooks, triage with guardrails and the catalog answer
backend, ...) on a SQLite file, with the starter catalog. Events come from :mod:`bench.events`. An event is
*done* when the triage service has taken it in (normalised, checked for spam and abuse, classified,
aggregated or queued) and the recorder has written it (``INSERT ... ON CONFLICT DO NOTHING``: a
re-delivered platform message is stored once). Instrumentation only wraps two call sites with
timestamps: the triage subscription's handler and ``hub.storage.record_events``; nothing else changes.

* :func:`throughput` — ``ingest_events_per_s``: events published as fast as the bus takes them, on one
  pinned core; events per second from the first publish until the last event is triaged and persisted
  (full run: the median of three runs, each on a fresh hub and database).
* :func:`stored_throughput` — ``ingest_stored_events_per_s``: the same, but events are acknowledged as
  ``POST /api/v1/events`` acknowledges them: ``publishers`` concurrent clients each publish a request of
  ``batch`` events with ``hub.publish_stored`` and send the next one only once it is committed
  (group commit: concurrent requests share a batch). Events per second from the first publish until the
  last acknowledgement and the last event triaged.
* :func:`delay_at_rate` — ``ingest_p99_delay_ms_at_5000``: events offered at a fixed rate (5,000/s)
  for a fixed time; per event, the later of "triage took it" and "its batch was committed", minus the
  time it was due to be published (so a publisher held back by a busy loop counts as delay too).
* :func:`memory_growth` — ``rss_growth_pct_1m_events``: resident memory after the 100k-th and after the
  1M-th event of one long run (both after a full collection), as a growth percentage. Events are offered
  at 5,000/s to a room whose clock runs 10× as fast: a show of 500 events/s, replayed 10× faster.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from bench.common import ScaledClock, bench_hub, cpu_seconds, percentile, rss_bytes
from bench.events import EventSource


def _stats(hub: Any) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in hub.bus.stats()}


class Probe:
    """Timestamps at triage intake and after each committed batch (see the module docstring)."""

    def __init__(self, hub: Any, *, timed: bool) -> None:
        from plugins.triage.service import service_for

        service = service_for(hub)
        if service is None or service.subscription is None:
            raise RuntimeError("the triage plugin is not running")
        self.subscription = service.subscription
        self.storage = hub.storage
        self.persisted = 0
        self.triaged: dict[str, float] = {}
        self.stored: dict[str, float] = {}
        self.timed = timed
        handler, record = self.subscription.handler, hub.storage.record_events

        def triage(event: Any) -> Any:
            if self.timed:
                self.triaged[event.id] = time.perf_counter()
            return handler(event)

        async def persist(events: Any) -> int:
            written = await record(events)
            self.persisted += sum(1 for event in events if event.type != "reply")  # not the hub's own
            if self.timed:
                now = time.perf_counter()
                for event in events:
                    self.stored[event.id] = now
            return written

        self.subscription.handler = triage
        hub.storage.record_events = persist

    @property
    def triage_seen(self) -> int:
        return self.subscription.delivered + self.subscription.dropped


async def drain(hub: Any, probe: Probe, published: int, persisted_before: int, triaged_before: int,
                timeout: float = 600.0) -> None:
    """Wait until every published event is persisted and triaged (and no subscriber has a backlog)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (probe.persisted - persisted_before >= published and probe.triage_seen - triaged_before >= published
                and all(s["queued"] == 0 for s in hub.bus.stats())):
            return
        await asyncio.sleep(0.002)
    raise TimeoutError(f"events not drained: {hub.bus.stats()}")


async def _publish_all(hub: Any, events: list[Any]) -> None:
    publish = hub.publish
    for event in events:
        await publish(event)


def _duplicates(hub: Any) -> float:
    return hub.metrics.get_sample_value("livehub_storage_event_duplicates_total") or 0.0


async def _throughput_once(events: list[Any], warm: list[Any]) -> dict[str, Any]:
    async with bench_hub() as hub:
        probe = Probe(hub, timed=False)
        await _publish_all(hub, warm)
        await drain(hub, probe, len(warm), 0, 0)
        before = (probe.persisted, probe.triage_seen, _duplicates(hub), hub.bus.accepted)
        gc.collect()
        started, cpu = time.perf_counter(), cpu_seconds()
        await _publish_all(hub, events)
        published = time.perf_counter() - started
        await drain(hub, probe, len(events), before[0], before[1])
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        return {"value": round(len(events) / elapsed), "seconds": round(elapsed, 3),
                "publish_seconds": round(published, 3), "cpu_share": round(cpu / elapsed, 3),
                "duplicates_skipped": int(_duplicates(hub) - before[2]),
                "triage_dropped": _stats(hub)["triage"]["dropped"],
                "replies": hub.bus.accepted - before[3] - len(events)}


async def throughput(count: int, warmup: int = 3000, repeats: int = 1) -> dict[str, Any]:
    """The median of ``repeats`` runs, each on a fresh hub and database (``runs``: every run's rate;
    ``cpu_share`` below 1 means the pinned core was not all ours: another process or the hypervisor)."""
    source = EventSource()
    warm = list(source.events(warmup))
    events = list(source.events(count, start=warmup))
    runs = [await _throughput_once(events, warm) for _ in range(repeats)]
    median = sorted(runs, key=lambda r: r["value"])[len(runs) // 2]
    return {**median, "events": count, "runs": [r["value"] for r in runs]}


async def _stored_once(events: list[Any], warm: list[Any], publishers: int, batch: int) -> dict[str, Any]:
    async with bench_hub() as hub:
        probe = Probe(hub, timed=False)
        await _publish_all(hub, warm)
        await drain(hub, probe, len(warm), 0, 0)
        triaged_before = probe.triage_seen
        requests = [events[i:i + batch] for i in range(0, len(events), batch)]
        pending = iter(requests)
        waits: list[float] = []

        async def publisher() -> None:
            for request in pending:
                sent = time.perf_counter()
                refused = await hub.publish_stored(request)
                if refused:
                    raise RuntimeError(f"the database refused {len(refused)} events")
                waits.append(time.perf_counter() - sent)

        gc.collect()
        started, cpu = time.perf_counter(), cpu_seconds()
        await asyncio.gather(*(publisher() for _ in range(publishers)))
        acknowledged = time.perf_counter() - started
        await drain(hub, probe, len(events), probe.persisted - len(events), triaged_before)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        return {"value": round(len(events) / elapsed), "seconds": round(elapsed, 3),
                "acknowledged_seconds": round(acknowledged, 3), "cpu_share": round(cpu / elapsed, 3),
                "request_p50_ms": round((percentile(waits, 50) or 0) * 1000, 2),
                "request_p99_ms": round((percentile(waits, 99) or 0) * 1000, 2),
                "requests": len(requests)}


async def stored_throughput(count: int, publishers: int = 8, batch: int = 100, warmup: int = 3000,
                            repeats: int = 1) -> dict[str, Any]:
    """Like :func:`throughput`, acknowledging only stored events (see the module docstring)."""
    source = EventSource()
    warm = list(source.events(warmup))
    events = list(source.events(count, start=warmup))
    runs = [await _stored_once(events, warm, publishers, batch) for _ in range(repeats)]
    median = sorted(runs, key=lambda r: r["value"])[len(runs) // 2]
    return {**median, "events": count, "publishers": publishers, "batch": batch,
            "runs": [r["value"] for r in runs]}


async def offer(hub: Any, source: EventSource, first: int, count: int, rate: float,
                due: dict[str, float] | None = None) -> float:
    """Publish events ``first`` … ``first + count - 1`` at ``rate`` per second (in small bursts, as a
    connector delivers them); returns the wall time taken. ``due`` gets each event's scheduled time."""
    publish, sent = hub.publish, 0
    started = time.perf_counter()
    while sent < count:
        target = min(count, int((time.perf_counter() - started) * rate) + 1)
        while sent < target:
            event = source.event(first + sent)
            if due is not None:
                due[event.id] = started + sent / rate
            await publish(event)
            sent += 1
        await asyncio.sleep(max(0.0, started + sent / rate - time.perf_counter()))
    return time.perf_counter() - started


async def delay_at_rate(rate: float, seconds: float, warmup: int = 3000) -> dict[str, Any]:
    source = EventSource()
    total = int(rate * seconds)
    async with bench_hub() as hub:
        probe = Probe(hub, timed=False)
        await _publish_all(hub, list(source.events(warmup)))
        await drain(hub, probe, warmup, 0, 0)
        before = (probe.persisted, probe.triage_seen)
        probe.timed = True
        due: dict[str, float] = {}
        offered_for = await offer(hub, source, warmup, total, rate, due)
        await drain(hub, probe, total, before[0], before[1])
        delays, triage_delays, store_delays = [], [], []
        for event_id, at in due.items():
            triaged, stored = probe.triaged.get(event_id), probe.stored.get(event_id)
            if triaged is None or stored is None:
                continue
            triage_delays.append(triaged - at)
            store_delays.append(stored - at)
            delays.append(max(triaged, stored) - at)
        missing = total - len(delays)

        def ms(values: list[float], q: float) -> float | None:
            value = percentile(values, q)
            return None if value is None else round(value * 1000, 2)

        return {"value": ms(delays, 99),
                "rate": rate, "seconds": round(offered_for, 2), "events": total, "missing": missing,
                "p50_ms": ms(delays, 50), "p99_ms": ms(delays, 99), "max_ms": ms(delays, 100),
                "triage_p99_ms": ms(triage_delays, 99), "persist_p99_ms": ms(store_delays, 99),
                "triage_dropped": _stats(hub)["triage"]["dropped"]}


async def memory_growth(first: int, last: int, rate: float = 5000, speed: float = 10) -> dict[str, Any]:
    """Events offered at ``rate`` per wall second to a room whose clock runs ``speed`` times as fast
    (:class:`bench.common.ScaledClock`): a room of ``rate / speed`` events per second, replayed faster.
    Its time windows (expiry up to 120 s, fairness 60 s) then hold what such a room holds, and fill long
    before the ``first`` event, so growth after it is what a long show would accumulate."""
    from plugins.triage.service import service_for

    source = EventSource()
    samples: dict[int, int] = {}
    async with bench_hub() as hub:
        service_for(hub).use_clock(ScaledClock(speed))  # type: ignore[union-attr]
        probe = Probe(hub, timed=False)
        step = max(1, (last - first) // 9)
        marks = [first, *range(first + step, last, step), last]
        published, started = 0, time.perf_counter()
        for mark in marks:
            await offer(hub, source, published, mark - published, rate)
            published = mark
            await drain(hub, probe, published, 0, 0)
            gc.collect()
            samples[published] = rss_bytes()
        elapsed = time.perf_counter() - started
        stats = _stats(hub)
    growth = (samples[last] - samples[first]) / samples[first] * 100
    return {"value": round(growth, 2), "first_event": first, "last_event": last,
            "rss_mb_first": round(samples[first] / 2**20, 1), "rss_mb_last": round(samples[last] / 2**20, 1),
            "seconds": round(elapsed, 1), "wall_rate": rate, "room_events_per_s": rate / speed,
            "triage_dropped": stats["triage"]["dropped"],
            "rss_mb_by_event": {str(n): round(v / 2**20, 1) for n, v in sorted(samples.items())}}
