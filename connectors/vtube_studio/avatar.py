"""The ``vtube_studio`` avatar backend: the host is a Live2D model in VTube Studio, its mouth moved frame by frame.

The timeline asks the avatar for the host at every frame, with the mouth the speech gives at that instant
(``HostState.mouth``, in step with the audio being played). This backend sends that value to VTube Studio as
``MouthOpen`` (one request in flight at most: a frame that finds the last one still travelling is skipped, so
the model never lags behind the voice) and draws nothing itself: the hub's scene shows no host, and OBS captures
VTube Studio's window over it as usual. Until the first value reaches VTube Studio, and whenever it cannot be
reached or refuses the plugin, drawing raises :class:`~hub.errors.BackendError` and the room's built-in host
stands in (:class:`hub.media.avatar.FallbackAvatar`), tried again with backoff. Sending a value every frame, even
0, also keeps the parameter (VTube Studio gives it back to face tracking after a second without data).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from connectors.vtube_studio.client import VtsClient
from connectors.vtube_studio.connector import MOUTH, TokenFile, VtsBridge
from hub.errors import BackendError
from hub.media.avatar import AvatarBackend, HostState


class VtsAvatarSettings(BaseModel):
    """``[backends.avatar.vtube_studio]``."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field("ws://127.0.0.1:8001/", description="VTube Studio's API (Settings: Allow Plugin API access)")
    plugin_name: str = Field("LiveHub Host", min_length=3, max_length=32, description="the name the user allows")
    plugin_developer: str = Field("LiveHub", min_length=3, max_length=32)
    token_file: Path = Field(Path("vtube_studio.token"), description="where the token VTube Studio issued is kept "
                                                                    "(mode 600; relative: the config file's folder)")
    timeout_s: float = Field(2.0, gt=0, le=60, description="an answer slower than this is a failure")
    cues: dict[str, str] = Field(default_factory=dict, description="cue → hotkey name or id: 'product' (a product "
                                                                   "comes on stage) or a line kind ('thanks' for a "
                                                                   "gift's thank-you, 'answer', 'pitch', 'takeover')")


class VtsAvatar(AvatarBackend):
    """See the module docstring."""

    name = "vtube_studio"
    cacheable = False
    mouth_levels = 101  # the model moves smoothly: the mouth goes to VTube Studio in hundredths

    def __init__(self, settings: VtsAvatarSettings, hub: Any = None) -> None:
        super().__init__()
        path = settings.token_file
        if not path.is_absolute():
            config_path = getattr(getattr(hub, "config", None), "path", None)
            path = (config_path.parent if config_path else Path.cwd()) / path
        self.bridge = VtsBridge(lambda: VtsClient(settings.url, settings.plugin_name, settings.plugin_developer,
                                                  timeout=settings.timeout_s), TokenFile(path), cues=settings.cues)
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._pending: concurrent.futures.Future[None] | None = None
        self.healthy = False
        self.last_error = "not connected yet"
        self.sent = self.skipped = self.cues = 0
        self._stage: str | None = None
        self._blank: dict[tuple[int, int], np.ndarray] = {}

    async def _send(self, mouth: float) -> None:
        client = await self.bridge.ensure()
        await client.inject({MOUTH: mouth})
        self.healthy = True

    def frame(self, state: HostState, size: tuple[int, int]) -> np.ndarray:
        if state.sku and state.sku != self._stage and self._loop is not None and not self._loop.is_closed():
            # a product comes on stage: the model reacts (the hotkey of cue "product", if mapped)
            asyncio.run_coroutine_threadsafe(self._cue("product"), self._loop)
        self._stage = state.sku or self._stage
        if state.cue and state.cue in self.bridge.cues and self._loop is not None and not self._loop.is_closed():
            # a line of a mapped kind starts (a thank-you for a gift): the model plays that cue's hotkey
            asyncio.run_coroutine_threadsafe(self._cue(state.cue), self._loop)
        return super().frame(state, size)

    async def _cue(self, name: str) -> None:
        try:
            if await self.bridge.cue(name):
                self.cues += 1
        except Exception as exc:  # VTube Studio away: the frames say so and the sprite stands in
            self.last_error = f"cue {name}: {type(exc).__name__}: {exc}"

    def _draw(self, state: HostState, size: tuple[int, int]) -> np.ndarray:
        pending = self._pending
        if pending is not None and pending.done():
            self._pending = None
            error = pending.exception()
            if error is not None:
                self.healthy, self.last_error = False, f"{type(error).__name__}: {error}"
        if self._pending is None:
            if self._loop is None or self._loop.is_closed():
                raise BackendError("VTube Studio: no event loop to reach it from", backend=self.name)
            self._pending = asyncio.run_coroutine_threadsafe(self._send(float(state.mouth)), self._loop)
            self.sent += 1
        else:
            self.skipped += 1
        if not self.healthy:
            raise BackendError(f"VTube Studio not reachable: {self.last_error}", backend=self.name)
        blank = self._blank.get(size)
        if blank is None:
            blank = self._blank[size] = np.zeros((size[1], size[0], 4), dtype=np.uint8)
        return blank

    async def close(self) -> None:
        await self.bridge.close()


def create_vts_avatar(settings: VtsAvatarSettings | None, hub: Any) -> VtsAvatar:
    return VtsAvatar(settings or VtsAvatarSettings(), hub)
