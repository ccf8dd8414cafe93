"""Where to cut: the moments a product was on stage in a recorded show.

A show's stage changes are ``stage`` events (the show runner publishes one at each segment, an operator at
each pin), stored with the wall-clock time they happened. A product's **window** starts at its stage change
(less ``lead_s``), mapped into the file by the recording's anchors (hub/recordings.py), and ends at the
room's next stage change or the end of the file. It is then held within ``min_s``..``max_s``: a short one runs
on past the next change to reach ``min_s`` (and is skipped when the file ends first), a long one ends at the
last caption that finishes before ``max_s`` (so a sentence is not cut in half), else at ``max_s``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.recordings import Recording, find_recordings
from hub.storage.tables import events

START_SLACK_S = 2.0
"""A show's first stage change comes just before its recording's first frame: one this much earlier counts."""


@dataclass(frozen=True, slots=True)
class Stage:
    """A stage change: at ``ts`` (wall clock) ``sku`` went on stage in ``room`` (None: nothing)."""

    ts: float
    room: str
    sku: str | None


@dataclass(frozen=True, slots=True)
class ClipWindow:
    """``start``..``end`` seconds of ``recording``: ``sku`` on stage from the change at ``stage_ts``."""

    recording: Recording
    start: float
    end: float
    stage_ts: float
    sku: str

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def key(self) -> str:
        return f"{self.recording.id}:{self.start:.2f}-{self.end:.2f}"


def clip_windows(sku: str, stages: list[Stage], recordings: list[Recording], *, min_s: float, max_s: float,
                 lead_s: float = 0.0) -> list[ClipWindow]:
    """The windows of ``sku`` in ``recordings``, newest first, one per stage change (see the module)."""
    by_room: dict[str, list[Stage]] = {}
    for stage in sorted(stages, key=lambda s: s.ts):
        by_room.setdefault(stage.room, []).append(stage)
    found: list[ClipWindow] = []
    for room, changes in by_room.items():
        for i, stage in enumerate(changes):
            if stage.sku != sku:
                continue
            if i > 0 and changes[i - 1].sku == sku and stage.ts - changes[i - 1].ts < min_s:
                continue  # the same product again at once (a pin after the segment): one moment
            recording = next((r for r in recordings if r.room == room and r.covers(stage.ts, START_SLACK_S)), None)
            if recording is None:
                continue
            nxt = next((c for c in changes[i + 1:] if c.sku != sku), None)
            window = _window(recording, stage, nxt, min_s=min_s, max_s=max_s, lead_s=lead_s)
            if window is not None:
                found.append(window)
    return sorted(found, key=lambda w: w.stage_ts, reverse=True)


def _window(recording: Recording, stage: Stage, nxt: Stage | None, *, min_s: float, max_s: float,
            lead_s: float) -> ClipWindow | None:
    start = max(0.0, recording.offset(stage.ts) - lead_s)
    end = recording.offset(nxt.ts) if nxt is not None and recording.covers(nxt.ts) else recording.seconds
    if end - start < min_s:
        end = min(recording.seconds, start + min_s)
        if end - start < min_s - 1e-6:
            return None
    if end - start > max_s:
        ends = [c.end for c in recording.captions if start + min_s <= c.end <= start + max_s]
        end = max(ends) if ends else start + max_s
    return ClipWindow(recording, round(start, 3), round(end, 3), stage.ts, stage.sku or "")


async def stage_changes(hub: Any, *, since: float) -> list[Stage]:
    """Every stored stage change since ``since``, oldest first."""
    query = (sa.select(events.c.room, events.c.received_ts, events.c.payload)
             .where(events.c.type == "stage", events.c.received_ts >= since).order_by(events.c.received_ts))
    async with hub.storage.engine.connect() as conn:
        rows = list(await conn.execute(query))
    return [Stage(float(row.received_ts), row.room, (row.payload or {}).get("sku") or None) for row in rows]


async def windows_for(hub: Any, sku: str, *, min_s: float, max_s: float, lead_s: float,
                      lookback_days: float) -> list[ClipWindow]:
    """The windows of ``sku`` in the complete recordings of the last ``lookback_days``, newest first."""
    if getattr(hub, "storage", None) is None:
        return []
    since = time.time() - lookback_days * 86400
    recordings = await find_recordings(hub, since=since)
    if not recordings:
        return []
    return clip_windows(sku, await stage_changes(hub, since=since), recordings, min_s=min_s, max_s=max_s,
                        lead_s=lead_s)
