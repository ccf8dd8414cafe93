"""The ``talking_head`` avatar backend: the host is video rendered by a talking-head service from each sentence's
speech (a photo-real digital human on a GPU server, or a cloud service behind the same HTTP contract).

Every sentence's audio goes to the service as soon as it is synthesised (before it is heard; the timeline keeps
at least the service's measured delay in hand, :attr:`ServiceLink.lead_s`), and the frames it streams back are
shown at their own instant of the sentence (``HostState.speech``), so sound and picture cannot drift. Between
sentences the service's listening loop plays. A frame that has not arrived when its instant comes (the first
sentence after a silence, while the service catches up) is drawn by the built-in host; a service that fails or
is killed hands the host to the built-in one until it is back (:class:`hub.media.avatar.FallbackAvatar`).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from connectors.talking_head.client import TalkingHeadClient
from connectors.talking_head.connector import ServiceLink
from hub.errors import BackendError
from hub.media.avatar import AvatarBackend, HostState
from hub.media.frames import DEFAULT_FPS, SAMPLE_RATE
from hub.secrets import SecretValue


class TalkingHeadSettings(BaseModel):
    """``[backends.avatar.talking_head]``."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field("http://127.0.0.1:8010", description="the service (see docs/avatars.md for the contract)")
    token: SecretValue | None = Field(None, description="its bearer token, if it wants one ({env=…} or {file=…})")
    fps: int = Field(DEFAULT_FPS, ge=1, le=60, description="the frame rate asked of the service (the room's)")
    timeout_s: float = Field(10.0, gt=0, le=120, description="no byte from the service for this long is a failure")
    retry_max_s: float = Field(30.0, gt=0, le=600, description="the longest wait between two tries after failures")


class TalkingHeadAvatar(AvatarBackend):
    """See the module docstring."""

    name = "talking_head"
    cacheable = False

    def __init__(self, settings: TalkingHeadSettings, hub: Any = None) -> None:
        super().__init__()
        token = settings.token.get() if settings.token is not None else ""
        self.link = ServiceLink(lambda: TalkingHeadClient(settings.url, token=token, timeout=settings.timeout_s),
                                fps=settings.fps, retry_max_s=settings.retry_max_s)
        self.fps = settings.fps
        self._decoded: tuple[Any, np.ndarray] | None = None  # the last frame decoded, with its key
        self.shown = self.missing = 0  # frames drawn from the service's video / not rendered in time

    @property
    def lead_s(self) -> float:  # type: ignore[override]
        return self.link.lead_s

    def hear(self, sentence: int, text: str, audio: np.ndarray) -> None:
        self.link.hear(sentence, audio, SAMPLE_RATE)

    def _draw(self, state: HostState, size: tuple[int, int]) -> np.ndarray | None:
        self.link.size = self.link.size or size
        if self.link.failing:
            raise BackendError(f"talking head not available: {self.link.last_error}", backend=self.name)
        if state.speech is not None:
            sentence, seconds = state.speech
            key: Any = (sentence, int(seconds * self.fps))
            jpeg = self.link.frame(*key)
        else:
            key = ("idle", int(state.t * self.fps))
            jpeg = self.link.idle_frame(key[1])
        if jpeg is None:
            self.missing += 1
            return None  # not rendered yet: the built-in host covers this instant
        self.shown += 1
        return self._decode(key, jpeg, size)

    def _decode(self, key: Any, jpeg: bytes, size: tuple[int, int]) -> np.ndarray:
        cached = self._decoded
        if cached is not None and cached[0] == (key, size):
            return cached[1]
        try:
            with Image.open(io.BytesIO(jpeg)) as image:
                picture = image.convert("RGBA")
        except Exception as exc:
            raise BackendError(f"talking head sent a frame that is not a picture: {exc}", backend=self.name) from None
        if picture.size != tuple(size):
            picture = picture.resize(size, Image.Resampling.BILINEAR)
        drawn = np.asarray(picture, dtype=np.uint8)
        self._decoded = ((key, size), drawn)
        return drawn

    def status(self) -> dict[str, Any]:
        return {"avatar": self.name, "state": "fallback" if self.link.failing else "ready", **self.link.status(),
                "video_frames_shown": self.shown, "video_frames_missing": self.missing}

    async def close(self) -> None:
        await self.link.close()


def create_talking_head(settings: TalkingHeadSettings | None, hub: Any) -> TalkingHeadAvatar:
    return TalkingHeadAvatar(settings or TalkingHeadSettings(), hub)
