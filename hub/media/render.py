"""Offline rendering: a room's lines as frames, as fast as they can be made (``livehub render``).

Independent of the live timeline: its own :class:`~hub.media.playback.Playback`, frame numbers from 0,
no clock. Each sentence is awaited before its frames are made, so nothing is ever idle by accident; a
partial last frame waits for the next sentence to join it, so sentences follow without a gap, as live.
Pictures are drawn in the timeline's drawing thread when it is running (the avatar and compositor are
used by one thread at a time), else in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from hub.media.playback import Line, Playback, TimelineFrame, to_frame

if TYPE_CHECKING:
    from hub.media.timeline import RoomTimeline


async def render_lines(timeline: RoomTimeline, lines: Iterable[str | Line], *, lead_in: float = 0.4,
                       tail: float = 0.6) -> AsyncIterator[TimelineFrame]:
    """Frames of ``lines`` (texts or :class:`Line`) with ``lead_in`` and ``tail`` seconds of idle host
    around them. A sentence no voice can speak raises :class:`~hub.errors.BackendError`."""
    from hub.media.lines import comment_pair, split_sentences

    playback = Playback(timeline.fps, timeline.mouth_track, seed=timeline.seed)
    playback.on_sentence = timeline.drawer.avatar.hear
    shared = timeline.drawing_pool
    pool = shared or ThreadPoolExecutor(1, thread_name_prefix=f"render-{timeline.room}")
    loop = asyncio.get_running_loop()
    index = 0

    async def frame() -> TimelineFrame:
        nonlocal index
        state = playback.step(index)
        index += 1
        return to_frame(state, await loop.run_in_executor(pool, timeline.drawer.draw, state))

    try:
        for _ in range(round(lead_in * timeline.fps)):
            yield await frame()
        for item in lines:
            line = item if isinstance(item, Line) else Line(text=item, kind="pitch")
            line.comment = comment_pair(line.comment)
            sentences = split_sentences(line.text)
            async with contextlib.aclosing(timeline.voice.stream(sentences, timeline.locale)) as utterances:
                async for utterance in utterances:
                    playback.add(line, utterance)
                    while playback.buffered >= playback.spf:
                        yield await frame()
            playback.end_line(line)
        while not playback.idle:
            yield await frame()
        for _ in range(round(tail * timeline.fps)):
            yield await frame()
    finally:
        if shared is None:
            pool.shutdown(wait=True)
