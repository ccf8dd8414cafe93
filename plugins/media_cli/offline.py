"""What the media commands share: a hub built (not started) from an optional config, the catalog and
the pitch text, the review every line goes through, and rendering a timeline to an MP4 file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.errors import ConfigError, LiveHubError
from hub.media.encoder import AVEncoder, EncoderSettings, ThreadedEncoder
from hub.media.playback import Line
from hub.media.timeline import RoomTimeline
from hub.review import ReviewContext, ReviewOutcome, review_output

CATALOG_TYPE = "catalog_file"


def load_catalog_file(hub: Any, path: Path) -> Any:
    """The catalog in ``path`` (JSON or CSV), read through the registered file catalog connector."""
    entry = hub.registry.connectors.get(CATALOG_TYPE)
    if entry is None:
        raise ConfigError(f"--catalog needs the {CATALOG_TYPE} connector plugin, which is not loaded")
    spec = entry[1]
    connector = spec.factory("cli", spec.config_model(path=path.resolve()), hub)
    return connector.load()


def configured_catalog(hub: Any) -> Any:
    """The catalog of the config's first catalog connector that can load without running, or None."""
    for name, (spec, config) in hub.settings.connectors.items():
        if spec.kind == "catalog":
            connector = spec.factory(name, config, hub)
            if hasattr(connector, "load"):
                return connector.load()
    return None


def voice_choice(hub: Any, name: str | None,
                 locale: str) -> tuple[list[str] | None, dict[str, dict[str, str]] | None]:
    """``--voice`` as (backends, voice overrides): ``espeak`` names a backend, ``espeak:en-us`` also a
    voice of it, and a bare voice name (``en-us``) a voice of the default backend."""
    if not name:
        return None, None
    backend, _, voice = name.partition(":")
    known = {n for kind, n in hub.registry.backends if kind == "voice"}
    if backend not in known:
        backend, voice = "espeak", name
    return [backend], ({backend: {locale: voice, locale.split("-")[0]: voice}} if voice else None)


def pitch_text(hub: Any, product: Any, shop: Any, locale: str) -> str:
    """The spoken pitch of ``product`` from the ``pitch.j2`` prompt template."""
    from hub.prompts import prompt_library

    return prompt_library(hub).render("pitch.j2", locale, product=product, shop=shop,
                                      currency=getattr(shop, "currency", "CNY"))


class LineBlocked(LiveHubError):
    """Review blocked a line a media command was to speak: nothing is rendered or pushed."""


async def review_line(hub: Any, text: str, *, kind: str, locale: str, room: str, catalog: Any = None,
                      sku: str | None = None) -> ReviewOutcome:
    """``text`` through :func:`hub.review.review_output`, exactly as the live path reviews what the host
    says: the outcome to speak (a rewrite replaces the text); :class:`LineBlocked` with the reasons when
    review blocks it. Every line a media command speaks comes through here."""
    context = ReviewContext(channel="voice", kind=kind, locale=locale, room=room, source="cli", catalog=catalog,
                            stage_sku=sku, skus=[sku] if sku else [])
    outcome = await review_output(hub, text, context)
    if outcome.blocked or not (outcome.text or "").strip():
        reasons = "; ".join(outcome.reasons) or "nothing left to say"
        raise LineBlocked(f"review blocked the line ({reasons}): {text}")
    return outcome


async def render_to_file(timeline: RoomTimeline, lines: list[Line], out: Path,
                         progress: Callable[[int], None] | None = None, *, video_kbps: int = 2500) -> int:
    """Render ``lines`` on ``timeline`` into the MP4 ``out`` (H.264 + AAC, faststart); returns frames."""
    settings = EncoderSettings(fps=timeline.fps, size=timeline.size, video_bitrate=video_kbps * 1000, tune=None,
                               cbr=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    target = str(out)
    frames = 0
    async with ThreadedEncoder(lambda: AVEncoder(target, "mp4", settings, {"movflags": "+faststart"}),
                               name="render", write_timeout=60.0) as encoder:
        async for frame in timeline.render(lines):
            await encoder.write(frame)
            frames += 1
            if progress is not None:
                progress(frames)
            await asyncio.sleep(0)
    return frames
