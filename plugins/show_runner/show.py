"""One show running on one room: segments in time, the pitch between answers, countdowns, idle fill.

The run steps through the rundown's segments (again from the top with ``loop``) until its end time. At
each segment start it publishes a ``StageChange`` (the card, the answer queue's product on stage and the
console follow it). Within a segment it says, one sentence at a time:

* **countdown lines** when a promotion is due (start, 30 s and 10 s left, end), with the on-screen
  countdown (``timeline.set_countdown``); they wait only for the current line to finish;
* **the pitch** (scripted or generated, see :mod:`plugins.show_runner.pitch`) — a sentence only when the
  room is quiet: nothing queued or being said on the timeline and no answer ready or being written for
  the voice (:meth:`hub.interfaces.AnswerQueue.voice_waiting`). So answers go in between sentences, and a
  flood of questions holds the pitch until the queue is worked off. After a full round, ``round_gap_s`` of
  room for questions;
* **an idle filler** when the room has been silent for ``idle_fill_s``.

A product that sells out during the show (a :class:`hub.events.CatalogChange` from the room's shop) is
announced once ("3号已经抢光了", template ``show/sold_out.j2``) as soon as the current line ends; its pitch
stops and, when it is the segment's product, the show moves on to the next segment. A segment whose product
is sold out when it comes up is skipped (unless every product of the rundown is: then it runs, with no pitch).
When orders come fast (``sales_moment_units`` units within ``sales_moment_window_s``, refunds not counted), the
host says so once ("刚刚一分钟就卖出了12件", template ``show/sales_moment.j2``), at most every
``sales_moment_gap_s``; units already celebrated are not counted again.

Every line is reviewed (:func:`hub.review.review_output`) and published as a ``Reply`` on channel
``voice`` (kinds ``pitch``, ``promotion``, ``idle``); the room bridge says it. Pausing holds the pitch,
countdowns and fillers (answers go on); resuming continues the round where it stopped. The operator
switching the product mid-segment makes the pitch follow the new product until the next segment.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hub.clock import timer
from hub.events import HUB_PLATFORM, Reply, StageChange
from hub.review import ReviewContext, review_output
from plugins.show_runner.pitch import PitchWriter
from plugins.show_runner.rundown import Rundown, Segment

REMIND_AT = (30, 10)
"""Seconds left at which a countdown is announced again (when the countdown is longer)."""


@dataclass(slots=True)
class Cue:
    """A countdown line due at ``at`` (run clock)."""

    at: float
    phase: str
    seconds: int


class ShowRun:
    """See the module docstring. ``room`` gives ``hub``, ``name``, ``bridge``, ``timeline``, ``voice_waiting()``."""

    def __init__(self, room: Any, rundown: Rundown, *, clock: Any, duration_s: float | None = None,
                 tick_s: float = 0.2, line_timeout_s: float = 120.0, locale: str | None = None,
                 on_state: Callable[[ShowRun], None] | None = None, offset_s: float = 0.0) -> None:
        self.room, self.hub, self.rundown, self.clock = room, room.hub, rundown, clock
        self.locale = rundown.locale or locale or room.hub.config.hub.locale
        self.writer = PitchWriter(room.hub, self.locale, room.name)
        self.duration_s, self.tick_s, self.line_timeout_s = duration_s, tick_s, line_timeout_s
        self.on_state = on_state
        self.state = "starting"
        self.started_at: float | None = None
        self.ends_at: float | None = None
        self.segment_index = -1
        self.segment: Segment | None = None
        self.segment_started = self.segment_ends = 0.0
        self.pitch_sku: str | None = None
        self.pitch: deque[str] = deque()
        self.rounds = 0
        self.next_round_at = 0.0
        self.cues: list[Cue] = []
        self.countdown_on = False
        self.lines_said = 0
        self.announced: set[str] = set()  # SKUs whose sell-out was announced
        self.skipped: list[str] = []  # SKUs of segments skipped because they were sold out
        self.last_moment: float | None = None  # when "N sold in the last minute" was last said
        self.moments = 0
        self._wake: asyncio.Future[None] | None = None
        self.offset_s = max(0.0, offset_s)  # show time already gone (a resumed broadcast): start there
        self._into = 0.0  # seconds of the first segment run that were already gone

    # -- control (from the API and the scheduler) -----------------------------------------------

    @property
    def paused(self) -> bool:
        return self.state == "paused"

    def pause(self) -> None:
        if self.state == "running":
            self._set_state("paused")

    def resume(self) -> None:
        if self.state == "paused":
            self._set_state("running")
            self.poke()

    def follow_product(self, sku: str | None) -> None:
        """The operator put ``sku`` on stage: pitch it (from the next sentence) until the next segment."""
        if sku != self.pitch_sku:
            self.pitch_sku = sku
            self.pitch.clear()
            self.next_round_at = self.clock.now()
            self.poke()

    def poke(self) -> None:
        """Look again now (something changed)."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def remaining_s(self) -> float | None:
        return None if self.ends_at is None else max(0.0, self.ends_at - self.clock.now())

    # -- running --------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run the show until its end time (or until cancelled: the task's owner stops it)."""
        self.started_at = now = self.clock.now()
        if self.duration_s is not None:
            self.ends_at = now + self.duration_s
        elif not self.rundown.loop:
            self.ends_at = now + self.rundown.seconds
        self._set_state("running")
        try:
            for index, segment in self._segments():
                if self._over():
                    break
                if self._sold_out(segment.sku) and not self._all_sold_out():
                    self.skipped.append(segment.sku or "")
                    continue
                await self._run_segment(index, segment)
        finally:
            if self.countdown_on:
                self.room.timeline.set_countdown(None)
            self._set_state("ended")

    def _segments(self) -> Iterator[tuple[int, Segment]]:
        """The segments in show order, from where ``offset_s`` of show time puts the show (a resumed
        broadcast goes on with the segment the schedule says, for the time that segment has left)."""
        passes = itertools.count() if self.rundown.loop else range(1)
        skip = self.offset_s
        if self.rundown.loop and self.rundown.seconds > 0:
            skip %= self.rundown.seconds
        for _ in passes:
            for index, segment in enumerate(self.rundown.segments):
                if skip >= segment.seconds:
                    skip -= segment.seconds
                    continue
                self._into, skip = skip, 0.0
                yield index, segment

    def _sold_out(self, sku: str | None) -> bool:
        product = self.writer.product(sku)
        return product is not None and product.stock <= 0

    def _all_sold_out(self) -> bool:
        return all(self._sold_out(s.sku) for s in self.rundown.segments)

    async def _announce_sold_out(self, sku: str) -> None:
        """Say once that ``sku`` sold out; stop pitching it (and end its segment)."""
        if sku in self.announced or not self._sold_out(sku):
            return  # said already, or restocked since
        self.announced.add(sku)
        if sku == self.pitch_sku:
            self.pitch.clear()
            self.pitch_sku = None if self.segment is None or self.segment.sku == sku else self.segment.sku
        if self.segment is not None and self.segment.sku == sku and not self._all_sold_out():
            self.segment_ends = self.clock.now()
        text = self.writer.sold_out(sku)
        if text:
            await self._say(text, "sold_out", sku)

    async def _sales_moment(self, now: float) -> bool:
        """Say "N sold in the last minute" when the window's sales reach the rundown's threshold (units sold
        before the last such moment are not counted again); True when it was said."""
        rundown = self.rundown
        if rundown.sales_moment_units <= 0:
            return False
        if self.last_moment is not None and now - self.last_moment < rundown.sales_moment_gap_s:
            return False
        since = now - rundown.sales_moment_window_s
        if self.last_moment is not None:
            since = max(since, self.last_moment)
        units, sku = self.room.bridge.sold_since(since)
        if units < rundown.sales_moment_units:
            return False
        self.last_moment = now
        text = self.writer.sales_moment(units, sku, rundown.sales_moment_window_s)
        if not text:
            return False
        self.moments += 1
        await self._say(text, "sales_moment", sku)
        return True

    def _over(self) -> bool:
        return self.ends_at is not None and self.clock.now() >= self.ends_at - 1e-3

    async def _run_segment(self, index: int, segment: Segment) -> None:
        now = self.clock.now()
        into, self._into = self._into, 0.0
        self.segment_index, self.segment, self.segment_started = index, segment, now - into
        self.segment_ends = now + segment.seconds - into
        if self.ends_at is not None:
            self.segment_ends = min(self.ends_at, self.segment_ends)
        self.pitch_sku, self.rounds, self.next_round_at = segment.sku, 0, now
        self.pitch.clear()
        cues = self._promotion_cues(segment, self.segment_started)
        ends = max((c.at for c in cues), default=now)
        self.cues = [c for c in cues if c.at >= now or (c.phase == "start" and ends > now)]  # resumed: what is left
        await self.hub.publish(StageChange(platform=HUB_PLATFORM, room=self.room.name, sku=segment.sku))
        if self.on_state is not None:
            self.on_state(self)
        while self.clock.now() < self.segment_ends - 1e-3:
            await self._step()
        if self.countdown_on:
            self.room.timeline.set_countdown(None)
            self.countdown_on = False

    def _promotion_cues(self, segment: Segment, start: float) -> list[Cue]:
        promo = segment.promotion
        if promo is None:
            return []
        begin = start + promo.at_minute * 60
        cues = [Cue(begin, "start", promo.countdown_s)]
        cues += [Cue(begin + promo.countdown_s - left, "remind", left) for left in REMIND_AT
                 if left <= promo.countdown_s - 10]
        return [*cues, Cue(begin + promo.countdown_s, "end", 0)]

    async def _step(self) -> None:
        now = self.clock.now()
        bridge = self.room.bridge
        if bridge.sold_out and not self.paused and not bridge.busy:
            await self._announce_sold_out(bridge.sold_out.popleft())
            return
        if not self.paused and not bridge.busy and await self._sales_moment(now):
            return
        if self.cues and self.cues[0].at <= now:
            if self.paused:  # the on-screen countdown still runs; its lines are not said
                await self._countdown(self.cues.pop(0), speak=False)
                return
            if not bridge.busy:
                await self._countdown(self.cues.pop(0))
                return
        elif self.paused:
            pass
        elif self.pitch:
            if self._room_quiet():
                await self._say(self.pitch.popleft(), "pitch", self.pitch_sku)
                if not self.pitch:
                    self.next_round_at = self.clock.now() + self.rundown.round_gap_s
                return
        elif now >= self.next_round_at and self.pitch_sku is not None:
            segment = self._segment_for(self.pitch_sku)
            self.pitch.extend(self.writer.pitch_round(self.pitch_sku, self.rounds, segment))
            self.rounds += 1
            if not self.pitch:  # nothing to say about it (not in the catalog yet): look again soon
                self.next_round_at = now + max(1.0, self.rundown.round_gap_s)
            return
        elif bridge.silence() >= self.rundown.idle_fill_s and self._room_quiet():
            text = self.writer.idle(self.pitch_sku)
            if text:
                await self._say(text, "idle", self.pitch_sku)
                return
        await self._nap(self._next_moment(now))

    def _segment_for(self, sku: str) -> Segment | None:
        return self.segment if self.segment is not None and self.segment.sku == sku else None

    def _room_quiet(self) -> bool:
        return not self.room.bridge.busy and not self.room.voice_waiting()

    def _next_moment(self, now: float) -> float:
        moments = [self.segment_ends, now + self.tick_s]
        if self.cues and self.cues[0].at > now:
            moments.append(self.cues[0].at)
        return max(now, min(moments))

    async def _nap(self, until: float) -> None:
        self._wake = asyncio.get_running_loop().create_future()
        alarm = timer(self.clock, max(0.0, until - self.clock.now()))
        changed = asyncio.ensure_future(self.room.bridge.changed.wait())
        try:
            await asyncio.wait([alarm, self._wake, changed], return_when=asyncio.FIRST_COMPLETED)
        finally:
            alarm.cancel()
            changed.cancel()
            self.room.bridge.changed.clear()
            self._wake = None

    async def _countdown(self, cue: Cue, *, speak: bool = True) -> None:
        sku = self.segment.sku if self.segment is not None else self.pitch_sku
        if cue.phase == "start":
            self.room.timeline.set_countdown(cue.seconds)
            self.countdown_on = True
        elif cue.phase == "end":
            self.room.timeline.set_countdown(None)
            self.countdown_on = False
        if sku is not None and speak:
            text = self.writer.countdown(sku, cue.phase, cue.seconds)
            if text:
                await self._say(text, "promotion", sku)

    async def _say(self, text: str, kind: str, sku: str | None) -> bool:
        """Review ``text``, publish it as a voice Reply and wait until it has been said (or cut)."""
        context = ReviewContext(channel="voice", kind=kind, locale=self.locale, platform=HUB_PLATFORM,
                                room=self.room.name, source=f"show:{self.rundown.name}",
                                catalog=self.hub.catalog(self.room.name), stage_sku=self.pitch_sku,
                                skus=[sku] if sku else [])
        outcome = await review_output(self.hub, text, context)
        if outcome.blocked or not outcome.text:
            return False
        reply = Reply(platform=HUB_PLATFORM, room=self.room.name, text=outcome.text, kind=kind, channel="voice",
                      source=f"show:{self.rundown.name}", sku=sku)
        bridge = self.room.bridge
        queued = bridge.expect(reply.id)
        try:
            await self.hub.publish(reply)
            async with asyncio.timeout(self.line_timeout_s):
                line = await queued
            if line.done is not None:
                async with asyncio.timeout(self.line_timeout_s):
                    await asyncio.shield(line.done)
        except TimeoutError:
            return False
        finally:
            bridge.forget(reply.id)
        self.lines_said += 1
        return True

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            if self.on_state is not None:
                self.on_state(self)

    def describe(self) -> dict[str, Any]:
        """The run as the console shows it."""
        segment = None
        if self.segment is not None:
            now = self.clock.now()
            segment = {"index": self.segment_index, "sku": self.segment.sku, "minutes": self.segment.minutes,
                       "elapsed_s": round(now - self.segment_started, 1),
                       "remaining_s": round(max(0.0, self.segment_ends - now), 1),
                       "pitch_sku": self.pitch_sku, "round": self.rounds}
        remaining = self.remaining_s()
        return {"show": self.rundown.name, "state": self.state, "paused": self.paused,
                "segment": segment, "remaining_s": None if remaining is None else round(remaining, 1),
                "lines_said": self.lines_said, "countdown": self.countdown_on}


async def cancel_run(task: asyncio.Task[Any] | None) -> None:
    """Cancel a show's task and wait for it to end."""
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
