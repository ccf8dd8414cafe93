"""#17's acceptance: a campaign "2 hours before the next show, for the segment 'asked but did not buy', copy +
pitch video, email + webhook, approval required" runs on the scheduler's clock;
its items are generated, reviewed and approved through the API, delivered to a real SMTP server and a webhook
receiver exactly once; an unsubscribed person gets nothing; a click is recorded and an order attributed."""

from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from hub.events import Order, User
from hub.secrets import SecretValue
from hub.testing import feed, running_hub, wait_for
from plugins.campaigns.planner import CampaignPlanner
from tests.campaigns.test_campaigns import call, write_catalog
from tests.campaigns.test_sending import Inbox, free_port, wait_until

pytestmark = pytest.mark.slow

ASKED = [{"intent": "price", "sku": "TEA-001", "text": "how much is link 1?"}]


async def test_a_campaign_two_hours_before_the_show_reaches_the_segment_once(tmp_path) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    hooks: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        hooks.append(await request.read())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0}, "scheduler": {"enabled": True},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}, "crm": {"type": "builtin_crm"}},
              "rooms": {"main": {"locale": "en"}},
              "backends": {"voice": {"default": "espeak"},
                           "content": {"pitch_video": {"sizes": ["180x320"], "fps": 10,
                                                       "folder": str(tmp_path / "media")}},
                           "channel": {
                  "email": {"host": "127.0.0.1", "port": smtp.port},
                  "webhook": {"url": f"http://127.0.0.1:{runner.addresses[0][1]}/hook",
                              "secret": SecretValue("s3cret", "test")}}}}
    try:
        async with running_hub(config=config) as hub:
            await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
            crm = hub.connectors["crm"]
            now = time.time()
            for user in ("ann", "bob", "dan"):  # all three asked the price of link 1 in an earlier show
                await crm.upsert_contact(f"douyin:{user}", {"name": user.title(), "email": f"{user}@example.com"})
                await crm.add_note(f"douyin:{user}", "visit", room="main", questions=[{**ASKED[0], "at": now}],
                                   orders=[{"order_id": "9", "sku": "TEA-001"}] if user == "bob" else [])
            await wait_for(lambda: crm.counts["sent"] == 6, timeout=10)
            await call(hub, "PUT", "/contacts/consent", {"key": "douyin:dan", "consent": "refused", "source": "form"})
            await call(hub, "PUT", "/segments/asked-no-buy", {
                "asked": {"intent": "price", "sku": "TEA-001", "within_days": 7},
                "bought": {"sku": "TEA-001", "at_least": 0, "at_most": 0}})
            # tomorrow's show, compressed: it starts 2 hours and 3 seconds from now
            start = datetime.now(UTC) + timedelta(hours=2, seconds=3)
            await hub.scheduler.add("show.start", {"show": "spring", "room": "main"}, at=start)
            campaign = {"products": ["TEA-001"], "segments": ["asked-no-buy"], "kinds": ["copy", "pitch_video"],
                        "channels": ["email", "webhook"],
                        "approval": "manual", "before_show": {"hours": 2, "room": "main"},
                        "link": "https://shop.example/p/{sku}"}
            assert (await call(hub, "PUT", "/campaigns/before-show", campaign))[0] == 200
            await wait_for(lambda: hub.slots.get(CampaignPlanner).planned == 1, timeout=10)
            planned = [s for s in await hub.scheduler.list() if s["job_type"] == "campaign.run"]
            fires = datetime.fromisoformat(planned[0]["next_fire_time"])
            assert abs((start - fires).total_seconds() - 7200) < 1  # two hours before the show

            async def ran() -> bool:  # on the scheduler's clock, 3 s from the planning
                runs = (await call(hub, "GET", "/campaigns/before-show"))[1]["runs"]
                return bool(runs) and runs[0]["status"] == "done"

            await wait_until(ran, timeout=20)
            runs = (await call(hub, "GET", "/campaigns/before-show"))[1]["runs"]
            assert len(runs) == 1 and runs[0]["trigger"].startswith("before_show:")
            await hub.slots.get(CampaignPlanner).plan()  # planning again: the plan ran, nothing is added
            assert not [s for s in await hub.scheduler.list() if s["job_type"] == "campaign.run"]

            items = (await call(hub, "GET", "/campaign-items?campaign=before-show&state=awaiting_approval"))[1]
            assert len(items["items"]) == 6  # copy: email and webhook, A and B; the video: email and webhook
            for item in items["items"]:
                assert (await call(hub, "POST", f"/campaign-items/{item['id']}/approve"))[1]["state"] == "approved"
            sent = (await call(hub, "POST", "/campaigns/before-show/send"))[1]
            assert sent["sent"] == 4 and sent["unsubscribed"] == 4  # ann: copy and video, by email and webhook
            assert (await call(hub, "POST", "/campaigns/before-show/send"))[1]["sent"] == 0
            assert [tos for tos, _ in inbox.messages] == [["ann@example.com"]] * 2 and len(hooks) == 2
            bodies = [email.message_from_bytes(raw, policy=email.policy.default) for _, raw in inbox.messages]
            assert not [m for m in bodies if list(m.iter_attachments())]  # the video is a link
            assert sum("Watch: http" in m.get_body(("plain",)).get_content() for m in bodies) == 1

            text = email.message_from_bytes(inbox.messages[0][1], policy=email.policy.default) \
                .get_body(("plain",)).get_content()
            link = re.search(r"(http://\S+/r/[\w-]+)", text).group(1)
            async with aiohttp.ClientSession() as http, http.get(link, allow_redirects=False) as resp:
                assert resp.status == 302
            await feed(hub, Order(platform="douyin", room="main", user=User("ann", "Ann"), message_id="o-ann",
                                  order_id="A1", sku="TEA-001", qty=1, amount=Decimal("168.00"), currency="CNY"))

            async def attributed() -> bool:
                report = (await call(hub, "GET", "/campaigns/before-show/report"))[1]
                return sum(v["orders"] for v in report["variants"].values()) == 1

            await wait_until(attributed)
    finally:
        smtp.stop()
        await runner.cleanup()
