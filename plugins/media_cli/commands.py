"""``livehub render`` and ``livehub stream-test``.

Every line they speak goes through review first, exactly as on air: a blocked line is reported and
nothing is rendered or pushed; a rewritten line is spoken as rewritten (and the rewrite is shown).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import click

from hub.cli import build_hub_or_exit, config_option, err_console, load_or_exit
from hub.errors import ConfigError, LiveHubError
from hub.media.output import mask_url
from hub.media.pictures import FolderPictures
from hub.media.playback import Line
from hub.media.rooms import build_timeline, catalog_folder, parse_size
from hub.secrets import SecretValue
from hub.specs import BackendSpec
from plugins.media_cli.offline import (
    configured_catalog,
    load_catalog_file,
    pitch_text,
    render_to_file,
    review_line,
    voice_choice,
)

OUTPUT_KIND, OUTPUT_NAME = "output", "rtmp"  # the output backend stream-test pushes through

ANNOUNCEMENT = {
    "zh": "这是一条推流测试。主播的声音和画面正在发送到直播平台。如果你能看到并听到我，推流设置就没有问题。",
    "en": "This is a stream test. The host's voice and picture are being sent to the platform. "
          "If you can see and hear me, the stream settings are working.",
}


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _fail(message: str) -> None:
    err_console().print(f"error: {message}", markup=False)
    sys.exit(1)


def _reviewed(hub: Any, text: str, **context: Any) -> str:
    """``text`` as review lets the host say it (a rewrite is shown with its reasons); raises
    :class:`~plugins.media_cli.offline.LineBlocked` when review blocks it."""
    outcome = asyncio.run(review_line(hub, text, **context))
    if outcome.changed:
        err_console().print(f"review rewrote the line ({'; '.join(outcome.reasons)}):\n  {text}\n"
                            f"  -> {outcome.text}", markup=False)
    return outcome.text or ""


@click.command()
@click.option("--text", help="What the host says.")
@click.option("--product", "sku", help="Pitch this catalog SKU (text from the pitch.j2 prompt template).")
@click.option("--catalog", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A catalog file (JSON or CSV); default: the config's catalog connector.")
@click.option("--voice", help="Voice backend (espeak), backend:voice (espeak:en-us) or a voice name.")
@click.option("--size", callback=_size, help="Frame size, e.g. 1280x720 or 720x1280 (default: the scene's).")
@click.option("--scene", help="Scene backend: studio (landscape) or vertical (9:16); default: [backends.scene].")
@click.option("--locale", help="Language of the pitch and voice (default: the shop's, else [hub] locale).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The MP4 to write.")
@config_option
def render(text: str | None, sku: str | None, catalog: Path | None, voice: str | None,
           size: tuple[int, int] | None, scene: str | None, locale: str | None, out: Path,
           config_path: Path) -> None:
    """Render a short pitch video (host, voice, product card, captions) to an MP4 file."""
    if bool(text) == bool(sku):
        raise click.UsageError("give exactly one of --text and --product")
    config = load_or_exit(config_path, required=False)
    hub = build_hub_or_exit(config)
    try:
        shop_catalog = load_catalog_file(hub, catalog) if catalog else configured_catalog(hub)
        product = None
        if sku:
            if shop_catalog is None:
                raise click.UsageError("--product needs a catalog: pass --catalog FILE or configure one")
            product = shop_catalog.by_sku(sku)
            if product is None:
                raise click.UsageError(f"SKU {sku!r} is not in the catalog")
        locale = locale or (shop_catalog.shop.locale if shop_catalog else None) or config.hub.locale
        if product is not None:
            text = pitch_text(hub, product, shop_catalog.shop, locale)
        text = _reviewed(hub, text or "", kind="pitch" if product is not None else "render", locale=locale,
                         room="render", catalog=shop_catalog, sku=sku)
        voices, overrides = voice_choice(hub, voice, locale)
        timeline = build_timeline(hub, "render", size=size, voices=voices, locale=locale, scene=scene,
                                  catalog=lambda: shop_catalog,
                                  pictures=FolderPictures(catalog.resolve().parent if catalog else catalog_folder(hub)))
        if overrides:
            timeline.voice.voices.update(overrides)
        started = time.perf_counter()
        with err_console().status("rendering ...") as status:
            frames = asyncio.run(render_to_file(
                timeline, [Line(text=text, kind="pitch", sku=sku)], out,
                lambda n: status.update(f"rendering ... {n / timeline.fps:.1f} s")))
    except LiveHubError as exc:
        _fail(config.redactor.redact(str(exc)))
        return
    except ValueError as exc:  # a scene that cannot draw the size asked (the vertical scene in landscape)
        _fail(str(exc))
        return
    seconds = frames / timeline.fps
    click.echo(f"wrote {out} ({seconds:.1f} s, {timeline.size[0]}x{timeline.size[1]} at {timeline.fps} fps, "
               f"rendered in {time.perf_counter() - started:.1f} s)")


@click.command("stream-test")
@click.option("--to", "url", required=True, help="The ingest URL with its stream key, rtmp://host/app/KEY.")
@click.option("--seconds", default=15.0, show_default=True, type=click.FloatRange(1, 3600))
@click.option("--size", callback=_size, help="Frame size, e.g. 1280x720.")
@click.option("--kbps", default=2500, show_default=True, type=click.IntRange(200, 50_000), help="Video bitrate.")
@click.option("--locale", help="Language of the announcement (default: [hub] locale).")
@config_option
def stream_test(url: str, seconds: float, size: tuple[int, int] | None, kbps: int, locale: str | None,
                config_path: Path) -> None:
    """Push the host reading a test announcement to an RTMP ingest, to check a stream key before a show."""
    config = load_or_exit(config_path, required=False)
    config.redactor.add(url.rstrip("/").rpartition("/")[2])
    hub = build_hub_or_exit(config)
    shown = mask_url(url)
    locale = locale or config.hub.locale
    try:
        output_spec = _output_spec(hub)
        text = _reviewed(hub, ANNOUNCEMENT["zh" if locale.lower().startswith("zh") else "en"],
                         kind="announcement", locale=locale, room="stream-test")
        click.echo(f"pushing to {shown} for {seconds:g} s ...")
        output = asyncio.run(_push(hub, output_spec, url, text, seconds, size, kbps, locale))
    except LiveHubError as exc:
        _fail(config.redactor.redact(str(exc)))
        return
    if output.state == "failed" or output.frames_sent == 0 or not output.times_live:
        _fail(f"the push to {shown} did not work: {output.detail or output.state}")
    click.echo(f"done: {output.frames_sent} frames sent to {shown}, {output.reconnects} reconnect(s)")


def _output_spec(hub: Any) -> BackendSpec:
    """The RTMP output backend, as its plugin registered it (media_cli imports no other plugin)."""
    found = hub.registry.backends.get((OUTPUT_KIND, OUTPUT_NAME))
    if found is None or found[1].config_model is None:
        raise ConfigError(f"stream-test needs the {OUTPUT_NAME!r} {OUTPUT_KIND} backend (plugin output_rtmp), "
                          "which is not loaded")
    return found[1]


async def _push(hub: Any, spec: BackendSpec, url: str, text: str, seconds: float, size: tuple[int, int] | None,
                kbps: int, locale: str) -> Any:
    timeline = build_timeline(hub, "stream-test", size=size, locale=locale)
    assert spec.config_model is not None
    settings = spec.config_model(url=SecretValue(url, "command line"), video_kbps=kbps)
    output = spec.factory(settings, None)  # a built, not started hub: the push reports to no one
    await timeline.start()
    task = output.start(timeline)
    shown_state = output.state
    deadline = time.monotonic() + seconds
    try:
        line = timeline.say(text, kind="announcement")
        while time.monotonic() < deadline and not task.done():
            if line.done is not None and line.done.done():
                line = timeline.say(text, kind="announcement")
            if output.state != shown_state:
                shown_state = output.state
                click.echo(f"  {shown_state}{': ' + output.detail if output.detail else ''}")
            await asyncio.sleep(0.2)
    finally:
        await timeline.stop()
        await output.stop(grace=10.0)
    return output
