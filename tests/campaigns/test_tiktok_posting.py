"""The TikTok channel against its stand-in (the Content Posting API): a campaign's pitch video posted once to
the merchant's account, uploaded in TikTok's chunks, byte for byte, with the caption and the privacy level an
unaudited app may use; the inbox mode makes a draft; a privacy level the account may not use is refused; an
item without a video is refused for good."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hub.secrets import SecretValue
from hub.testing import running_hub, wait_for
from plugins.channel_tiktok.client import chunks
from plugins.channel_tiktok.standin import TikTokPostingStandin
from tests.campaigns.test_campaigns import call, write_catalog

pytestmark = pytest.mark.slow


def test_chunks_follow_tiktok_s_rules() -> None:
    assert chunks(100, 1000) == [(0, 99)]  # smaller than a chunk: whole
    assert chunks(2500, 1000) == [(0, 999), (1000, 2499)]  # the last chunk takes the trailing bytes
    assert chunks(3000, 1000) == [(0, 999), (1000, 1999), (2000, 2999)]


def config(tmp_path: Path, standin: TikTokPostingStandin, **tiktok: Any) -> dict[str, Any]:
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
            "web": {"enabled": True, "port": 0},
            "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}},
            "backends": {"voice": {"default": "espeak"},
                         "content": {"pitch_video": {"sizes": ["180x320"], "fps": 10,
                                                     "folder": str(tmp_path / "media")}},
                         "channel": {"tiktok": {"api_base": standin.url, "chunk_size": 20_000, "rate_per_s": 10,
                                                "access_token": SecretValue(standin.token, "test"), **tiktok}}}}


async def test_a_pitch_video_is_posted_to_tiktok_once_in_chunks(tmp_path) -> None:
    async with TikTokPostingStandin(min_chunk=10_000) as standin, \
            running_hub(config=config(tmp_path, standin)) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await call(hub, "PUT", "/campaigns/tt", {"products": ["CUP-002"], "kinds": ["pitch_video", "copy"],
                                                 "channels": ["tiktok"], "approval": "auto", "variants": 1})
        run = (await call(hub, "POST", "/campaigns/tt/run"))[1]
        sent = (await call(hub, "POST", "/campaigns/tt/send"))[1]
        assert sent["sent"] == 1 and sent["failed"] == 1  # the video; the copy item has no video: refused
        assert (await call(hub, "POST", "/campaigns/tt/send"))[1]["sent"] == 0
        (post,) = standin.posts()
        items = (await call(hub, "GET", f"/campaign-items?run={run['id']}"))[1]["items"]
        video = next(i for i in items if i["kind"] == "pitch_video")["content"]["videos"]["180x320"]
        assert post["video"] == Path(video).read_bytes() and post["chunks"]  # noqa: ASYNC240 == len(post["video"]) // 20_000
        assert post["privacy_level"] == "SELF_ONLY" and "Ceramic cup" in post["title"] and not post["inbox"]
        failed = (await call(hub, "GET", "/campaign-deliveries?campaign=tt"))[1]["deliveries"]
        assert any("needs a video" in d["error"] for d in failed)


async def test_inbox_drafts_and_a_refused_privacy_level(tmp_path) -> None:
    async with TikTokPostingStandin(min_chunk=10_000) as standin:
        async with running_hub(config=config(tmp_path, standin, mode="inbox")) as hub:
            await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
            await call(hub, "PUT", "/campaigns/tt", {"products": ["CUP-002"], "kinds": ["pitch_video"],
                                                     "channels": ["tiktok"], "approval": "auto", "variants": 1})
            await call(hub, "POST", "/campaigns/tt/run")
            assert (await call(hub, "POST", "/campaigns/tt/send"))[1]["sent"] == 1
        assert [p["inbox"] for p in standin.posts()] == [True]
        (tmp_path / "b").mkdir()
        async with running_hub(config=config(tmp_path / "b", standin, privacy_level="PUBLIC_TO_EVERYONE")) as hub:
            await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
            await call(hub, "PUT", "/campaigns/tt", {"products": ["CUP-002"], "kinds": ["pitch_video"],
                                                     "channels": ["tiktok"], "approval": "auto", "variants": 1})
            await call(hub, "POST", "/campaigns/tt/run")
            refused = (await call(hub, "POST", "/campaigns/tt/send"))[1]
            assert refused["failed"] == 1 and len(standin.posts()) == 1  # an unaudited app: SELF_ONLY only
