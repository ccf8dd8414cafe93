"""One hub room fed by Twitch, YouTube and the built-in live room at once (#14): each viewer's question is
answered on the platform it was asked on — in Twitch's and YouTube's chats through their stand-ins, on the
live room's page — and never in another platform's chat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.twitch.standin import TwitchStandin
from connectors.youtube.standin import YoutubeStandin
from hub.events import Reply
from hub.testing import collect, comment, post_events, running_hub, wait_for

STARTER = Path(__file__).resolve().parents[2] / "hub" / "starter" / "catalog.json"


def answered(replies: list[Any], platform: str, name: str) -> list[Reply]:
    return [r for r in replies if isinstance(r, Reply)
            and any(a.platform == platform and a.user.name == name for a in r.askers)]


@pytest.mark.slow
async def test_twitch_youtube_and_the_live_room_each_get_their_answer_where_they_asked(tmp_path: Path) -> None:
    async with TwitchStandin() as twitch, YoutubeStandin() as youtube:
        config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
                  "web": {"enabled": True, "port": 0},
                  "connectors": {"shop": {"type": "catalog_file", "path": str(STARTER)},
                                 "page": {"type": "local", "room": "main"},
                                 "twitch": twitch.connector_config(room="main"),
                                 "youtube": {**youtube.connector_config(room="main"), "stream_reopen_s": 0.05}},
                  "rooms": {"main": {"public": True, "locale": "zh-CN"}}}
        async with running_hub(config=config) as hub:
            for connector in hub.connectors.values():
                assert await connector.wait_ready(15), connector.status()
            assert hub.rooms["main"].bindings == ["page", "twitch", "youtube"]
            with collect(hub, types={"reply"}) as replies:
                await post_events(twitch, comment("1号链接多少钱", user="41", name="tw_lin", message_id="tw-q1",
                                                  room=twitch.default_room))
                await post_events(youtube, comment("2号多少钱", user="UCzhou", name="yt_zhou", message_id="yt-q1",
                                                   room=youtube.default_room))
                url = f"http://127.0.0.1:{hub.web.port}/live/main/comments"
                async with aiohttp.ClientSession() as http:
                    async with http.post(url, json={"name": "page_ann", "text": "3号有优惠吗",
                                                    "viewer_id": "viewer-page-ann-0001",
                                                    "message_id": "page-question-1"}) as resp:
                        assert resp.status == 202
                await wait_for(lambda: all(answered(replies, p, n) for p, n in (
                    ("twitch", "tw_lin"), ("youtube", "yt_zhou"), ("local", "page_ann"))), timeout=60)
                await wait_for(lambda: twitch.sent("chat") and youtube.sent("chat"), timeout=30)
            twitch_chat = " ".join(m["text"] for m in twitch.sent("chat"))
            youtube_chat = " ".join(m["text"] for m in youtube.sent("chat"))
            assert "tw_lin" in twitch_chat and "128" in twitch_chat  # 1号: the catalog's live price
            assert "yt_zhou" in youtube_chat and "89" in youtube_chat  # 2号
            # no platform's chat carries another platform's viewer
            assert "yt_zhou" not in twitch_chat and "page_ann" not in twitch_chat
            assert "tw_lin" not in youtube_chat and "page_ann" not in youtube_chat
            # the page's viewer gets hers in the page's chat (addressed to her), and nobody else's answer
            page = hub.connectors["page"]
            await wait_for(lambda: any(m.get("text", "").startswith("@page_ann") and "199" in m["text"]
                                       for m in page.history), timeout=10)
            assert not any(m.get("text", "").startswith(("@tw_lin", "@yt_zhou")) for m in page.history)
