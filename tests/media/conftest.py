"""Fixtures of the media tests: a private nginx-rtmp ingest, hubs with the media plugins, a voice cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.app import Hub
from hub.config import load_config
from hub.plugins import BUILTIN_PLUGINS
from hub.testing import config_for_tests
from tests.environment import unavailable

try:
    from tests.media.nginx import NginxMissing, NginxRtmp
except ImportError:  # pytest put tests/ itself on sys.path
    from media.nginx import NginxMissing, NginxRtmp  # type: ignore[no-redef]

MEDIA_PLUGINS = ("plugins.voice_espeak", "plugins.avatar_sprite", "plugins.scene_studio", "plugins.output_rtmp",
                 "plugins.output_file", "plugins.output_webrtc", "plugins.overlay", "plugins.media_cli")
BUILTINS = tuple(dict.fromkeys([*BUILTIN_PLUGINS, *MEDIA_PLUGINS]))


@pytest.fixture(autouse=True)
def voice_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """One voice cache for the session, out of the working tree."""
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "livehub-cache"))


def media_config(overrides: dict | None = None) -> dict:
    return config_for_tests(overrides)


def built_hub(overrides: dict | None = None) -> Hub:
    """A hub with the media plugins, built (registry and settings) but not started."""
    return Hub(load_config(data=media_config(overrides), env=False), builtins=BUILTINS, autoload=False).build()


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[NginxRtmp]:
    """A private nginx-rtmp on free ports; skipped where nginx is missing, except under CI (a failure)."""
    try:
        server = NginxRtmp(tmp_path / "nginx")
    except NginxMissing as exc:
        unavailable(str(exc), "RTMP tests")
    server.start()
    try:
        yield server
    finally:
        server.stop()


TOKEN = "media-test-token-5f2c9a"
TOKEN_ENV = "LIVEHUB_MEDIA_TEST_TOKEN"


@pytest.fixture
async def web_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A running hub with the web server on a free port, the API token :data:`TOKEN`, the media plugins,
    room ``main`` (token needed) and room ``public`` (``public = true``)."""
    from hub.testing import running_hub

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = {"web": {"enabled": True, "port": 0, "token": {"env": TOKEN_ENV}},
              "rooms": {"main": {"size": "640x360"}, "public": {"size": "640x360", "public": True}},
              "backends": {"output": {"file": {"path": str(tmp_path / "rec" / "{room}.mp4")}}}}
    async with running_hub(config=config, builtins=BUILTINS) as hub:
        yield hub
