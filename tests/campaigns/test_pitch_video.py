"""Pitch videos (#17 item 2): a campaign of kind pitch_video renders the host pitching the product through the
media pipeline, vertical and horizontal MP4s with sound and a cover; by email the video is a link (served at
/v/<token>), never an attachment; a bundle carries the files with its manifest."""

from __future__ import annotations

import email
import email.policy
import json
import re

import aiohttp
import av
import pytest
from aiosmtpd.controller import Controller

from hub.testing import running_hub, wait_for
from tests.campaigns.test_campaigns import call, write_catalog
from tests.campaigns.test_sending import Inbox, free_port

pytestmark = pytest.mark.slow


async def test_a_pitch_video_is_rendered_per_size_and_goes_out_as_a_link_and_in_a_bundle(tmp_path) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}, "crm": {"type": "builtin_crm"}},
              "backends": {"voice": {"default": "espeak"},
                           "content": {"pitch_video": {"sizes": ["180x320", "320x180"], "fps": 10,
                                                       "folder": str(tmp_path / "media")}},
                           "channel": {"email": {"host": "127.0.0.1", "port": smtp.port},
                                       "bundle": {"folder": str(tmp_path / "bundles")}}}}
    try:
        async with running_hub(config=config) as hub:
            await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
            crm = hub.connectors["crm"]
            await crm.upsert_contact("douyin:ann", {"name": "Ann", "email": "ann@example.com"})
            await wait_for(lambda: crm.counts["sent"] == 1, timeout=10)
            await call(hub, "PUT", "/campaigns/video", {"products": ["CUP-002"], "kinds": ["pitch_video"],
                                                        "channels": ["email", "bundle"], "approval": "auto",
                                                        "link": "https://shop.example/p/{sku}"})
            run = (await call(hub, "POST", "/campaigns/video/run"))[1]
            assert run["status"] == "done" and run["counts"]["approved"] == 2, run  # one video per channel kind
            items = (await call(hub, "GET", f"/campaign-items?run={run['id']}"))[1]["items"]
            content = items[0]["content"]
            for size, path in content["videos"].items():
                with av.open(path) as media:
                    video = media.streams.video[0]
                    assert f"{video.width}x{video.height}" == size and media.streams.audio
                    assert media.duration / 1_000_000 > 2  # the host says the whole pitch
            assert content["cover"].endswith(".jpg") and "Ceramic cup" in content["body"]
            sent = (await call(hub, "POST", "/campaigns/video/send"))[1]
            assert sent["sent"] == 2  # ann's email, and the bundle
            mail = email.message_from_bytes(inbox.messages[0][1], policy=email.policy.default)
            assert not list(mail.iter_attachments())
            watch = re.search(r"Watch: (http://\S+/v/[\w-]+)", mail.get_body(("plain",)).get_content()).group(1)
            async with aiohttp.ClientSession() as http, http.get(watch) as resp:
                assert resp.status == 200 and resp.content_type == "video/mp4" and len(await resp.read()) > 1000
        bundle = next((tmp_path / "bundles" / "video").iterdir())
        (entry,) = json.loads((bundle / "manifest.json").read_text())["items"]
        assert sorted(entry["media"]) == sorted([p.split("/")[-1] for p in content["videos"].values()]
                                                + [content["cover"].split("/")[-1]])
        assert all((bundle / name).stat().st_size > 0 for name in entry["media"])
    finally:
        smtp.stop()
