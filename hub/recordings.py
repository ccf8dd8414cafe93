"""Recordings: a room's frames written to a file, and what maps the file back to the show.

An output that records (the ``file`` output) keeps a :class:`RecordingTrack` while it writes: every couple of
seconds an **anchor** (file seconds ↔ the wall-clock time the timeline made that frame), the **captions** the
host said and the **product cards** on screen, each with its start and end in file seconds. When the file is
complete the track goes into the ``recordings`` table (:func:`open_recording` at the first frame,
:func:`close_recording` at the end) and, as WebVTT, beside the file.

Anything that needs "what was on air at 20:14:03" in a file (a live clip cut at a stage change, whose time is
the event's wall-clock time) reads :class:`Recording` rows with :func:`find_recordings` and maps times with
:meth:`Recording.offset`: anchors make that exact even when the timeline fell behind its clock or frames were
lost on the way to the encoder (the file's time comes from frame indexes, not from the clock).
"""

from __future__ import annotations

import bisect
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hub.storage.tables import recordings

log = logging.getLogger("livehub.recordings")

ANCHOR_EVERY_S = 2.0
"""File seconds between two anchors."""
RECORDING, COMPLETE, FAILED = "recording", "complete", "failed"


@dataclass(frozen=True, slots=True)
class Cue:
    """Something shown from ``start`` to ``end`` (seconds in the file): a caption's text or a card's sku."""

    start: float
    end: float
    value: str


class _Spans:
    """Consecutive equal values of a frame attribute as cues (empty values leave no cue)."""

    def __init__(self) -> None:
        self.cues: list[Cue] = []
        self._value, self._since = "", 0.0

    def add(self, value: str, at: float) -> None:
        if value != self._value:
            self.close(at)
            self._value, self._since = value, at

    def close(self, at: float) -> None:
        if self._value and at > self._since:
            self.cues.append(Cue(round(self._since, 3), round(at, 3), self._value))
        self._value, self._since = "", at


class RecordingTrack:
    """What a recorder notes beside the frames it writes (see the module docstring)."""

    def __init__(self, fps: int) -> None:
        self.fps = fps
        self.first_index: int | None = None
        self.started_ts = 0.0
        self.seconds = 0.0
        self.anchors: list[tuple[float, float]] = []
        self._last_wall = 0.0
        self._captions, self._cards = _Spans(), _Spans()

    def add(self, frame: Any) -> None:
        """Note ``frame`` (a :class:`~hub.media.frames.MediaFrame`) as written to the file."""
        wall = frame.made_ts or time.time()
        if self.first_index is None:
            self.first_index, self.started_ts = frame.index, wall
        at = (frame.index - self.first_index) / self.fps
        if at < self.seconds - 0.5 / self.fps:
            return  # an older frame than one written (the encoder drops it too)
        if not self.anchors or at - self.anchors[-1][0] >= ANCHOR_EVERY_S:
            self.anchors.append((round(at, 4), wall))
        self._captions.add(frame.caption or "", at)
        self._cards.add(getattr(frame, "sku", None) or "", at)
        self.seconds, self._last_wall = at + 1 / self.fps, wall + 1 / self.fps

    def finish(self) -> None:
        """Close the open caption and card at the end of the file, anchor the end."""
        self._captions.close(self.seconds)
        self._cards.close(self.seconds)
        if self.anchors and self.anchors[-1][0] < self.seconds:
            self.anchors.append((round(self.seconds, 4), self._last_wall))

    @property
    def captions(self) -> list[Cue]:
        return self._captions.cues

    @property
    def cards(self) -> list[Cue]:
        return self._cards.cues

    def data(self) -> dict[str, Any]:
        return {"anchors": [list(a) for a in self.anchors],
                "captions": [[c.start, c.end, c.value] for c in self.captions],
                "cards": [[c.start, c.end, c.value] for c in self.cards]}


def vtt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def to_vtt(cues: list[Cue]) -> str:
    """``cues`` as a WebVTT file (a cue's text on one line; "-->" inside text cannot end a cue early)."""
    out = ["WEBVTT", ""]
    for n, cue in enumerate(cues, 1):
        text = " ".join(cue.value.replace("-->", "→").split())
        if text:
            out += [str(n), f"{vtt_time(cue.start)} --> {vtt_time(cue.end)}", text, ""]
    return "\n".join(out)


@dataclass(frozen=True, slots=True)
class Recording:
    """A row of ``recordings``: the file, when its first frame was made, and its track."""

    id: int
    room: str
    path: str
    status: str
    started_ts: float
    ended_ts: float | None
    seconds: float
    fps: int
    size: tuple[int, int]
    anchors: list[tuple[float, float]] = field(default_factory=list)
    captions: list[Cue] = field(default_factory=list)
    cards: list[Cue] = field(default_factory=list)

    def offset(self, wall_ts: float) -> float:
        """Seconds into the file of the frame made at ``wall_ts`` (between anchors, linear; clamped to the
        file)."""
        anchors = self.anchors or [(0.0, self.started_ts)]
        walls = [wall for _, wall in anchors]
        i = bisect.bisect_right(walls, wall_ts)
        if i == 0:
            at = anchors[0][0] - (anchors[0][1] - wall_ts)
        elif i == len(anchors):
            at = anchors[-1][0] + (wall_ts - anchors[-1][1])
        else:
            (a0, w0), (a1, w1) = anchors[i - 1], anchors[i]
            at = a0 + (a1 - a0) * ((wall_ts - w0) / (w1 - w0) if w1 > w0 else 0.0)
        return min(max(0.0, at), self.seconds)

    def covers(self, wall_ts: float, slack: float = 0.0) -> bool:
        """Whether the file runs at ``wall_ts`` (or began at most ``slack`` seconds after it)."""
        return self.started_ts - slack <= wall_ts <= (self.ended_ts or self.started_ts + self.seconds)

    def captions_between(self, start: float, end: float) -> list[Cue]:
        """Captions shown between ``start`` and ``end`` (file seconds), in clip time (0 = ``start``), cut to it."""
        return [Cue(round(max(c.start, start) - start, 3), round(min(c.end, end) - start, 3), c.value)
                for c in self.captions if c.end > start and c.start < end]


async def open_recording(hub: Any, room: str, path: str, *, fps: int, size: tuple[int, int],
                         started_ts: float) -> int | None:
    """Add the row of a file being recorded; its id (None without storage or when the database fails: the
    recording goes on, it just cannot be cut later)."""
    if hub is None or getattr(hub, "storage", None) is None:
        return None
    try:
        async with hub.storage.engine.begin() as conn:
            result = await conn.execute(recordings.insert().values(
                room=room, path=path, status=RECORDING, started_ts=started_ts, seconds=0.0, fps=fps,
                width=size[0], height=size[1], data={}))
            return int(result.inserted_primary_key[0])
    except Exception as exc:  # the database must not stop a recording
        log.warning("recording %s of room %s not registered: %s", path, room, exc)
        return None


async def close_recording(hub: Any, recording_id: int | None, track: RecordingTrack, *, complete: bool) -> None:
    """Store the track of a finished file (``complete``: the file is whole and playable)."""
    if recording_id is None or getattr(hub, "storage", None) is None:
        return
    track.finish()
    try:
        async with hub.storage.engine.begin() as conn:
            await conn.execute(recordings.update().where(recordings.c.id == recording_id).values(
                status=COMPLETE if complete else FAILED, ended_ts=track.started_ts + track.seconds,
                seconds=round(track.seconds, 3), data=track.data()))
    except Exception as exc:
        log.warning("recording %s not closed in the database: %s", recording_id, exc)


def _recording(row: Any) -> Recording:
    data = row.data or {}
    return Recording(int(row.id), row.room, row.path, row.status, float(row.started_ts),
                     None if row.ended_ts is None else float(row.ended_ts), float(row.seconds), int(row.fps),
                     (int(row.width), int(row.height)),
                     [(float(a), float(w)) for a, w in data.get("anchors", [])],
                     [Cue(float(s), float(e), str(v)) for s, e, v in data.get("captions", [])],
                     [Cue(float(s), float(e), str(v)) for s, e, v in data.get("cards", [])])


async def find_recordings(hub: Any, *, room: str | None = None, since: float | None = None,
                          until: float | None = None, complete: bool = True) -> list[Recording]:
    """Recordings (complete ones unless ``complete=False``) of ``room`` (any) overlapping ``since``..``until``,
    newest first."""
    if getattr(hub, "storage", None) is None:
        return []
    query = sa.select(recordings).order_by(recordings.c.started_ts.desc(), recordings.c.id.desc())
    if room is not None:
        query = query.where(recordings.c.room == room)
    if complete:
        query = query.where(recordings.c.status == COMPLETE)
    if until is not None:
        query = query.where(recordings.c.started_ts <= until)
    if since is not None:
        query = query.where(sa.or_(recordings.c.ended_ts.is_(None), recordings.c.ended_ts >= since))
    async with hub.storage.engine.connect() as conn:
        return [_recording(row) for row in await conn.execute(query)]
