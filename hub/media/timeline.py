"""One continuous timeline per room: lines to say in, :class:`MediaFrame`s out, at a steady frame rate.

Three parts cooperate (see docs/media.md):

* the **voice task** takes queued lines in order, splits them into sentences and feeds their speech
  into the :class:`~hub.media.playback.Playback`, staying about ``lookahead`` seconds ahead of what is
  heard (the voice chain synthesises the next sentence while this one plays);
* the **frame task** steps the playback once per frame on the room's :class:`~hub.clock.Clock`, draws
  the picture in a worker thread (host from the avatar backend, then the room's scene) and hands
  the frame to every subscriber. It never waits for speech: without any, the host idles, so the stream
  never stalls. When speech arrives for a silent host, the next frame is made at once instead of at its
  tick (the timeline runs at most one frame ahead of its clock), so an answer is heard up to a frame
  sooner;
* **subscribers** (:meth:`RoomTimeline.frames`) each get a bounded queue that drops its oldest frame when
  full: a slow output loses frames, it never slows the timeline or another output.

An urgent line cuts the current speech at once (the next frame is already silent) and is spoken next; its
first frame follows within 300 ms because only its first sentence must be synthesised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from hub.clock import Clock, RealClock
from hub.media.appearance import Switcher
from hub.media.frames import DEFAULT_FPS, DEFAULT_SIZE, SAMPLE_RATE, Utterance
from hub.media.linefeed import LineFeed
from hub.media.lines import VoiceChainLike, comment_pair, line_sentences, split_sentences
from hub.media.playback import Line, Playback, TimelineFrame, plain_text, to_frame
from hub.media.scene import SceneDrawer
from hub.media.speech import parse_marks
from hub.media.stage_controls import StageControls
from hub.media.subscribers import FrameSubscription, Subscribers

log = logging.getLogger("livehub.media.timeline")

LOOKAHEAD = 2.0
"""Seconds of speech kept synthesised ahead of what is heard."""
MAX_LAG = 1.0
"""Seconds the frame task may fall behind its clock before it gives the debt up (and counts it)."""
NO_VIDEO = np.zeros((0, 0, 3), dtype=np.uint8)


class TaskOwner(Protocol):
    def create_task(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]: ...


class _OwnTasks:
    """The task owner of a timeline started without a hub (CLI, tests): named tasks, cancelled on stop."""

    def create_task(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(coro, name=name)


def _log_prepare_error(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("drawing ahead failed (the frame will draw it): %s", future.exception())


class RoomTimeline(StageControls):
    """The room's host, voice and scene as one stream of frames. ``start()`` it, ``say()`` lines."""

    def __init__(self, room: str, *, avatar: Any, scene: Any, voice_chain: VoiceChainLike,
                 clock: Clock | None = None, fps: int = DEFAULT_FPS, size: tuple[int, int] = DEFAULT_SIZE,
                 catalog: Callable[[], Any] | None = None, pictures: Any = None, locale: str | None = None,
                 mouth_track: Callable[[Utterance, int], list[float]] | None = None, hub: Any = None,
                 seed: int = 0, lookahead: float = LOOKAHEAD) -> None:
        if mouth_track is None:
            from hub.media.lipsync import mouth_track
        self.room, self.fps, self.size = room, fps, tuple(size)
        self.voice = voice_chain
        self.clock: Clock = clock or RealClock()
        self.locale = locale
        self.hub = hub
        self.lookahead = lookahead
        self.mouth_track, self.seed = mouth_track, seed
        if catalog is None and hub is not None:
            catalog = lambda: hub.catalog(room)  # noqa: E731 - the room's shop, read at each frame
        self.drawer = SceneDrawer(avatar, scene, self.size, catalog, pictures=pictures,
                                  locale=locale or (hub.config.hub.locale if hub is not None else "zh-CN"))
        self.playback = Playback(fps, mouth_track, seed=seed)
        self.playback.on_sentence = self._hear
        self.switcher = Switcher(self.drawer)
        self.subscribers = Subscribers(self._count_drop)
        self.index = 0
        self.late = 0
        self._queue: deque[Line] = deque()
        self._wake = asyncio.Event()
        self._room_for_speech = asyncio.Event()
        self._speech_ready = asyncio.Event()  # speech was added to a silent playback
        self._not_live = asyncio.Event()  # no human voice on air: the synthetic voice may speak
        self._not_live.set()
        self._speaking_line: Line | None = None
        self._line_task: asyncio.Task[Any] | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self.drawing_pool: ThreadPoolExecutor | None = None
        self._owner: TaskOwner | None = None
        self.running = False
        self.stopped = False

    # -- lines ----------------------------------------------------------------------------------

    def say(self, text: str, *, kind: str = "answer", urgent: bool = False, sku: str | None = None,
            comment: Any = None, clear_queue: bool = True, more: bool = False) -> Line:
        """Queue ``text``; an ``urgent`` line cuts the current speech now and goes first (and, with
        ``clear_queue``, drops the lines waiting behind it). Returns the :class:`Line`; await
        ``line.done`` for its outcome (``spoken``, ``cut`` or ``failed``).

        ``sku`` shows that product's card when the line starts; ``comment`` is the viewer comment it
        answers, shown meanwhile: a Comment event, an ``(author, text)`` pair or a text.

        ``more=True``: ``text`` is the first sentence of a line still being written. The line's
        ``feed`` (:class:`~hub.media.linefeed.LineFeed`) takes the next sentences (``line.feed.add``)
        and must be closed (``line.feed.close()``); they are spoken back to back as they arrive."""
        line = Line(text=text, kind=kind, urgent=urgent, sku=sku, comment=comment_pair(comment),
                    queued_frame=self.index)
        if more:
            joiner = "" if (self.locale or "zh-CN").lower().startswith("zh") else " "
            line.feed = LineFeed(text, joiner=joiner)
        line.done = asyncio.get_running_loop().create_future()
        if self.stopped:
            self._resolve(line, "cut")
            return line
        if urgent:
            self._interrupt(clear_queue)
            self._queue.appendleft(line)
        else:
            self._queue.append(line)
        self._wake.set()
        self._prepare(line)
        return line

    def _prepare(self, line: Line) -> None:
        """Have the drawing thread draw ahead what the line's first frame shows (card, caption, comment),
        while its speech is synthesised: that frame is then as quick to draw as any other."""
        if self.drawing_pool is None or not self.subscribers.want_video:
            return
        sentences = split_sentences(line.text)
        if not sentences:
            return
        caption = plain_text(parse_marks(sentences[0])[0])
        sku = line.sku if line.sku is not None else self.playback.sku
        future = asyncio.get_running_loop().run_in_executor(self.drawing_pool, self.drawer.prepare, caption, sku,
                                                             line.comment)
        future.add_done_callback(_log_prepare_error)

    def _interrupt(self, clear_queue: bool) -> None:
        """Cut what is heard now; lines not heard yet are dropped, or with ``clear_queue`` False kept
        in order behind the urgent line (to be synthesised again: the voice cache makes that cheap)."""
        unheard = self.playback.cut(keep_unheard=not clear_queue)
        current = self._speaking_line
        if current is not None and self._line_task is not None and not self._line_task.done():
            self._line_task.cancel()
            if not clear_queue and current.state == "queued" and current not in unheard:
                unheard.append(current)
        if clear_queue:
            while self._queue:
                self._resolve(self._queue.popleft(), "cut")
        self._queue.extendleft(reversed(unheard))

    def _resolve(self, line: Line, state: str | None = None) -> None:
        if state is not None and not line.finished:
            line.state = state
        if line.feed is not None and line.finished:
            line.feed.close()  # a cut line takes no more sentences
        if line.done is None or line.done.done():
            return
        line.done.set_result(line.state)
        if self.hub is not None:
            from prometheus_client import Counter

            self.hub.metric(Counter, "livehub_timeline_lines", "Lines the host finished, by outcome",
                            ["room", "state"]).labels(self.room, line.state).inc()

    # -- running --------------------------------------------------------------------------------

    async def start(self, owner: TaskOwner | None = None) -> None:
        """Start the voice and frame tasks (owned by ``owner``, else the hub, else the timeline)."""
        if self.running:
            return
        self._owner = owner or self.hub or _OwnTasks()
        self.drawing_pool = ThreadPoolExecutor(1, thread_name_prefix=f"timeline-{self.room}")
        self.running = True
        self._tasks = [self._owner.create_task(self._voice_loop(), name=f"timeline:{self.room}:voice"),
                       self._owner.create_task(self._frame_loop(), name=f"timeline:{self.room}:frames")]
        if self.hub is not None:  # outputs and pages find it there (hub.media.rooms.room_timeline)
            self.hub.rooms.ensure(self.room).slots.set(RoomTimeline, self)

    async def stop(self) -> None:
        """Stop both tasks, end every subscription and finish every pending line as ``cut``."""
        if not self.running:
            return
        self.running = False
        self.stopped = True
        if self.hub is not None and (room := self.hub.rooms.get(self.room)) is not None:
            room.slots.discard(RoomTimeline, self)
        tasks = [t for t in [*self._tasks, self._line_task] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.playback.cut()
        current = [self._speaking_line] if self._speaking_line is not None else []
        for line in [*self.playback.take_finished(), *current, *self._queue]:
            self._resolve(line, "cut")
        self._queue.clear()
        self.subscribers.close_all()
        if self.drawing_pool is not None:
            self.drawing_pool.shutdown(wait=True)
            self.drawing_pool = None
        close = getattr(self.drawer.avatar, "close", None)  # an avatar with a connection of its own
        if close is not None:
            try:
                await close()
            except Exception as exc:
                log.warning("room %s: avatar %s did not close cleanly: %s", self.room, self.drawer.avatar.name, exc)

    def frames(self, maxsize: int = 12, *, video: bool = True) -> FrameSubscription:
        """Subscribe to the frames from now on (``async for frame in timeline.frames()``).

        At most ``maxsize`` frames wait; a new frame then drops the oldest. ``video=False`` subscribers
        (the overlay) do not need pictures: with only those, frames carry an empty ``video``."""
        subscription = self.subscribers.subscribe(maxsize, video=video)
        if self.stopped:
            subscription.close()  # a stopped timeline sends nothing more: end at once
        return subscription

    async def _voice_loop(self) -> None:
        assert self._owner is not None
        while True:
            while not self._queue or not self._not_live.is_set():
                self._wake.clear()
                if not self._not_live.is_set():
                    await self._not_live.wait()
                    continue
                await self._wake.wait()
            line = self._queue.popleft()
            self._speaking_line = line
            self._line_task = self._owner.create_task(self._speak(line, self.playback),
                                                      name=f"timeline:{self.room}:line:{line.id}")
            await asyncio.wait({self._line_task})
            if self._line_task.cancelled():
                if line not in self._queue:  # else an urgent line put it back in the queue
                    self.playback.end_line(line, "cut")
            elif (error := self._line_task.exception()) is not None:
                line.error = f"{type(error).__name__}: {error}"
                log.warning("room %s: line %d not spoken: %s", self.room, line.id, line.error)
                self.playback.end_line(line, "failed")
            self._speaking_line = self._line_task = None

    async def _speak(self, line: Line, playback: Playback, *, paced: bool = True) -> None:
        """Feed ``line``'s speech into ``playback``, at most ``lookahead`` seconds ahead when paced.

        With a chain that streams (``speak``), each sentence goes on air with its first part and grows
        as the rest arrives; else sentence by sentence, each whole."""
        speak = getattr(self.voice, "speak", None)
        source = speak(line_sentences(line), self.locale) if speak is not None else \
            self.voice.stream(line_sentences(line), self.locale)
        async with contextlib.aclosing(source) as sentences:
            async for sentence in sentences:
                while paced and playback.buffered > self.ahead * SAMPLE_RATE:
                    self._room_for_speech.clear()
                    await self._room_for_speech.wait()
                if isinstance(sentence, Utterance):
                    self._add_speech(playback, lambda s=sentence: playback.add(line, s))
                    continue
                segment = playback.open(line, sentence.text, sentence.voice)
                try:
                    async for part in sentence:
                        self._add_speech(playback, lambda p=part, s=segment: playback.extend(s, p.audio, p.timing))
                finally:
                    playback.close(segment)
                    await sentence.aclose()
        if line.feed is not None:
            line.text = line.feed.text
        playback.end_line(line)

    def _add_speech(self, playback: Playback, add: Callable[[], None]) -> None:
        """Run ``add``; if the host was silent, have the frame task take the speech in at once."""
        was_silent = playback.idle
        add()
        if was_silent and not playback.idle:
            self._speech_ready.set()

    async def _frame_loop(self) -> None:
        start = self.clock.now() - self.index / self.fps
        while True:
            frame = await self._next_frame(self.playback, self.index, self.subscribers.want_video)
            frame.made_ts = time.time()
            self.subscribers.publish(frame)
            self.index += 1
            self._count_frame()
            wait = start + self.index / self.fps - self.clock.now()
            if wait < -MAX_LAG:
                start -= wait
                self.late += 1
                if self.late % 60 == 1:  # the first time, then now and then: a slow machine stays slow
                    log.warning("room %s: the timeline fell %.1f s behind its clock (%d times); skipping ahead",
                                self.room, -wait, self.late)
            elif wait > 0:
                await self._until_tick_or_speech(wait)
            else:
                await asyncio.sleep(0)

    async def _until_tick_or_speech(self, wait: float) -> None:
        """Sleep until the next frame is due; while the host is silent, stop early when speech arrives
        (also when it arrived while the last frame was being made)."""
        if self._speech_ready.is_set():
            return
        if not self.playback.idle or self.playback.live is not None:
            await self.clock.sleep(wait)
            return
        tick = asyncio.ensure_future(self.clock.sleep(wait))
        speech = asyncio.ensure_future(self._speech_ready.wait())
        try:
            await asyncio.wait({tick, speech}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (tick, speech):
                waiter.cancel()

    async def _next_frame(self, playback: Playback, index: int, video: bool) -> TimelineFrame:
        self._speech_ready.clear()  # this frame takes in whatever speech arrived
        state = playback.step(index)
        for line in state.finished:
            self._resolve(line)
        if self.switcher.due(bool(state.started), state.speaking):
            self._retire(self.switcher.apply())
        if playback.buffered <= self.ahead * SAMPLE_RATE:
            self._room_for_speech.set()
        picture = NO_VIDEO
        if video:
            picture = await asyncio.get_running_loop().run_in_executor(self.drawing_pool, self.drawer.draw, state)
        return to_frame(state, picture)

    def _retire(self, parts: list[Any]) -> None:
        """Close the avatars a switch replaced (in a task of the timeline's owner)."""
        for part in parts:
            if getattr(part, "close", None) is not None and self._owner is not None:
                self._owner.create_task(self._close_part(part), name=f"timeline:{self.room}:retire")

    async def _close_part(self, part: Any) -> None:
        try:
            await part.close()
        except Exception as exc:
            log.warning("room %s: %s did not close cleanly: %s", self.room, getattr(part, "name", part), exc)

    # -- offline --------------------------------------------------------------------------------

    def render(self, lines: Iterable[str | Line], *, lead_in: float = 0.4,
               tail: float = 0.6) -> AsyncIterator[TimelineFrame]:
        """Frames of ``lines`` spoken one after another, unpaced (see :func:`hub.media.render.render_lines`)."""
        from hub.media.render import render_lines

        return render_lines(self, lines, lead_in=lead_in, tail=tail)

    # -- metrics --------------------------------------------------------------------------------

    def _count_frame(self) -> None:
        if self.hub is not None:
            from prometheus_client import Counter

            self.hub.metric(Counter, "livehub_timeline_frames", "Frames the room timelines produced",
                            ["room"]).labels(self.room).inc()

    def _count_drop(self, n: int) -> None:
        if self.hub is not None:
            from prometheus_client import Counter

            self.hub.metric(Counter, "livehub_timeline_dropped_frames",
                            "Frames a slow subscriber lost (drop-oldest)", ["room"]).labels(self.room).inc(n)

    def status(self) -> dict[str, Any]:
        current = self._speaking_line
        return {"room": self.room, "running": self.running, "frame": self.index, "fps": self.fps,
                "size": list(self.size), "queued": len(self._queue), "late": self.late,
                "speaking": current.text if current is not None else None, "live": self.live is not None,
                "subscribers": len(self.subscribers), "avatar": self.drawer.avatar.status()}
