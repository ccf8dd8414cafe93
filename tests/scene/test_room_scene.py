"""A merchant picks the scene per room: ``[rooms.<room>] scene``; the size defaults to the scene's own; an
unknown scene stops the hub at start, naming the key."""

from __future__ import annotations

import pytest

from hub.app import Hub
from hub.config import load_config
from hub.errors import ConfigError
from hub.media.rooms import build_scene, build_timeline
from hub.plugins import BUILTIN_PLUGINS
from hub.testing import config_for_tests

BUILTINS = tuple(dict.fromkeys([*BUILTIN_PLUGINS, "plugins.voice_espeak", "plugins.avatar_sprite",
                                "plugins.scene_studio"]))


def _hub(config: dict) -> Hub:
    return Hub(load_config(data=config_for_tests(config), env=False), builtins=BUILTINS, autoload=False).build()


def test_a_room_naming_the_vertical_scene_gets_a_1080x1920_timeline_and_others_the_studio() -> None:
    hub = _hub({"rooms": {"phone": {"scene": "vertical"}, "main": {}, "small": {"scene": "vertical",
                                                                                "size": "720x1280"}}})
    phone, main = build_timeline(hub, "phone"), build_timeline(hub, "main")
    assert phone.size == (1080, 1920) and phone.drawer.scene.name == "vertical"
    assert main.size == (1280, 720) and main.drawer.scene.name == "studio"
    assert build_timeline(hub, "small").size == (720, 1280)  # an explicit size wins
    assert build_timeline(hub, "phone", size=(540, 960)).drawer.scene.size == (540, 960)
    assert build_timeline(hub, "nobody").drawer.scene.name == "studio"  # an unconfigured room: the default


def test_backends_scene_default_and_the_scenes_theme_come_from_the_config() -> None:
    hub = _hub({"rooms": {"main": {}}, "backends": {"scene": {"default": "vertical",
                                                              "vertical": {"accent": "#123456"}}}})
    scene = build_scene(hub, "main")
    assert scene.name == "vertical" and scene.size == (1080, 1920) and scene.theme.accent == "#123456"


def test_an_unknown_scene_stops_the_hub_at_start_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"rooms\.main\.scene: unknown scene backend 'portrait' "
                                          r"\(known: studio, vertical\)"):
        _hub({"rooms": {"main": {"scene": "portrait"}}})
    with pytest.raises(ConfigError, match=r"backends\.scene: unknown scene backend 'portrait'"):
        _hub({"backends": {"scene": {"default": "portrait"}}})


def test_an_unknown_avatar_or_voice_of_a_room_stops_the_hub_at_start_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"rooms\.main\.avatar: unknown avatar backend 'hologram' \(known: .*sprite"):
        _hub({"rooms": {"main": {"avatar": "hologram"}}})
    with pytest.raises(ConfigError, match=r"rooms\.main\.voices: unknown voice backend 'nobody'"):
        _hub({"rooms": {"main": {"voices": ["espeak", "nobody"]}}})
    assert build_timeline(_hub({"rooms": {"main": {"avatar": "sprite", "voices": ["espeak"]}}}), "main")


def test_livehub_render_draws_a_vertical_pitch_with_scene_vertical(tmp_path) -> None:
    import json
    import subprocess
    import sys

    out = tmp_path / "pitch.mp4"
    common = [sys.executable, "-m", "hub", "render", "--text", "大家好。", "--config", str(tmp_path / "none.toml")]
    done = subprocess.run([*common, "--scene", "vertical", "--size", "360x640", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "json", str(out)], capture_output=True, text=True,
                           check=True)
    assert json.loads(probe.stdout)["streams"][0] == {"width": 360, "height": 640}
    refused = subprocess.run([*common, "--scene", "vertical", "--size", "640x360", "--out", str(out)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "portrait" in refused.stderr
    unknown = subprocess.run([*common, "--scene", "cinema", "--out", str(out)], capture_output=True, text=True,
                             timeout=120)
    assert unknown.returncode != 0 and "cinema" in unknown.stderr and "vertical" in unknown.stderr
