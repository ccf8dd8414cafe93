"""The speaking budget: the host cannot talk faster than its voice, nor post faster than the platform allows.

* :func:`hub.speech_time.estimate_speech_seconds` — how long a line takes to say (Chinese characters and
  English words a second, digits read out, a pause per sentence), at the rates of ``[plugins.triage]``. A
  voice plugin that knows the real duration replaces the estimate through :attr:`SpeechBudget.estimator`.
* :class:`VoiceTimeline` — one voice, one line at a time: a line starts when the previous one (plus a small
  gap) has ended, so spoken replies never overlap.
* :class:`ChatRateLimiter` — at most ``limit`` chat replies in any ``window_s`` seconds (platforms mute or
  ban accounts that post faster; the default is 20 per 30 s).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from hub.speech_time import estimate_speech_seconds

__all__ = ["VoiceTimeline", "ChatRateLimiter", "SpeechBudget"]


class VoiceTimeline:
    """When the one voice is free. :meth:`reserve` books a line and returns its start time."""

    def __init__(self, gap_s: float = 0.3) -> None:
        self.gap_s = gap_s
        self.free_at = float("-inf")
        self.spoken_s = 0.0
        self.lines = 0

    def wait(self, now: float) -> float:
        """Seconds until the voice is free (0 when it is)."""
        return max(0.0, self.free_at - now)

    def is_free(self, now: float) -> bool:
        return self.free_at <= now

    def reserve(self, now: float, duration: float) -> float:
        """Book ``duration`` seconds of speech as soon as possible; returns when the line starts."""
        start = max(now, self.free_at)
        self.free_at = start + duration + self.gap_s
        self.spoken_s += duration
        self.lines += 1
        return start

    def extend(self, duration: float) -> None:
        """The line booked last goes on ``duration`` seconds longer (an answer said sentence by sentence)."""
        self.free_at += duration
        self.spoken_s += duration


class ChatRateLimiter:
    """A sliding window: at most ``limit`` posts in any ``window_s`` seconds."""

    def __init__(self, limit: int = 20, window_s: float = 30.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._sent: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window_s:
            self._sent.popleft()

    def allowed(self, now: float) -> bool:
        self._trim(now)
        return self.limit > 0 and len(self._sent) < self.limit

    def next_slot(self, now: float) -> float | None:
        """When a post is next allowed (``now`` if it is; None if chat is off)."""
        if self.limit <= 0:
            return None
        self._trim(now)
        if len(self._sent) < self.limit:
            return now
        return self._sent[0] + self.window_s

    def record(self, now: float) -> None:
        self._sent.append(now)

    def in_window(self, now: float) -> int:
        self._trim(now)
        return len(self._sent)


class SpeechBudget:
    """The voice timeline, the chat limiter and the duration estimator of one room."""

    def __init__(self, *, zh_chars_per_s: float = 4.5, en_words_per_s: float = 2.6, pause_s: float = 0.25,
                 gap_s: float = 0.3, chat_limit: int = 20, chat_window_s: float = 30.0) -> None:
        self.voice = VoiceTimeline(gap_s)
        self.chat = ChatRateLimiter(chat_limit, chat_window_s)
        self._rates = (zh_chars_per_s, en_words_per_s, pause_s)
        self.estimator: Callable[[str, str], float] | None = None  # a voice plugin's real durations
        self._recent: deque[float] = deque(maxlen=20)

    def duration(self, text: str, locale: str) -> float:
        if self.estimator is not None:
            return float(self.estimator(text, locale))
        zh, en, pause = self._rates
        return estimate_speech_seconds(text, locale, zh_chars_per_s=zh, en_words_per_s=en, pause_s=pause)

    def observe(self, duration: float) -> None:
        self._recent.append(duration)

    @property
    def typical_line_s(self) -> float:
        """The average recent spoken answer (5 s before any): to guess how long the voice backlog is."""
        return sum(self._recent) / len(self._recent) if self._recent else 5.0

    def voice_start_estimate(self, now: float, lines_ahead: int) -> float:
        """Seconds until a line with ``lines_ahead`` lines before it would be spoken."""
        return self.voice.wait(now) + lines_ahead * (self.typical_line_s + self.voice.gap_s)
