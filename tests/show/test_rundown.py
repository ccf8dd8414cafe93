"""Rundowns: strict validation with file, field and reason; shows from TOML files and from the API."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from plugins.show_runner.library import ShowLibrary
from plugins.show_runner.rundown import RundownError, load_rundown_file, load_shows_dir, parse_rundown
from plugins.show_runner.service import show_service

from .conftest import AUTH, show_hub

SPRING = """
name = "spring"
room = "main"
locale = "zh-CN"
loop = true
idle_fill_s = 20

[[segments]]
sku = "TEA-001"
minutes = 5
lines = ["这款高山乌龙茶，清香回甘。"]
promotion = { at_minute = 3, countdown_s = 60 }

[[segments]]
sku = "MUG-002"
minutes = 2.5
variants = 4
"""


def problems_of(data: object) -> list[tuple[str, str]]:
    with pytest.raises(RundownError) as caught:
        parse_rundown(data, "api")
    return [(p.field, p.reason) for p in caught.value.problems]


def test_the_documented_rundown_loads() -> None:
    import tomllib

    show = parse_rundown(tomllib.loads(SPRING))
    assert show.name == "spring" and show.loop and show.seconds == 450
    assert show.segments[0].promotion.countdown_s == 60 and show.segments[1].variants == 4
    assert show.segments[1].lines == [] and show.round_gap_s == 10


@pytest.mark.parametrize(("data", "field", "reason"), [
    ({"name": "x", "segments": [{"sku": "A", "minutes": "5"}]}, "segments.0.minutes", "valid number"),
    ({"name": "x", "segments": [{"sku": "A", "minutes": 0}]}, "segments.0.minutes", "greater than 0"),
    ({"name": "x", "segments": [{"sku": "A", "minutes": 1, "colour": "red"}]}, "segments.0.colour", "unknown key"),
    ({"name": "x", "segments": []}, "segments", "at least 1"),
    ({"name": "two words", "segments": [{"sku": "A", "minutes": 1}]}, "name", "pattern"),
    ({"name": "x", "loop": "yes", "segments": [{"sku": "A", "minutes": 1}]}, "loop", "valid boolean"),
    ({"name": "x", "segments": [{"sku": "A", "minutes": 1, "lines": ["ok", "  "]}]}, "segments.0.lines", "empty"),
    ({"name": "x", "segments": [{"sku": "A", "minutes": 1, "promotion": {"at_minute": 0.5, "countdown_s": 60}}]},
     "segments.0.promotion", "ends after the 1-minute segment"),
    ({"name": "x", "idle_fill_s": 1, "segments": [{"sku": "A", "minutes": 1}]}, "idle_fill_s", "greater than or equal to 3"),
])
def test_a_bad_rundown_names_the_field_and_the_reason(data: dict, field: str, reason: str) -> None:
    found = problems_of(data)
    assert any(f == field and reason in r for f, r in found), found


def test_every_problem_is_reported_at_once() -> None:
    found = problems_of({"name": "x", "segments": [{"sku": "", "minutes": -1}], "extra": 1})
    assert {f for f, _ in found} == {"segments.0.sku", "segments.0.minutes", "extra"}


def test_files_load_with_their_stem_as_default_name_and_bad_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "spring.toml").write_text(SPRING, encoding="utf-8")
    (tmp_path / "quiet.toml").write_text('[[segments]]\nsku = "A"\nminutes = 1\n', encoding="utf-8")
    (tmp_path / "broken.toml").write_text('name = "b"\n[[segments]]\nsku = "A"\nminutes = "ten"\n', encoding="utf-8")
    (tmp_path / "garbage.toml").write_text("name = \n", encoding="utf-8")
    (tmp_path / "summer.toml").write_text('name = "spring"\n[[segments]]\nsku = "B"\nminutes = 1\n', encoding="utf-8")
    shows, problems = load_shows_dir(tmp_path)
    assert set(shows) == {"spring", "quiet"} and shows["quiet"][0].name == "quiet"
    where = {(Path(p.source).name, p.field) for p in problems}
    assert where == {("broken.toml", "segments.0.minutes"), ("garbage.toml", ""), ("summer.toml", "name")}
    assert "already defined" in next(p.reason for p in problems if p.field == "name")
    assert str(next(p for p in problems if p.field == "segments.0.minutes")).startswith(str(tmp_path / "broken.toml"))
    with pytest.raises(RundownError, match="cannot read"):
        load_rundown_file(tmp_path / "missing.toml")


async def test_shows_come_from_files_and_the_api_and_the_api_replaces_a_file_show(tmp_path: Path) -> None:
    shows_dir = tmp_path / "shows"
    shows_dir.mkdir()
    (shows_dir / "spring.toml").write_text(SPRING, encoding="utf-8")
    async with show_hub(tmp_path, web=True) as hub, aiohttp.ClientSession(headers=AUTH) as http:
        url = hub.web.url + "/api/v1/shows"
        async with http.get(url) as response:
            listed = await response.json()
        assert [(s["name"], s["source"]) for s in listed] == [("spring", f"file:{shows_dir / 'spring.toml'}")]
        bad = {"name": "autumn", "segments": [{"sku": "TEA-001", "minutes": "5"}]}
        async with http.post(url, json=bad) as response:
            assert response.status == 400
            error = await response.json()
        assert error["field"] == "segments.0.minutes" and "number" in error["reason"]
        assert error["problems"] == [{"source": "api", "field": "segments.0.minutes", "reason": error["reason"]}]
        autumn = {"name": "autumn", "room": "main", "segments": [{"sku": "SCARF-003", "minutes": 2}]}
        async with http.post(url, json=autumn) as response:
            assert response.status == 201
        replaced = {"name": "spring", "segments": [{"sku": "MUG-002", "minutes": 1}]}
        async with http.post(url, json=replaced) as response:
            assert response.status == 201  # new in the database; it now replaces the file's show
        async with http.post(url, json={**replaced, "loop": True}) as response:
            assert response.status == 200 and (await response.json())["loop"] is True
        async with http.get(url) as response:
            listed = {s["name"]: s for s in await response.json()}
        assert listed["spring"]["source"] == "api" and listed["spring"]["segments"][0]["sku"] == "MUG-002"
        assert listed["autumn"]["segments"][0]["minutes"] == 2
        assert (await show_service(hub).library.get("spring")).loop is True
        async with http.get(url, headers={"Authorization": "Bearer wrong"}) as response:
            assert response.status == 401
        actions = [(e["actor"], e["action"], e["detail"]["show"]) for e in await hub.storage.recent_audit()
                   if e["action"] == "show_define"]
        assert ("operator", "show_define", "autumn") in actions and len(actions) == 3


async def test_stored_shows_survive_a_restart(tmp_path: Path) -> None:
    async with show_hub(tmp_path) as hub:
        await show_service(hub).library.save(parse_rundown({"name": "kept", "segments": [{"sku": "A", "minutes": 1}]}))
    async with show_hub(tmp_path) as hub:
        library: ShowLibrary = show_service(hub).library
        assert [s["name"] for s in await library.all()] == ["kept"]
        assert await library.get("nothing") is None
