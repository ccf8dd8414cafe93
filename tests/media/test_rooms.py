"""A room's media lives on the room (``hub.rooms[room].slots``): opened, found, closed; the room's
settings are validated with the hub's; the default voice and avatar are flags of the plugins' specs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.errors import BackendError
from hub.hookspecs import hookimpl
from hub.media.backends import default_backend
from hub.media.rooms import (
    RoomMedia,
    RoomMediaSettings,
    build_avatar,
    build_timeline,
    close_all_rooms,
    close_room,
    media_rooms,
    open_room,
    room_media,
    room_settings,
    room_timeline,
)
from hub.media.timeline import RoomTimeline
from hub.media.voice_chain import configured_voices
from hub.specs import BackendSpec
from hub.testing import running_hub

from .conftest import BUILTINS, built_hub

ROOMS = {"main": {"size": "640x360", "locale": "en-US", "public": True, "title": "Tea"}}


def test_media_settings_are_the_rooms_validated_media_keys() -> None:
    hub = built_hub({"rooms": ROOMS})
    assert room_settings(hub, "main") == RoomMediaSettings(size=(640, 360))
    assert room_settings(hub, "elsewhere") == RoomMediaSettings()  # a room nobody configured: defaults
    assert hub.rooms["main"].locale == "en-US" and hub.rooms["main"].public
    for core_key in ("locale", "public", "title"):  # core room settings, not media ones
        with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
            RoomMediaSettings.model_validate({core_key: "x"})


def test_the_timeline_speaks_the_rooms_locale() -> None:
    hub = built_hub({"rooms": ROOMS})
    timeline = build_timeline(hub, "main")
    assert timeline.locale == "en-US" and timeline.voice.locale == "en-US" and timeline.size == (640, 360)
    assert build_timeline(hub, "other").locale == hub.config.hub.locale


async def test_open_media_is_kept_on_the_room_and_leaves_its_state_alone() -> None:
    async with running_hub(config={"rooms": ROOMS}, builtins=BUILTINS) as hub:
        assert room_media(hub, "main") is None and room_timeline(hub, "main") is None and media_rooms(hub) == {}
        media = await open_room(hub, "main", outputs=[])
        room = hub.rooms["main"]
        assert room.slots.get(RoomMedia) is media and room.slots.get(RoomTimeline) is media.timeline
        assert room_media(hub, "main") is media and room_timeline(hub, "main") is media.timeline
        assert media_rooms(hub) == {"main": media}
        assert await open_room(hub, "main") is media  # opened once
        assert room.state == "opened"  # on air is the show runner's to say
        await close_room(hub, "main")
        assert room_media(hub, "main") is None and room_timeline(hub, "main") is None
        assert not media.timeline.running and media_rooms(hub) == {}


async def test_a_timeline_started_elsewhere_is_found_and_closed_but_is_not_open_media() -> None:
    async with running_hub(config={"rooms": ROOMS}, builtins=BUILTINS) as hub:
        timeline = build_timeline(hub, "side", size=(320, 180))
        await timeline.start()
        assert room_timeline(hub, "side") is timeline and room_media(hub, "side") is None
        assert media_rooms(hub) == {}
        opened = await open_room(hub, "main", outputs=[])
        await close_all_rooms(hub)  # closes what open_room started only
        assert not opened.timeline.running and timeline.running
        await close_room(hub, "side")
        assert not timeline.running and room_timeline(hub, "side") is None
        await close_room(hub, "nowhere")  # no such room: nothing to do, and none is made
        assert "nowhere" not in hub.rooms


async def test_a_timeline_without_a_hub_registers_nowhere() -> None:
    hub = built_hub()
    timeline = build_timeline(hub, "main", size=(320, 180))
    timeline.hub = None  # as the CLI's offline render runs it
    await timeline.start()
    try:
        assert room_timeline(hub, "main") is None
    finally:
        await timeline.stop()


class _Flags:
    """A second voice and avatar; ``flag`` says whether they claim to be the default."""

    def __init__(self, flag: bool) -> None:
        self.flag = flag

    @hookimpl
    def livehub_register_backends(self) -> list[BackendSpec]:
        make = lambda settings, hub: ("made", settings)  # noqa: E731
        return [BackendSpec(kind="voice", name="quiet", factory=make, default=self.flag),
                BackendSpec(kind="avatar", name="stick", factory=make, default=self.flag)]


def _hub(builtins: tuple[str, ...], flag: bool | None = None, config: dict | None = None):
    from hub.app import Hub
    from hub.config import load_config
    from hub.testing import config_for_tests

    plugins = [("flags", _Flags(flag))] if flag is not None else []
    return Hub(load_config(data=config_for_tests(config), env=False), builtins=builtins, extra_plugins=plugins,
               autoload=False).build()


def test_the_default_voice_and_avatar_are_the_flagged_specs() -> None:
    media = ("plugins.voice_espeak", "plugins.avatar_sprite", "plugins.scene_studio")
    hub = _hub(media, flag=False)
    assert configured_voices(hub) == ["espeak"] and default_backend(hub, "avatar") == "sprite"
    assert type(build_avatar(hub)).__name__ == "SpriteAvatar"
    hub = _hub((), flag=True)  # another plugin's flagged backends, none of ours
    assert configured_voices(hub) == ["quiet"] and build_avatar(hub) == ("made", None)
    hub = _hub(media, flag=False, config={"backends": {"voice": {"default": "quiet"},
                                                       "avatar": {"default": "stick"}}})
    assert configured_voices(hub) == ["quiet"] and build_avatar(hub) == ("made", None)  # config wins


def test_no_flagged_default_and_none_configured_is_a_clear_error() -> None:
    hub = _hub((), flag=False)
    with pytest.raises(BackendError, match=r"no voice backend chosen.*BackendSpec\(default=True\).*known: quiet"):
        configured_voices(hub)
    with pytest.raises(BackendError, match=r"no avatar backend chosen.*known: stick"):
        build_avatar(hub)
    with pytest.raises(BackendError, match="no voice backend chosen"):
        build_timeline(hub, "main")


async def test_a_public_url_never_makes_a_room(web_hub) -> None:
    import aiohttp

    sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    async with aiohttp.ClientSession() as session:
        for room in ("main", "made-up"):  # not public; unknown
            async with session.post(f"{web_hub.web.url}/live/{room}/webrtc", data=sdp) as response:
                assert response.status == 404
    assert "made-up" not in web_hub.rooms
