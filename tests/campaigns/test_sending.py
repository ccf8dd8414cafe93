"""Campaigns, sending (#17 items 4-5, first part): approved items go by email to a real local SMTP server
(aiosmtpd) as valid MIME (text and HTML, the link a link, one-click unsubscribe) and by signed webhook, to the
people of their segment, once each even when sent again; a tracked link counts the click and redirects; an
unsubscribed person gets nothing from then on; quiet hours hold messages back."""

from __future__ import annotations

import datetime
import email
import email.policy
import json
import re
import socket
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web
from aiosmtpd.controller import Controller

from hub.events import Order, User
from hub.secrets import SecretValue
from hub.testing import feed, running_hub, wait_for
from plugins.channel_email.channel import EmailChannel, EmailSettings
from plugins.channel_webhook.channel import signature
from tests.campaigns.test_campaigns import call, write_catalog

SECRET = "whsec-test-1"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


async def wait_until(check: Any, timeout: float = 10.0) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "condition not met"
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_approved_items_reach_each_person_once_by_email_and_webhook(tmp_path) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}, "crm": {"type": "builtin_crm"}},
              "backends": {"channel": {"email": {"host": "127.0.0.1", "port": smtp.port,
                                                 "sender": "Tea Shop <shop@tea.example>"},
                                       "webhook": {"url": hook_url, "secret": SecretValue(SECRET, "test")}}}}
    try:
        async with running_hub(config=config) as hub:
            await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
            crm = hub.connectors["crm"]
            for user, mail in (("ann", "ann@example.com"), ("bob", "bob@example.com"), ("cy", None),
                               ("dan", "dan@example.com")):
                await crm.upsert_contact(f"douyin:{user}", {"name": user.title(), **({"email": mail} if mail else {})})
            await wait_for(lambda: crm.counts["sent"] == 4, timeout=10)
            campaign = {"products": ["TEA-001"], "channels": ["email", "webhook"], "approval": "auto",
                        "link": "https://shop.example/p/{sku}"}
            assert (await call(hub, "PUT", "/campaigns/tea", campaign))[0] == 200
            assert (await call(hub, "POST", "/campaigns/tea/run"))[1]["counts"]["approved"] == 4

            status, sent = await call(hub, "POST", "/campaigns/tea/send")
            assert status == 200 and sent["sent"] == 3 + 4 and sent["no_address"] == 1  # cy has no email
            assert sorted(to for tos, _ in inbox.messages for to in tos) == [
                "ann@example.com", "bob@example.com", "dan@example.com"]
            for _, raw in inbox.messages:
                mail = email.message_from_bytes(raw, policy=email.policy.default)
                assert mail.get_content_type() == "multipart/alternative" and mail["From"].addresses[0].domain
                parts = [p.get_content_type() for p in mail.iter_parts()]
                assert parts == ["text/plain", "text/html"] and not list(mail.iter_attachments())
                text = mail.get_body(("plain",)).get_content()
                assert re.search(r"/r/[\w-]+", text) and "{link}" not in text and "168" in text
                assert mail["List-Unsubscribe"].startswith("<http") and mail["List-Unsubscribe-Post"]
                assert '<a href="http' in mail.get_body(("html",)).get_content()
            assert len(received) == 4
            for headers, body in received:
                assert headers["X-LiveHub-Signature"] == signature(SECRET, headers["X-LiveHub-Timestamp"], body)
                assert headers["Idempotency-Key"] == json.loads(body)["id"]

            again = (await call(hub, "POST", "/campaigns/tea/send"))[1]  # sent again: nobody gets a second one
            assert again["sent"] == 0 and again["already_sent"] == 7 and len(inbox.messages) == 3

            dan = next(m for tos, m in inbox.messages if tos == ["dan@example.com"])
            dan_text = email.message_from_bytes(dan, policy=email.policy.default).get_body(("plain",)).get_content()
            link = re.search(r"(http://\S+/r/[\w-]+)", dan_text).group(1)
            leave = re.search(r"Unsubscribe: (http://\S+/u/[\w-]+)", dan_text).group(1)
            async with aiohttp.ClientSession() as http:
                async with http.get(link, allow_redirects=False) as resp:
                    assert resp.status == 302 and resp.headers["Location"] == "https://shop.example/p/TEA-001"
                async with http.get(leave) as resp:  # a GET only shows the page (mail scanners open links)
                    assert resp.status == 200 and "Unsubscribe" in await resp.text()
                async with http.post(leave) as resp:
                    assert resp.status == 200
            deliveries = (await call(hub, "GET", "/campaign-deliveries?campaign=tea"))[1]["deliveries"]
            assert sum(d["clicks"] for d in deliveries) == 1 and all("token" not in d for d in deliveries)
            # dan's order of the product after his click is the campaign's; bob's (no click) is not
            await feed(hub, Order(platform="douyin", room="main", user=User("dan", "Dan"), message_id="o-dan",
                                  order_id="D1", sku="TEA-001", qty=1, amount=Decimal("168.00"), currency="CNY"),
                       Order(platform="douyin", room="main", user=User("bob", "Bob"), message_id="o-bob",
                             order_id="B1", sku="TEA-001", qty=1, amount=Decimal("168.00"), currency="CNY"))
            report: dict[str, Any] = {}

            async def attributed() -> bool:
                report.update((await call(hub, "GET", "/campaigns/tea/report"))[1])
                return sum(v["orders"] for v in report["variants"].values()) == 1

            await wait_until(attributed)
            won = report["winner"]
            assert report["variants"][won]["orders"] == 1 and report["variants"][won]["gmv"] == {"CNY": "168.00"}
            assert sum(v["sent"] for v in report["variants"].values()) == 7 and report["opens"] is None

            write_catalog(catalog, "158.00")  # new facts: a new run makes new items; dan is out now
            await wait_for(lambda: str(hub.catalog().by_sku("TEA-001").price) == "158.00", timeout=15)
            await call(hub, "POST", "/campaigns/tea/run")
            third = (await call(hub, "POST", "/campaigns/tea/send"))[1]
            assert third["unsubscribed"] == 2 and third["sent"] == 2 + 3  # dan: neither email nor webhook
            assert "dan@example.com" not in [to for tos, _ in inbox.messages[3:] for to in tos]
            dan_id = next(p["id"] for p in (await call(hub, "GET", "/contacts"))[1]["contacts"]
                          if p["email"] == "dan@example.com")
            erased = (await call(hub, "DELETE", f"/contacts/{dan_id}"))[1]["counts"]
            assert erased["deliveries"] == 2  # his email and webhook deliveries: no person, dead links
            async with aiohttp.ClientSession() as http, http.get(link, allow_redirects=False) as resp:
                assert resp.status == 404
    finally:
        smtp.stop()
        await runner.cleanup()


def test_quiet_hours_hold_messages_back_in_the_channel_s_timezone() -> None:
    channel = EmailChannel(EmailSettings(quiet_hours="21:00-08:00", timezone="Asia/Shanghai"), None)
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    late = datetime.datetime(2026, 12, 4, 23, 30, tzinfo=shanghai).timestamp()
    noon = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=shanghai).timestamp()
    until = channel.quiet_until(late)
    assert until == datetime.datetime(2026, 12, 5, 8, 0, tzinfo=shanghai).timestamp()
    assert channel.quiet_until(noon) is None


async def test_the_crm_channel_puts_the_message_on_the_contact_once(tmp_path) -> None:
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}, "crm": {"type": "builtin_crm"}},
              "backends": {"channel": {"crm": {}}}}
    async with running_hub(config=config) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        crm = hub.connectors["crm"]
        await crm.upsert_contact("douyin:ann", {"name": "Ann"})
        await crm.upsert_contact("douyin:bob", {"name": "Bob", "email": "bob@example.com"})
        await wait_for(lambda: crm.counts["sent"] == 2, timeout=10)
        campaign = {"products": ["CUP-002"], "channels": ["crm"], "variants": 1, "approval": "auto",
                    "link": "https://shop.example/p/{sku}"}
        await call(hub, "PUT", "/campaigns/cups", campaign)
        await call(hub, "POST", "/campaigns/cups/run")
        assert (await call(hub, "POST", "/campaigns/cups/send"))[1]["sent"] == 2
        assert (await call(hub, "POST", "/campaigns/cups/send"))[1]["sent"] == 0
        await wait_for(lambda: crm.counts["pending"] == 0 and crm.counts["sent"] == 4, timeout=10)
        people = (await call(hub, "GET", "/contacts"))[1]["contacts"]
        for person in people:
            timeline = (await call(hub, "GET", f"/contacts/{person['id']}"))[1]["timeline"]
            notes = [a for a in timeline if a["kind"] == "note"]
            assert len(notes) == 1 and notes[0]["data"]["campaign"] == "cups" and "/r/" in notes[0]["text"]


async def test_a_bundle_holds_each_item_once_with_a_manifest_for_manual_upload(tmp_path) -> None:
    catalog = tmp_path / "catalog.json"
    write_catalog(catalog, "168.00")
    config = {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", "locale": "en"},
              "web": {"enabled": True, "port": 0},
              "connectors": {"shop": {"type": "catalog_file", "path": str(catalog)}, "crm": {"type": "builtin_crm"}},
              "backends": {"channel": {"bundle": {"folder": str(tmp_path / "bundles"), "zip": True}}}}
    async with running_hub(config=config) as hub:
        await wait_for(lambda: hub.connectors["shop"].state == "ready", timeout=10)
        await call(hub, "PUT", "/campaigns/posts", {"products": ["TEA-001", "CUP-002"], "channels": ["bundle"],
                                                    "approval": "auto", "link": "https://shop.example/p/{sku}"})
        run = (await call(hub, "POST", "/campaigns/posts/run"))[1]
        assert (await call(hub, "POST", "/campaigns/posts/send"))[1]["sent"] == 4  # 2 products × A/B, once each
        assert (await call(hub, "POST", "/campaigns/posts/send"))[1]["sent"] == 0
    folder = tmp_path / "bundles" / "posts" / f"run-{run['id']}"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(i["file"] for i in manifest["items"]) == sorted(
        f"{sku}-everyone-{v}.txt" for sku in ("TEA-001", "CUP-002") for v in "AB")
    for item in manifest["items"]:
        text = (folder / item["file"]).read_text()
        assert item["link"] in text and "/r/" in item["link"] and "Unsubscribe" not in text
    assert (folder.parent / f"run-{run['id']}.zip").stat().st_size > 0
