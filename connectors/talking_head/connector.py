"""The link to a talking-head service: sentences sent in order as soon as their speech exists, their frames kept
by sentence and frame number, the service's delay measured, and its state.

The timeline hands every sentence's audio over before it is heard (``AvatarBackend.hear``); the link sends them one
at a time, in order, and files each frame the service streams back under ``(sentence, frame number)``. Drawing then
asks for the frame of the instant being heard: a frame that arrives late is simply not asked for any more, so the
video is never shifted against the sound, only missing (the built-in host covers a missing frame). The delay
(request to first frame) is measured per sentence; :attr:`ServiceLink.lead_s` tells the timeline to synthesise at
least that far ahead, which compensates it for every sentence after the first of a line.

States: ``starting`` → ``ready``; ``retrying`` after a failure (capped jittered backoff: sentences heard meanwhile
are not sent, their video would come too late anyway); ``auth_failed`` when the service refuses the token;
``stopped``. The avatar's fallback logs one line when it fails and one when it is back (this link logs at debug).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np

from connectors.talking_head.client import (
    TalkingHeadAuthError,
    TalkingHeadBusy,
    TalkingHeadClient,
    TalkingHeadError,
)

log = logging.getLogger("livehub.talking_head")

KEEP_SENTENCES = 8
"""Sentences whose frames are kept (the one heard, and those synthesised ahead of it)."""
NETWORK_ERRORS = (OSError, aiohttp.ClientError, TalkingHeadError)


@dataclass
class SentenceVideo:
    """The frames of one sentence as they arrive (JPEG bytes by frame number)."""

    sentence: int
    sent_at: float
    frames: dict[int, bytes] = field(default_factory=dict)
    first_at: float | None = None
    done: bool = False


class ServiceLink:
    """See the module docstring. ``hear`` runs on the event loop; ``frame``/``idle_frame`` from any thread."""

    def __init__(self, client_factory: Callable[[], TalkingHeadClient], *, fps: int = 25,
                 retry_s: float = 1.0, retry_max_s: float = 30.0, max_lead_s: float = 10.0) -> None:
        self.client_factory = client_factory
        self.fps = fps
        self.size: tuple[int, int] | None = None  # the host's size, known once the first frame is drawn
        self.retry_s, self.retry_max_s, self.max_lead_s = retry_s, retry_max_s, max_lead_s
        self.state = "starting"
        self.last_error = ""
        self.failures = 0
        self.delay_s: float | None = None  # request to first frame, smoothed
        self.last_delay_s: float | None = None
        self.sentences_sent = self.sentences_done = self.frames_received = 0
        self._retry_at = 0.0
        self._lock = threading.Lock()
        self._videos: OrderedDict[int, SentenceVideo] = OrderedDict()
        self._idle: list[bytes] = []
        self._waiting: deque[tuple[int, np.ndarray, int]] = deque()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[Any] | None = None
        self._client: TalkingHeadClient | None = None

    # -- from the timeline ------------------------------------------------------------------------

    def hear(self, sentence: int, audio: np.ndarray, sample_rate: int) -> None:
        """Queue a sentence to be rendered (dropped while the service is failing and not due a retry)."""
        if self.state == "stopped" or (self.state in ("retrying", "auth_failed") and time.monotonic() < self._retry_at):
            return
        self._waiting.append((sentence, audio, sample_rate))
        while len(self._waiting) > KEEP_SENTENCES:
            self._waiting.popleft()
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"talking_head:{id(self):x}")
        assert self._wake is not None
        self._wake.set()

    @property
    def lead_s(self) -> float:
        """Seconds of speech to have in hand before it is heard: the measured delay and two frames."""
        return 0.0 if self.delay_s is None else min(self.max_lead_s, self.delay_s + 2.0 / self.fps)

    @property
    def failing(self) -> bool:
        return self.state in ("retrying", "auth_failed")

    def frame(self, sentence: int, index: int) -> bytes | None:
        with self._lock:
            video = self._videos.get(sentence)
            return None if video is None else video.frames.get(index)

    def idle_frame(self, index: int) -> bytes | None:
        with self._lock:
            return self._idle[index % len(self._idle)] if self._idle else None

    # -- the worker -------------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None
        while self.state != "stopped":
            if not self._waiting:
                self._wake.clear()
                await self._wake.wait()
                continue
            if self.failing and (wait := self._retry_at - time.monotonic()) > 0:
                self._waiting.clear()
                await asyncio.sleep(wait)
                continue
            sentence, audio, rate = self._waiting.popleft()
            try:
                await self._render(sentence, audio, rate)
            except asyncio.CancelledError:
                raise
            except TalkingHeadAuthError as exc:
                self._failed(exc, "auth_failed")
            except TalkingHeadBusy as exc:
                self._failed(exc, "retrying", wait=exc.retry_after)
            except NETWORK_ERRORS as exc:
                self._failed(exc, "retrying")
            except Exception as exc:  # a broken frame must not end the worker
                self._failed(exc, "retrying")

    async def _render(self, sentence: int, audio: np.ndarray, rate: int) -> None:
        client = self._client = self._client or self.client_factory()
        size = self.size or (512, 512)
        if not self._idle:
            idle = await client.idle(fps=self.fps, size=size)
            with self._lock:
                self._idle = [part.body for part in idle]
        video = SentenceVideo(sentence, time.monotonic())
        with self._lock:
            self._videos[sentence] = video
            while len(self._videos) > KEEP_SENTENCES:
                self._videos.popitem(last=False)
        self.sentences_sent += 1
        async for part in client.speak(sentence, audio, rate, fps=self.fps, size=size):
            if video.first_at is None:
                video.first_at = time.monotonic()
                self._measured(video.first_at - video.sent_at)
                self._recovered()
            with self._lock:
                video.frames[part.index] = part.body
            self.frames_received += 1
        video.done = True
        self.sentences_done += 1
        self._recovered()

    def _measured(self, delay: float) -> None:
        self.last_delay_s = delay
        self.delay_s = delay if self.delay_s is None else 0.7 * self.delay_s + 0.3 * delay

    def _recovered(self) -> None:
        if self.state != "ready":
            if self.state in ("retrying", "auth_failed"):
                log.debug("talking head: the service renders again")
            self.state, self.failures, self.last_error = "ready", 0, ""

    def _failed(self, exc: BaseException, state: str, wait: float | None = None) -> None:
        self.failures += 1
        if wait is None:
            wait = min(self.retry_max_s, self.retry_s * 2 ** min(self.failures - 1, 8)) * random.uniform(0.8, 1.0)
        self._retry_at = time.monotonic() + wait
        if not self.failing:
            log.debug("talking head: the service failed (%s: %s)", type(exc).__name__, exc)
        self.state, self.last_error = state, f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._idle = []  # fetched again once it is back (it may be another server now)

    async def close(self) -> None:
        self.state = "stopped"
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._client is not None:
            await self._client.close()

    def status(self) -> dict[str, Any]:
        return {"service": self.state, "delay_s": None if self.delay_s is None else round(self.delay_s, 3),
                "last_delay_s": None if self.last_delay_s is None else round(self.last_delay_s, 3),
                "lead_s": round(self.lead_s, 3), "sentences_sent": self.sentences_sent,
                "sentences_rendered": self.sentences_done, "frames_received": self.frames_received,
                "service_error": self.last_error}
