"""Driving a VTube Studio model from the host: the mouth from the speech, expressions from cues.

:class:`VtsBridge` keeps one authenticated session (connected and authenticated at first use, again after a
drop; the token VTube Studio issued is kept in a file readable by the hub's user only and reused, so the user
allows the plugin once), streams a line's mouth track (:func:`hub.media.lipsync.mouth_track`: 0..1 per frame,
from the voice's phoneme and word marks) as ``MouthOpen`` at its frame rate, paced by the clock from the line's
start, holds the mouth shut between lines often enough that VTube Studio keeps the parameter (it gives a
parameter back to face tracking after a second without data), and runs the hotkey mapped to a cue (a product
on stage, a thank-you). The avatar backend ``vtube_studio`` is built on it (issue #19).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from connectors.vtube_studio.client import VtsAuthError, VtsClient, VtsConnectionError, VtsError

log = logging.getLogger("livehub.vtube_studio")

MOUTH = "MouthOpen"
HOLD_S = 0.5
"""How often the mouth is sent while the host is silent (VTube Studio forgets a parameter after 1 s)."""


class TokenFile:
    """The plugin's authentication token, kept between sessions in ``path`` (mode 600)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def write(self, token: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(token)


class VtsBridge:
    """See the module docstring. ``client_factory()`` makes a new :class:`VtsClient` for each session."""

    def __init__(self, client_factory: Callable[[], VtsClient], tokens: TokenFile, *,
                 cues: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.client_factory, self.tokens, self.cues, self.clock = client_factory, tokens, dict(cues or {}), clock
        self.client: VtsClient | None = None
        self.frames_sent = self.cues_run = 0
        self.last_error = ""

    async def ensure(self) -> VtsClient:
        """A connected, authenticated session (VtsConnectionError, VtsAuthError when there cannot be one)."""
        if self.client is not None and self.client.connected and self.client.authenticated:
            return self.client
        await self.close()
        client = self.client_factory()
        await client.connect()
        try:
            token = await client.authenticate(self.tokens.read())
        except BaseException:
            await client.close()
            raise
        if token != self.tokens.read():
            self.tokens.write(token)
        self.client = client
        return client

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.close()

    async def speak(self, track: Sequence[float], fps: float, start: float | None = None) -> int:
        """Send the mouth of one line, frame ``i`` at ``start + i / fps`` (default: now), then shut it; the
        frames sent. A frame whose time has passed by more than a frame is skipped (the mouth stays in step)."""
        client = await self.ensure()
        begin = self.clock() if start is None else start
        sent = 0
        for i, value in enumerate(track):
            due = begin + i / fps
            wait = due - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -1.0 / fps:
                continue
            await client.inject({MOUTH: max(0.0, min(1.0, float(value)))})
            sent += 1
        await client.inject({MOUTH: 0.0})
        self.frames_sent += sent
        return sent

    async def hold(self) -> None:
        """Keep the mouth shut (call at least every :data:`HOLD_S` while the host is silent)."""
        client = await self.ensure()
        await client.inject({MOUTH: 0.0})

    async def cue(self, name: str) -> bool:
        """Run the hotkey mapped to cue ``name`` (False: none mapped, or VTube Studio refused it, logged)."""
        hotkey = self.cues.get(name)
        if not hotkey:
            return False
        client = await self.ensure()
        try:
            await client.trigger_hotkey(hotkey)
        except VtsAuthError:
            raise
        except VtsError as exc:  # a hotkey on cooldown or missing from the model: the show goes on
            self.last_error = str(exc)
            log.warning("VTube Studio hotkey %r for cue %r: %s", hotkey, name, exc)
            return False
        self.cues_run += 1
        return True


__all__ = ["VtsBridge", "TokenFile", "VtsConnectionError", "VtsAuthError", "MOUTH", "HOLD_S"]
