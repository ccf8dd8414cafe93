"""Tenants' own prompts and word lists (#18 item 4): a tenant's ``prompts_dir`` comes first for its rooms (the
answers, the LLM's instructions, the host's guarded word lists), while every other room keeps the hub's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.answers import AnswerRequest
from hub.config import load_config
from hub.errors import ConfigError
from hub.prompts import prompt_library
from hub.review import ReviewContext, review_output
from hub.secrets import SecretValue
from hub.testing import running_hub
from plugins.llm_catalog.backend import CatalogBackend


def tenant_prompts(folder: Path) -> Path:
    (folder / "en" / "answers").mkdir(parents=True)
    (folder / "en" / "answers" / "shipping.j2").write_text("Acme ships every parcel by tea clipper.", "utf-8")
    (folder / "en" / "banned").mkdir()
    (folder / "en" / "banned" / "acme.txt").write_text("teabagz\n", "utf-8")
    return folder


def config(tmp_path: Path, prompts_dir: Any) -> dict[str, Any]:
    return {"web": {"token": SecretValue("admin-1", "t")},
            "rooms": {"acme-live": {"locale": "en"}, "bolt-live": {"locale": "en"}},
            "tenants": {"acme": {"token": SecretValue("acme-1", "t"), "rooms": ["acme-live"],
                                 "prompts_dir": prompts_dir},
                        "bolt": {"token": SecretValue("bolt-1", "t"), "rooms": ["bolt-live"]}}}


async def test_a_tenants_rooms_answer_and_are_guarded_with_its_own_prompts_and_word_lists(tmp_path: Path) -> None:
    folder = tenant_prompts(tmp_path / "acme-prompts")
    async with running_hub(config=config(tmp_path, str(folder))) as hub:
        backend = CatalogBackend(None, hub)

        async def answer(room: str) -> str:
            request = AnswerRequest(question="how do you ship?", intent="shipping", locale="en", room=room)
            return " ".join([s async for s in backend.answer(request)])

        assert "tea clipper" in await answer("acme-live")
        assert "tea clipper" not in await answer("bolt-live") and await answer("bolt-live")
        assert prompt_library(hub, "acme-live") is prompt_library(hub, "acme-live")
        assert prompt_library(hub, "bolt-live") is prompt_library(hub)  # no folder of its own: the hub's

        line = "Our teabagz are lovely today."
        acme = await review_output(hub, line, ReviewContext(locale="en", room="acme-live"))
        bolt = await review_output(hub, line, ReviewContext(locale="en", room="bolt-live"))
        assert acme.text != line and any("banned" in r for r in acme.reasons), acme
        assert bolt.text == line and not bolt.reasons


def test_a_tenants_prompts_folder_is_checked_at_start_and_read_from_its_own_files_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_PROMPTS_TEST_TOKEN", "acme-token")
    monkeypatch.setenv("ADMIN_PROMPTS_TEST_TOKEN", "admin-token")
    with pytest.raises(ConfigError, match="tenants.acme.prompts_dir: no folder"):
        load_config(data=config(tmp_path, str(tmp_path / "missing")), env=False)
    tenant_prompts(tmp_path / "tenants" / "acme-prompts")
    (tmp_path / "tenants" / "acme.toml").write_text(
        'token = {env = "ACME_PROMPTS_TEST_TOKEN"}\nprompts_dir = "acme-prompts"\n[rooms.acme-live]\n', "utf-8")
    (tmp_path / "livehub.toml").write_text(
        '[hub]\ntenants_dir = "tenants"\n[web]\ntoken = {env = "ADMIN_PROMPTS_TEST_TOKEN"}\n', "utf-8")
    cfg = load_config(tmp_path / "livehub.toml", env=False)
    assert cfg.tenants["acme"].prompts_dir == tmp_path / "tenants" / "acme-prompts"


def test_every_token_is_its_own() -> None:
    data = {"web": {"token": SecretValue("same", "t")}, "rooms": {"a": {}, "b": {}},
            "tenants": {"x": {"token": SecretValue("same", "t"), "rooms": ["a"]},
                        "y": {"token": SecretValue("same", "t"), "rooms": ["b"]}}}
    with pytest.raises(ConfigError) as caught:
        load_config(data=data, env=False)
    assert "tenants.x.token: the same as the [web] token (the operator's)" in str(caught.value)
    assert "tenants.y.token: the same as the [web] token" in str(caught.value)
