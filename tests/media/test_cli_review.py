"""The media commands speak only what review lets the host say on air (``livehub render``,
``livehub stream-test``): a blocked line is reported and nothing is rendered or pushed, a rewritten line
is spoken as rewritten. Rendering and pushing are replaced by recorders, so these run in a second."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result

import plugins.media_cli.commands as commands
from hub.catalog import build_catalog
from plugins.media_cli.offline import pitch_text

from .conftest import built_hub

CATALOG = {"shop": {"name": "晨光好物", "currency": "CNY", "locale": "zh-CN"},
           "products": [{"sku": "TEA-001", "link": 1, "name": "高山乌龙茶", "price": "168.00",
                         "promo_price": "128.00", "stock": 300, "selling_points": ["兰花香，回甘持久"]}]}


@pytest.fixture(autouse=True)
def no_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVEHUB_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The lines ``livehub render`` hands to the renderer (nothing is encoded)."""
    lines: list[Any] = []

    async def render_to_file(timeline: Any, given: list[Any], out: Path, progress: Any = None, **kw: Any) -> int:
        lines.extend(given)
        return 25

    monkeypatch.setattr(commands, "render_to_file", render_to_file)
    return lines


@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``livehub stream-test`` would push (nothing is connected)."""
    calls: list[dict[str, Any]] = []

    async def push(hub: Any, spec: Any, url: str, text: str, *args: Any) -> Any:
        calls.append({"spec": spec, "text": text})
        return SimpleNamespace(state="stopped", frames_sent=25, times_live=1, reconnects=0, detail="")

    monkeypatch.setattr(commands, "_push", push)
    return calls


def run(command: Any, tmp_path: Path, *args: str, config: str = "") -> Result:
    path = tmp_path / "livehub.toml"
    if config:
        path.write_text(config, encoding="utf-8")
    return CliRunner().invoke(command, [*args, "--config", str(path)])


def catalog_file(tmp_path: Path) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_render_refuses_a_medical_claim(tmp_path: Path, rendered: list[Any]) -> None:
    out = tmp_path / "claim.mp4"
    result = run(commands.render, tmp_path, "--text", "这款茶能治百病，药到病除。", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "review blocked the line" in result.stderr and "(medical)" in result.stderr
    assert "药到病除" in result.stderr  # the refused line is shown
    assert rendered == [] and not out.exists()


def test_render_speaks_the_rewrite_of_a_banned_term_and_a_wrong_price(tmp_path: Path,
                                                                     rendered: list[Any]) -> None:
    result = run(commands.render, tmp_path, "--text", "全网最低价！高山乌龙茶只要99元。", "--catalog",
                 catalog_file(tmp_path), "--out", str(tmp_path / "out.mp4"))
    assert result.exit_code == 0, result.output
    assert [line.text for line in rendered] == ["很实惠的价格！高山乌龙茶只要128元。"]
    assert "review rewrote the line" in result.stderr and "(ad_law)" in result.stderr and "99元" in result.stderr


def test_render_keeps_a_clean_pitch_as_written(tmp_path: Path, rendered: list[Any]) -> None:
    result = run(commands.render, tmp_path, "--product", "TEA-001", "--catalog", catalog_file(tmp_path),
                 "--out", str(tmp_path / "out.mp4"))
    assert result.exit_code == 0, result.output
    catalog = build_catalog(CATALOG["shop"], CATALOG["products"])
    expected = pitch_text(built_hub(), catalog.by_sku("TEA-001"), catalog.shop, "zh-CN")
    assert [(line.text, line.sku) for line in rendered] == [(expected, "TEA-001")]
    assert "review" not in result.stderr


def test_render_applies_the_merchants_own_banned_terms(tmp_path: Path, rendered: list[Any]) -> None:
    config = '[plugins.guardrails]\nextra_banned = ["好喝到哭"]\n'
    result = run(commands.render, tmp_path, "--text", "好喝到哭！", "--out", str(tmp_path / "out.mp4"),
                 config=config)
    assert result.exit_code == 1 and "review blocked the line" in result.stderr
    assert rendered == []


def test_stream_test_does_not_push_an_announcement_review_blocks(tmp_path: Path,
                                                                 pushed: list[dict[str, Any]]) -> None:
    config = '[hub]\nlocale = "zh-CN"\n[plugins.guardrails]\nextra_banned = ["推流", "主播"]\n'  # every sentence
    result = run(commands.stream_test, tmp_path, "--to", "rtmp://127.0.0.1:9/live/sk-secret", "--seconds", "1",
                 config=config)
    assert result.exit_code == 1, result.output
    assert "review blocked the line" in result.stderr and "'推流' (merchant)" in result.stderr
    assert pushed == [] and "sk-secret" not in result.output


def test_stream_test_pushes_the_reviewed_announcement_through_the_registered_rtmp_output(
        tmp_path: Path, pushed: list[dict[str, Any]]) -> None:
    config = '[hub]\nlocale = "zh-CN"\n[plugins.guardrails]\nextra_banned = ["推流测试 => 连线检查"]\n'
    result = run(commands.stream_test, tmp_path, "--to", "rtmp://127.0.0.1:9/live/sk-secret", "--seconds", "1",
                 config=config)
    assert result.exit_code == 0, result.output
    [call] = pushed
    assert call["text"].startswith("这是一条连线检查。") and "推流测试" not in call["text"]
    assert (call["spec"].kind, call["spec"].name) == ("output", "rtmp")  # the backend its plugin registered
    assert "sk-secret" not in result.output
