"""Acceptance of the room redesign: two platforms feed one hub room.

The built-in live room (platform ``local``) and a connector written by ``livehub plugin new connector acme``
(with its protocol-faithful stand-in) are bound to the hub room ``main``. A question asked on each is
answered back on the platform it came from; the acme chat holds the platform's rate limit; a restart of the
hub in the middle of a stream of viewer messages loses none and repeats none (the test counts them).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.events import Comment, Reply
from hub.scaffold import generate
from hub.standin_control import create_standin
from hub.testing import collect, comment, post_events, running_hub, wait_for

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The scaffolded ``acme`` connector package, importable for this test."""
    target, _ = generate("connector", "acme", tmp_path / "src")
    monkeypatch.syspath_prepend(str(target))
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path / "cache"))
    try:
        yield importlib.import_module("livehub_acme")
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "livehub_acme"]:
            del sys.modules[name]


def hub_config(tmp_path: Path, platform: Any) -> dict[str, Any]:
    acme_table = platform.connector_config(room="main")
    # the stand-in allows 1 message a second with bursts of 3; the hub is told a little less, and short
    # messages, so that every answer is several chat messages and the limit is really tested
    acme_table.update(chat_rate_per_s=0.8, chat_burst=2, chat_max_chars=40)
    return {
        "hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
        "web": {"enabled": True, "port": 0},
        "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)},
                       "page": {"type": "local", "room": "main"},
                       "acme": acme_table},
        "rooms": {"main": {"public": True, "locale": "zh-CN"}},
    }


async def ready(hub: Any) -> None:
    for connector in hub.connectors.values():
        assert await connector.wait_ready(15), connector.status()


async def post_local(hub: Any, text: str, viewer: str, message_id: str) -> int:
    url = f"http://127.0.0.1:{hub.web.port}/live/main/comments"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"name": viewer, "text": text, "viewer_id": f"viewer-{viewer}-0001",
                                        "message_id": message_id}) as resp:
            return resp.status


def answered(replies: list[Reply], platform: str, name: str) -> list[Reply]:
    return [r for r in replies if any(a.platform == platform and a.user.name == name for a in r.askers)]


async def stored_comments(hub: Any, platform: str) -> list[str]:
    rows = await hub.storage.recent_events(limit=10_000, type="comment", room="main")
    return [row["message_id"] for row in rows if row["platform"] == platform]


@pytest.mark.slow
async def test_two_platforms_one_room_answers_go_back_where_asked_and_a_restart_loses_and_repeats_nothing(
        tmp_path: Path, acme: Any) -> None:
    plugins = [("acme", acme)]
    async with create_standin("acme", plugins=plugins) as platform:
        config = hub_config(tmp_path, platform)
        seen: list[str] = []  # acme message ids the bus saw, over both runs

        # -- first run: one question on each platform ---------------------------------------------------
        async with running_hub(plugins=plugins, config=config) as hub:
            await ready(hub)
            assert hub.rooms["main"].bindings == ["page", "acme"]
            with collect(hub, types={"comment", "reply"}) as events:
                assert await post_local(hub, "包邮吗", "Ann", "local-msg-0001") == 202
                await post_events(platform, comment("1号链接多少钱", user="bo", name="Bo", message_id="acme-q1"))
                replies = lambda: [e for e in events if isinstance(e, Reply)]  # noqa: E731
                await wait_for(lambda: answered(replies(), "local", "Ann") and answered(replies(), "acme", "Bo"),
                               timeout=30)
                to_bo = answered(replies(), "acme", "Bo")[0]
                to_ann = answered(replies(), "local", "Ann")[0]
                assert "128" in to_bo.text and to_bo.sku  # the catalog's live price, about the product asked
                # acme's chat gets Bo's answer, @mentioned, split to the platform's length; never Ann's
                await wait_for(lambda: len(platform.sent("chat")) >= 2, timeout=30)
                parts = [m["text"] for m in platform.sent("chat")]
                assert parts[0].startswith("@Bo ") and all(len(p) <= 40 for p in parts)
                assert not any("Ann" in p for p in parts)
                # the page shows Ann's answer (the host said it on air) and nothing of acme's chat
                page = hub.connectors["page"]
                await wait_for(lambda: any(m.get("text") == to_ann.text for m in page.history), timeout=10)
                assert not any(m.get("text", "").startswith("@Bo") for m in page.history)
                seen += [e.message_id for e in events if isinstance(e, Comment) and e.platform == "acme"]

            # -- the rate limit holds while several viewers ask at once --------------------------------
            with collect(hub, types={"comment"}) as events:
                await post_events(platform, *[comment(text, user=f"v{n}", name=f"V{n}", message_id=f"acme-r{n}")
                                              for n, text in enumerate(["2号还有货吗", "3号多少钱", "怎么下单"])])
                await wait_for(lambda: len(platform.sent("chat")) >= 8, timeout=60)
                seen += [e.message_id for e in events if e.platform == "acme"]
            times = [m["at"] for m in platform.sent("chat")]
            # at most burst + rate * elapsed messages in any window (small slack for clock reads)
            for i, start in enumerate(times):
                for j in range(i + 1, len(times)):
                    assert j - i + 1 <= 2 + 0.8 * (times[j] - start) + 1, (i, j, times)
            assert (await platform.control().state())["rate_limited"] == 0

            # -- a restart in the middle of a stream of viewer messages --------------------------------
            with collect(hub, types={"comment"}) as events:
                await post_events(platform, *[comment(f"好看{n}", user=f"w{n}", name=f"W{n}", message_id=f"acme-a{n}")
                                              for n in range(5)])
                await wait_for(lambda: events, timeout=15)  # the hub is taking them in ...
            seen += [e.message_id for e in events if e.platform == "acme"]
        # ... and stops; viewers go on writing while it is down
        await post_events(platform, *[comment(f"还在吗{n}", user=f"x{n}", name=f"X{n}", message_id=f"acme-b{n}") for n in range(5)])

        # -- second run: resumes from the stored cursor -----------------------------------------------------
        async with running_hub(plugins=plugins, config=config) as hub:
            with collect(hub, types={"comment"}) as events:
                await ready(hub)
                expected = {"acme-q1", *(f"acme-r{n}" for n in range(3)), *(f"acme-a{n}" for n in range(5)),
                            *(f"acme-b{n}" for n in range(5))}
                await wait_for(lambda: expected <= set(seen) | {e.message_id for e in events}, timeout=30)
                # the page's viewer resends a comment accepted before the restart: accepted once only
                assert await post_local(hub, "包邮吗", "Ann", "local-msg-0001") == 200
            seen += [e.message_id for e in events if e.platform == "acme"]
            assert sorted(seen) == sorted(expected)  # every message once: none lost, none repeated

            async def all_stored() -> bool:
                return len(await stored_comments(hub, "acme")) >= len(expected)

            await wait_for(all_stored, timeout=10, interval=0.1)  # the recorder writes in batches
        async with running_hub(plugins=plugins, config=config) as hub:  # nothing more arrives on a third start
            await ready(hub)
            assert sorted(await stored_comments(hub, "acme")) == sorted(expected)
            assert await stored_comments(hub, "local") == ["local-msg-0001"]
            assert hub.connectors["acme"].status()["duplicates"] == 0
