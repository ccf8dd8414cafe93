"""What an operator or a show changes on a running timeline besides its lines: the human voice on air, the product
on stage, the pinned comment, the countdown, and the avatar or scene (switched at the next line).

A mixin of :class:`hub.media.timeline.RoomTimeline`, cut out of it by concept; it uses the timeline's playback,
drawer and switcher.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from hub.media.lines import comment_pair
from hub.media.live_voice import LiveVoice


class StageControls:
    """See the module docstring."""

    playback: Any
    drawer: Any
    switcher: Any
    index: int
    fps: int
    lookahead: float
    _not_live: asyncio.Event
    _speech_ready: asyncio.Event
    _wake: asyncio.Event

    def _interrupt(self, clear_queue: bool) -> None:
        raise NotImplementedError  # the timeline's

    def go_live(self, voice: LiveVoice) -> None:
        """Put a human voice (the operator's microphone) on air from the next frame: the synthetic speech
        is cut, lines not heard yet wait, and no line starts until :meth:`end_live`."""
        self._interrupt(clear_queue=False)
        self.playback.live = voice
        self._not_live.clear()
        self._speech_ready.set()

    def end_live(self, voice: LiveVoice | None = None) -> None:
        """Take the human voice off air (only ``voice``, if given and no longer on air: nothing) and let
        the waiting lines go on."""
        if voice is not None and self.playback.live is not voice:
            return
        self.playback.live = None
        self._not_live.set()
        self._wake.set()

    @property
    def live(self) -> LiveVoice | None:
        """The human voice on air, if any."""
        return self.playback.live

    def set_product(self, sku: str | None) -> None:
        """Show ``sku``'s product card (None: none) from the next frame on."""
        self.playback.set_product(sku)

    def pin_comment(self, comment: Any) -> None:
        """Keep a viewer comment on screen (a Comment, ``(author, text)`` or text; None unpins it); the
        comment a line answers shows instead while that line is spoken."""
        self.playback.pinned = comment_pair(comment)

    def set_countdown(self, seconds: float | None) -> None:
        """Show a countdown of ``seconds`` from now (None: take it down)."""
        self.playback.set_countdown(None if seconds is None else self.index / self.fps + seconds)

    def switch(self, part: str, value: Any) -> None:
        """Draw with ``value`` as the ``avatar`` or ``scene`` from the next line on (at once while the host is silent);
        see :mod:`hub.media.appearance`. ``value`` must draw at this timeline's size."""
        self.switcher.request(part, value)

    def _hear(self, sentence: int, text: str, audio: np.ndarray) -> None:
        """A sentence's speech is complete: the avatar gets it before it is heard (see AvatarBackend.hear)."""
        self.drawer.avatar.hear(sentence, text, audio)

    @property
    def ahead(self) -> float:
        """Seconds of speech kept synthesised ahead: ``lookahead``, or more if the avatar needs a longer lead (a
        video service's delay), so its video of a sentence is ready when the sentence is heard."""
        return max(self.lookahead, float(getattr(self.drawer.avatar, "lead_s", 0.0) or 0.0))

