"""Rooms in the core: validated settings, bindings, lifecycle, slots, and the rooms API."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from hub.app import Hub
from hub.config import load_config
from hub.errors import ConfigError
from hub.hookspecs import hookimpl
from hub.rooms import RoomSettings, build_rooms
from hub.slots import MissingSlot, Slots
from hub.testing import config_for_tests

CORE = ("hub.builtin.rooms", "connectors.local")


class ShowKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rundown: str = ""
    max_minutes: int = Field(60, ge=1)


class ShowKeysPlugin:
    @hookimpl
    def livehub_room_models(self):
        return [ShowKeys]


def built(data: dict, *, plugins=()) -> Hub:
    return Hub(load_config(data=config_for_tests(data), env=False), builtins=CORE, autoload=False,
               extra_plugins=plugins).build()


def test_rooms_come_from_tables_and_bindings_with_validated_settings():
    hub = built({"rooms": {"main": {"title": "Spring tea", "locale": "en", "size": "720x1280"}},
                 "connectors": {"page": {"type": "local", "room": "side"}}})
    assert hub.rooms.names() == ["main", "side"]
    main = hub.rooms["main"]
    assert main.configured and main.core.title == "Spring tea" and main.locale == "en"
    from hub.media.rooms import RoomMediaSettings

    assert main.settings(RoomMediaSettings).size == (720, 1280)
    side = hub.rooms["side"]
    assert not side.configured and side.locale == hub.config.hub.locale
    assert side.bindings == ["page"] and main.bindings == []
    with pytest.raises(KeyError, match="no room named 'nope'"):
        hub.rooms["nope"]


def test_unknown_room_key_names_file_key_path_and_reason():
    with pytest.raises(ConfigError) as info:
        built({"rooms": {"main": {"titel": "typo", "fps": 7}}})
    text = str(info.value)
    assert "rooms.main.titel: unknown key" in text
    assert "rooms.main.fps" in text and "48000" in text


def test_plugin_room_models_extend_the_known_keys():
    with pytest.raises(ConfigError, match=r"rooms.main.rundown: unknown key"):
        built({"rooms": {"main": {"rundown": "spring"}}})
    hub = built({"rooms": {"main": {"rundown": "spring", "max_minutes": 5}}}, plugins=[("show", ShowKeysPlugin())])
    assert hub.rooms["main"].settings(ShowKeys).max_minutes == 5
    with pytest.raises(ConfigError, match=r"rooms.main.max_minutes: Input should be greater than or equal to 1"):
        built({"rooms": {"main": {"max_minutes": 0}}}, plugins=[("show", ShowKeysPlugin())])


def test_build_rooms_rejects_bad_names_and_ensure_makes_defaults():
    with pytest.raises(ConfigError, match="room names are"):
        build_rooms({"bad name": {}}, [RoomSettings])
    rooms = build_rooms({}, [RoomSettings], hub_locale="en")
    room = rooms.ensure("pop-up")
    assert rooms.ensure("pop-up") is room and room.locale == "en" and not room.configured
    with pytest.raises(ValueError):
        rooms.ensure("no/slashes")


def test_lifecycle_moves_and_refuses_unknown_states():
    room = build_rooms({}, [RoomSettings]).ensure("main")
    assert room.state == "opened" and not room.on_air
    assert room.set_state("on_air", by="show spring")
    assert not room.set_state("on_air")
    assert room.on_air and room.status()["by"] == "show spring"
    room.set_state("paused")
    assert room.on_air
    with pytest.raises(ValueError, match="unknown room state"):
        room.set_state("live")


def test_slots_are_typed_and_say_what_is_missing():
    class Engine:
        pass

    class Queue:
        provided_by = "triage"

    slots = Slots(owner="room 'main'")
    engine = slots.setdefault(Engine, Engine)
    assert slots.setdefault(Engine, Engine) is engine and slots.get(Engine) is engine
    assert slots.names() == ["Engine"]
    with pytest.raises(MissingSlot, match=r"nothing provides Queue on room 'main' \(provided by the triage plugin"):
        slots.require(Queue)
    slots.discard(Engine, object())
    assert Engine in slots
    slots.discard(Engine, engine)
    assert slots.get(Engine) is None


class ShowView:
    def room_status(self):
        return {"show": "spring", "state": "hijacked"}


async def test_rooms_close_when_the_hub_stops_and_the_api_lists_them():
    from aiohttp import ClientSession

    from hub.testing import running_hub

    config = {"web": {"enabled": True, "port": 0, "token": {"env": "ROOMS_TEST_TOKEN"}},
              "rooms": {"main": {"public": True}}}
    import os

    os.environ["ROOMS_TEST_TOKEN"] = "rooms-token-123"
    try:
        async with running_hub(config=config, builtins=("hub.builtin.token_auth", *CORE)) as hub:
            hub.rooms["main"].slots.set(ShowView, ShowView())
            url = f"http://127.0.0.1:{hub.web.port}/api/v1/rooms"
            async with ClientSession(headers={"Authorization": "Bearer rooms-token-123"}) as http:
                async with http.get(url) as resp:
                    body = await resp.json()
                async with http.get(url + "/ghost") as missing:
                    assert missing.status == 404
            main = next(r for r in body["rooms"] if r["name"] == "main")
            assert main["state"] == "opened" and main["public"] is True and main["slots"] == ["ShowView"]
            assert main["show"] == "spring"  # added by the slot; the core's "state" is not overwritten
            room = hub.rooms["main"]
        assert room.state == "closed"
    finally:
        del os.environ["ROOMS_TEST_TOKEN"]
