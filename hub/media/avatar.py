"""The host: its state at an instant, the avatar backend base class, and idle animation.

A backend implements one method, ``_draw(state, size)``, returning an RGBA picture of the host. The
base class snaps the state to a few levels (mouth shapes, eyes open/closed, breath steps) and keeps
the pictures it drew: at 25 fps the same few dozen pictures repeat all show, so each is drawn once.
Cached pictures are read-only arrays; the compositor relies on that to cache its own work on them.

Idle animation is a pure function of time: :func:`blink_at` gives natural, irregular blinks (every 2 to
6 s, 120 to 180 ms, now and then a double blink) from a seed, so any frame can be drawn without replaying
the ones before it (rendering is as fast as possible, live is paced by a clock; both give the same frames).
"""

from __future__ import annotations

import bisect
import functools
import logging
import math
import random
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hub.errors import BackendError

log = logging.getLogger("livehub.media.avatar")

BREATH_PERIOD = 4.2  # seconds per breath, a calm speaker's pace


@dataclass(frozen=True, slots=True)
class HostState:
    """The host at time ``t``: mouth openness 0..1, blink 0 (open) .. 1 (closed), breath -1..1; ``sku`` the product
    on stage (an avatar may react when it changes; drawing ignores it); ``speech`` the sentence being heard and how
    far into it, ``(sentence id, seconds)``, for an avatar that renders video from the sentence's audio; ``cue`` the
    kind of the line starting at this instant (``thanks``, ``pitch``, ``answer``, ``takeover``), for an avatar that
    plays an expression on it."""

    t: float = 0.0
    mouth: float = 0.0
    blink: float = 0.0
    breath: float = 0.0
    speaking: bool = False
    sku: str | None = None
    speech: tuple[int, float] | None = None
    cue: str | None = None


class _BlinkSchedule:
    """Blink start times and lengths for one seed, generated lazily and deterministically."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self.starts: list[float] = []
        self.lengths: list[float] = []
        self._next = self._rng.uniform(0.8, 3.0)

    def extend_to(self, t: float) -> None:
        while self._next <= t + 1.0:
            start = self._next
            self.starts.append(start)
            self.lengths.append(self._rng.uniform(0.12, 0.18))
            if self._rng.random() < 0.12:  # a quick double blink
                gap = self.lengths[-1] + self._rng.uniform(0.10, 0.18)
                self.starts.append(start + gap)
                self.lengths.append(self._rng.uniform(0.12, 0.16))
                start += gap
            self._next = start + self._rng.uniform(2.0, 6.0)


@functools.lru_cache(maxsize=64)
def _schedule(seed: int) -> _BlinkSchedule:
    return _BlinkSchedule(seed)


def blink_at(t: float, seed: int = 0) -> float:
    """How closed the eyes are at ``t`` seconds: 0 open, 1 shut (at the middle of a blink)."""
    if t < 0:
        return 0.0
    schedule = _schedule(seed)
    schedule.extend_to(t)
    i = bisect.bisect_right(schedule.starts, t) - 1
    if i < 0:
        return 0.0
    phase = (t - schedule.starts[i]) / schedule.lengths[i]
    if phase >= 1.0:
        return 0.0
    return 1.0 - abs(2.0 * phase - 1.0) ** 1.5  # closes fast, stays shut briefly, opens


def breath_at(t: float, period: float = BREATH_PERIOD) -> float:
    """A slow breathing sine, -1..1."""
    return math.sin(2.0 * math.pi * t / period)


def idle_state(t: float, *, mouth: float = 0.0, speaking: bool = False, seed: int = 0) -> HostState:
    """The host at ``t`` with natural blinks and breathing, and the given mouth openness."""
    return HostState(t=t, mouth=mouth, blink=blink_at(t, seed), breath=breath_at(t), speaking=speaking)


class AvatarBackend:
    """Base class of avatar backends: quantisation, a frame cache, and the result checked.

    Subclasses implement :meth:`_draw` and may set ``mouth_levels`` (how many mouth shapes they draw),
    ``breath_levels`` and ``cacheable`` (False if ``_draw`` depends on ``state.t``). ``_draw`` is called
    with the snapped state only, so the picture depends on the cache key alone.
    """

    name: str = "avatar"
    mouth_levels: int = 6
    blink_levels: int = 2
    breath_levels: int = 5
    cacheable: bool = True
    cache_size: int = 96

    def __init__(self) -> None:
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def _draw(self, state: HostState, size: tuple[int, int]) -> np.ndarray | None:
        """Draw the host for ``state`` as an RGBA ``uint8`` array of shape ``(height, width, 4)`` (a backend that is
        not ``cacheable`` may return None: no picture for this instant, the built-in host covers it)."""
        raise NotImplementedError

    lead_s: float = 0.0
    """Seconds of speech this avatar needs in hand before it is heard (a service's delay): the timeline synthesises
    at least that far ahead."""

    def hear(self, sentence: int, text: str, audio: np.ndarray) -> None:  # noqa: B027 - optional, not abstract
        """A sentence's whole speech (48 kHz mono int16), before it is heard; ``HostState.speech`` names it by
        ``sentence`` while it plays. Called on the event loop; must not block. Drawn avatars ignore it."""

    def mouth_box(self, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
        """Where the mouth is drawn at ``size`` (x0, y0, x1, y1 within the host picture, covering every
        breath offset), for lip-sync measurement; None if the backend cannot tell."""
        return None

    @staticmethod
    def _snap(value: float, levels: int, lo: float, hi: float) -> float:
        if levels <= 1:
            return lo
        value = min(max(float(value), lo), hi)
        step = round((value - lo) / (hi - lo) * (levels - 1))
        return lo + (hi - lo) * step / (levels - 1)

    def quantize(self, state: HostState) -> HostState:
        """``state`` snapped to the levels this backend draws (its cache key, with ``t`` dropped)."""
        return replace(
            state,
            t=state.t if not self.cacheable else 0.0,
            mouth=self._snap(state.mouth, self.mouth_levels, 0.0, 1.0),
            blink=self._snap(state.blink, self.blink_levels, 0.0, 1.0),
            breath=self._snap(state.breath, self.breath_levels, -1.0, 1.0),
            speaking=False,
            speech=None if self.cacheable else state.speech,
            cue=None,
        )

    def frame(self, state: HostState, size: tuple[int, int]) -> np.ndarray | None:
        """The host for ``state`` at ``size`` (width, height): a read-only RGBA array, cached. None when the avatar
        has no picture for this instant yet (a video service still rendering): the built-in host covers it."""
        snapped = self.quantize(state)
        key = (snapped.mouth, snapped.blink, snapped.breath, tuple(size))
        if self.cacheable:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return hit
        self.misses += 1
        picture = self._draw(snapped, (int(size[0]), int(size[1])))
        if picture is None and not self.cacheable:
            return None
        drawn = self._check(picture, size)
        drawn.flags.writeable = False
        if self.cacheable:
            self._cache[key] = drawn
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return drawn

    def prepare(self, size: tuple[int, int]) -> None:
        """Draw every snapped state at ``size`` now (if they fit the cache), so the first seconds of a
        show do not stutter while the cache fills. Safe to skip; call it off the event loop."""
        levels = [(m, b, r) for m in range(self.mouth_levels) for b in range(self.blink_levels)
                  for r in range(self.breath_levels)]
        if not self.cacheable or len(levels) > self.cache_size:
            return
        for m, b, r in levels:
            self.frame(HostState(mouth=m / max(1, self.mouth_levels - 1), blink=b / max(1, self.blink_levels - 1),
                                 breath=-1.0 + 2.0 * r / max(1, self.breath_levels - 1)), size)

    def status(self) -> dict[str, Any]:
        """The avatar as the room's state shows it (a backend that can fail says more)."""
        return {"avatar": self.name, "state": "ready"}

    def _check(self, drawn: object, size: tuple[int, int]) -> np.ndarray:
        width, height = size
        if not isinstance(drawn, np.ndarray) or drawn.dtype != np.uint8 or drawn.shape != (height, width, 4):
            got = getattr(drawn, "shape", type(drawn).__name__)
            raise BackendError(f"avatar {self.name} drew {got}, expected ({height}, {width}, 4) uint8",
                               backend=self.name)
        return np.ascontiguousarray(drawn)


class FallbackAvatar:
    """An avatar that falls back: ``primary``'s frames while it draws, ``fallback``'s (the built-in host) while it
    fails, ``primary`` tried again every ``retry_s`` (capped backoff); one log line when it fails, one when it is
    back. The show never stops for an avatar's fault. ``state`` is ``ready`` or ``fallback``."""

    def __init__(self, primary: AvatarBackend, fallback: AvatarBackend, *, retry_s: float = 2.0,
                 retry_max_s: float = 30.0, clock: Any = None) -> None:
        import time

        self.primary, self.fallback = primary, fallback
        self.name = primary.name
        self.retry_s, self.retry_max_s = retry_s, retry_max_s
        self.clock = clock or time.monotonic
        self.state, self.last_error, self.failures = "ready", "", 0
        self.covered = 0  # frames the fallback drew because the primary had no picture for that instant yet
        self._retry_at = 0.0

    def __getattr__(self, name: str) -> Any:  # what else a caller reads (mouth_box, hits, ...) is the primary's
        return getattr(self.primary, name)

    def frame(self, state: HostState, size: tuple[int, int]) -> np.ndarray:
        now = self.clock()
        if self.state == "ready" or now >= self._retry_at:
            try:
                drawn = self.primary.frame(state, size)
            except Exception as exc:  # the avatar's fault: the built-in host takes over
                self.failures += 1
                delay = min(self.retry_max_s, self.retry_s * 2 ** min(self.failures - 1, 8))
                self._retry_at = now + delay * random.uniform(0.8, 1.0)
                if self.state == "ready":
                    log.warning("avatar %s failed (%s); the built-in host takes over", self.name, exc)
                self.state, self.last_error = "fallback", f"{type(exc).__name__}: {exc}"
            else:
                if self.state == "fallback":
                    log.info("avatar %s draws again", self.name)
                self.state, self.failures = "ready", 0
                if drawn is not None:
                    return drawn
                self.covered += 1
        return self.fallback.frame(state, size)

    def hear(self, sentence: int, text: str, audio: np.ndarray) -> None:
        try:
            self.primary.hear(sentence, text, audio)
        except Exception as exc:
            log.warning("avatar %s: could not take a sentence: %s", self.name, exc)

    def prepare(self, size: tuple[int, int]) -> None:
        self.fallback.prepare(size)
        try:
            self.primary.prepare(size)
        except Exception as exc:
            log.warning("avatar %s: not prepared: %s", self.name, exc)

    def status(self) -> dict[str, Any]:
        return {**self.primary.status(), "avatar": self.name, "state": self.state, "last_error": self.last_error,
                "failures": self.failures, "covered_frames": self.covered}
