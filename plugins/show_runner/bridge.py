"""The room bridge: what the hub decides to say becomes speech on the room's timeline.

One bridge per room on air. It subscribes to the bus and, for events of its room:

* ``reply`` on channel ``voice`` → ``timeline.say(text, kind=..., urgent=(kind == "takeover"), sku=...,
  comment=...)``: the product card of the line (the reply's own ``sku``) and the viewer comment it
  answers (the first answered comment still in a bounded memory of recent
  comments). Chat replies are not spoken. A takeover cuts what is being said but keeps the queued
  answers (``clear_queue=False``): they follow it;
* ``reply_sentence`` on channel ``voice`` → the first sentence of a reply opens a line that is still
  being written (``timeline.say(..., more=True)``), the next ones are added to it, and the ``reply``
  with the same id ends it (and is not said again): an answer is heard while the rest is written;
* ``stage`` → ``timeline.set_product(sku)``: the card switches on the next frame;
* ``comment`` → remembered (last :data:`COMMENTS_KEPT`), to show the comment an answer answers.

It also measures how long the voice really takes (:class:`SpeechCalibration`) and says when the room
has been silent, which the show runner needs for its pitch slots and idle fillers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from typing import Any

from hub.events import CatalogChange, Comment, Event, Order, Reply, ReplySentence, StageChange
from hub.speech_time import estimate_speech_seconds

log = logging.getLogger("livehub.show")

COMMENTS_KEPT = 2000
OPEN_KEPT = 500
HISTORY_KEPT = 200


class SpeechCalibration:
    """Real speaking time, learnt from the lines the timelines finished: ``estimator(text, locale)``.

    The answer queue books its voice with a characters-per-second estimate; how fast the configured
    voice really speaks differs (espeak reads Chinese faster than a human host). Each spoken line updates
    ``ratio`` = real seconds / estimated seconds (a moving average, bounded to 0.25..4), and the queue's
    budget then uses ``estimate × ratio`` (installed with ``AnswerQueue.use_speech_estimator``).
    """

    def __init__(self, ratio: float = 1.0, weight: float = 0.3) -> None:
        self.ratio = ratio
        self.weight = weight
        self.samples = 0

    def observe(self, text: str, locale: str, seconds: float) -> None:
        estimate = estimate_speech_seconds(text, locale)
        if estimate < 1.0 or seconds <= 0:
            return  # too short to tell anything: pauses dominate
        sample = min(4.0, max(0.25, seconds / estimate))
        self.ratio = sample if self.samples == 0 else (1 - self.weight) * self.ratio + self.weight * sample
        self.samples += 1

    def __call__(self, text: str, locale: str) -> float:
        return max(0.3, round(estimate_speech_seconds(text, locale) * self.ratio, 3))


class RoomBridge:
    """Voice replies and stage changes of ``room`` onto ``timeline`` (see the module docstring)."""

    def __init__(self, hub: Any, room: str, timeline: Any, *, clock: Any,
                 calibration: SpeechCalibration | None = None) -> None:
        self.hub, self.room, self.timeline, self.clock = hub, room, timeline, clock
        self.calibration = calibration
        self.stage_sku: str | None = None
        self.changed = asyncio.Event()
        self.silent_since = clock.now()
        self.said = 0
        self._comments: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._waiting: dict[str, asyncio.Future[Any]] = {}
        self._lines: list[Any] = []
        self._open: OrderedDict[str, Any] = OrderedDict()  # reply id → its line, still being written
        self.history: deque[Any] = deque(maxlen=HISTORY_KEPT)  # the lines it queued, newest last
        self._subscription: Any = None
        self.sold_out: deque[str] = deque(maxlen=100)  # SKUs that sold out, for the show to announce
        self.sales: deque[tuple[float, str, int]] = deque(maxlen=10_000)  # (room clock, sku, units) sold

    async def start(self) -> None:
        self._subscription = self.hub.bus.subscribe(f"show_bridge:{self.room}", self.handle,
                                                    types=("reply", "reply_sentence", "stage", "comment",
                                                           "catalog_change", "order"),
                                                    maxsize=10_000)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self.hub.bus.unsubscribe(self._subscription, timeout=2.0)
            self._subscription = None
        for future in self._waiting.values():
            future.cancel()
        self._waiting.clear()
        for line in self._open.values():
            line.feed.close()
        self._open.clear()

    # -- what the show runner asks -------------------------------------------------------------

    def expect(self, reply_id: str) -> asyncio.Future[Any]:
        """A future resolved with the timeline :class:`Line` of reply ``reply_id`` once it is queued."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[reply_id] = future
        return future

    def forget(self, reply_id: str) -> None:
        future = self._waiting.pop(reply_id, None)
        if future is not None:
            future.cancel()

    @property
    def busy(self) -> bool:
        """Something is queued or being said on the timeline."""
        self._lines = [line for line in self._lines if not line.finished]
        return bool(self._lines) or bool(self.timeline.status().get("queued"))

    def silence(self) -> float:
        """Seconds since the room last fell silent (0 while something is said)."""
        return 0.0 if self.busy else max(0.0, self.clock.now() - self.silent_since)

    # -- the bus handler -----------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if event.room != self.room:
            return
        if isinstance(event, Comment):
            self._comments[event.id] = ((event.user.name if event.user else "") or "", event.text)
            while len(self._comments) > COMMENTS_KEPT:
                self._comments.popitem(last=False)
        elif isinstance(event, StageChange):
            self.stage_sku = event.sku
            self.timeline.set_product(event.sku)
        elif isinstance(event, ReplySentence) and event.channel == "voice":
            self.say_sentence(event)
        elif isinstance(event, CatalogChange) and event.change == "sold_out":
            self.sold_out.append(event.sku)
            self.changed.set()
        elif isinstance(event, Order) and event.status != "refunded":
            self.sales.append((self.clock.now(), event.sku, max(0, int(event.qty))))
            self.changed.set()
        elif isinstance(event, Reply) and event.channel == "voice":
            line = self._open.pop(event.id, None)
            if line is not None:
                line.feed.close()
            else:
                self.say(event)

    def sold_since(self, since: float) -> tuple[int, str | None]:
        """Units sold at or after ``since`` (room clock) and the SKU that sold most of them."""
        units: dict[str, int] = {}
        for when, sku, qty in reversed(self.sales):
            if when < since:
                break
            units[sku] = units.get(sku, 0) + qty
        if not units:
            return 0, None
        return sum(units.values()), max(units, key=lambda sku: units[sku])

    def say_sentence(self, sentence: ReplySentence) -> Any:
        """Open the line of ``sentence.reply`` with it, or add it to that line; returns the Line."""
        line = self._open.get(sentence.reply)
        if line is not None:
            line.feed.add(sentence.text)
            return line
        line = self.say(sentence, reply_id=sentence.reply, more=True)
        self._open[sentence.reply] = line
        while len(self._open) > OPEN_KEPT:  # replies never ended (their writer failed): stop waiting
            self._open.popitem(last=False)[1].feed.close()
        return line

    def say(self, reply: Reply | ReplySentence, *, reply_id: str | None = None, more: bool = False) -> Any:
        """Queue ``reply`` on the timeline (``more``: the first sentence of a line still being written);
        returns its Line."""
        reply_id = reply_id or reply.id
        comment = next((self._comments[i] for i in reply.answers if i in self._comments), None)
        line = self.timeline.say(reply.text, kind=reply.kind, urgent=reply.kind == "takeover", sku=reply.sku,
                                 comment=comment, clear_queue=False, more=more)
        self._lines.append(line)
        self.history.append(line)
        self.said += 1
        self.changed.set()
        if line.done is not None:
            line.done.add_done_callback(lambda _f, line=line: self._finished(line))
        future = self._waiting.pop(reply_id, None)
        if future is not None and not future.done():
            future.set_result(line)
        return line

    def _finished(self, line: Any) -> None:
        if not self.busy:
            self.silent_since = self.clock.now()
        if (self.calibration is not None and line.state == "spoken" and line.first_frame is not None
                and line.last_frame is not None):
            seconds = (line.last_frame - line.first_frame + 1) / self.timeline.fps
            self.calibration.observe(line.text, self.timeline.locale or "zh-CN", seconds)
        self.changed.set()
