"""The CRM contract's outbox (hub.crm): writes are stored before delivery, delivered once each in order when
the CRM is up, kept through an outage and a restart, refused writes marked failed with the CRM's reason, and
the whole visible in the API, the connector's status and /metrics. An in-memory CRM stands for HubSpot and
Salesforce here."""

from __future__ import annotations

from typing import Any

import aiohttp
from pydantic import BaseModel

from hub.crm import CrmConnector, CrmRejected, CrmWrite
from hub.hookspecs import hookimpl
from hub.specs import ConnectorSpec
from hub.testing import fast_retries, running_hub, wait_for


class MemoryCrmSettings(BaseModel):
    pass


class MemoryCrm(CrmConnector):
    """Contacts and notes in a dict; ``down`` makes every write fail like an outage."""

    down = False
    received: list[CrmWrite] = []

    async def send(self, write: CrmWrite) -> dict[str, Any]:
        if MemoryCrm.down:
            raise ConnectionError("CRM unavailable")
        if write.payload.get("fields", {}).get("email") == "not-an-email":
            raise CrmRejected("Email is invalid", ["email"])
        MemoryCrm.received.append(write)
        return {"id": f"crm-{len(MemoryCrm.received)}"}


class Plugin:
    @hookimpl
    def livehub_register_connectors(self) -> list[ConnectorSpec]:
        return [ConnectorSpec(type="memory_crm", kind="crm", factory=MemoryCrm, config_model=MemoryCrmSettings)]


def config(database_url: str) -> dict[str, Any]:
    return {"hub": {"database_url": database_url}, "web": {"enabled": True, "port": 0},
            "connectors": {"crm": {"type": "memory_crm"}}}


def reset(monkeypatch: Any) -> None:
    monkeypatch.setattr(MemoryCrm, "received", [])
    monkeypatch.setattr(MemoryCrm, "down", False)
    fast_retries(monkeypatch, MemoryCrm)


async def get(hub: Any, path: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{hub.web.port}{path}") as resp:
        return resp.status, await (resp.json() if resp.content_type == "application/json" else resp.text())


async def test_writes_wait_out_an_outage_and_a_restart_and_arrive_once_each_in_order(tmp_path, monkeypatch,
                                                                                    db_url) -> None:
    reset(monkeypatch)
    url = db_url if db_url.startswith("postgresql") else f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    MemoryCrm.down = True
    async with running_hub(plugins=[("memory_crm", Plugin())], config=config(url)) as hub:
        crm = hub.connectors["crm"]
        for n in range(20):
            assert await crm.upsert_contact(f"douyin:{n}", {"name": f"viewer {n}"})
        assert not await crm.upsert_contact("douyin:3", {"name": "viewer 3"})  # the same write: stored once
        await crm.add_note("douyin:1", "asked the price of link 2", key="note-1")
        await wait_for(lambda: crm.state == "retrying", timeout=10)
        assert "CRM unavailable" in crm.last_error and crm.counts["pending"] == 21 and not MemoryCrm.received
    MemoryCrm.down = False  # the CRM is back while the hub is down; a new hub delivers what was stored
    async with running_hub(plugins=[("memory_crm", Plugin())], config=config(url)) as hub:
        crm = hub.connectors["crm"]
        await wait_for(lambda: crm.counts["sent"] == 21, timeout=15)
        assert [w.payload.get("external_key") for w in MemoryCrm.received] == [
            *(f"douyin:{n}" for n in range(20)), "douyin:1"]
        assert len({w.key for w in MemoryCrm.received}) == 21 and crm.state == "ready"
        assert MemoryCrm.received[0].attempts >= 1  # it had been tried during the outage
        status, outbox = await get(hub, "/api/v1/crm/outbox?state=sent&limit=5")
        assert status == 200 and outbox["counts"] == {"pending": 0, "sent": 21, "failed": 0, "cancelled": 0}
        assert len(outbox["entries"]) == 5 and "payload" not in outbox["entries"][0]
        assert outbox["entries"][0]["result"] == {"id": "crm-21"}


async def test_a_refused_write_is_failed_with_the_crm_s_reason_and_the_others_go_on(tmp_path, monkeypatch) -> None:
    reset(monkeypatch)
    async with running_hub(plugins=[("memory_crm", Plugin())],
                           config=config(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")) as hub:
        crm = hub.connectors["crm"]
        await crm.upsert_contact("douyin:1", {"email": "not-an-email"})
        await crm.upsert_contact("douyin:2", {"email": "ann@example.com"})
        await wait_for(lambda: crm.counts["sent"] == 1 and crm.counts["failed"] == 1, timeout=10)
        status, outbox = await get(hub, "/api/v1/crm/outbox?state=failed")
        assert outbox["entries"][0]["last_error"] == "Email is invalid (fields: email)"
        assert crm.status()["outbox"] == {"pending": 0, "sent": 1, "failed": 1, "cancelled": 0}
        _, metrics = await get(hub, "/metrics")
        assert 'livehub_crm_outbox{connector="crm",state="failed"} 1.0' in metrics
        assert 'livehub_crm_writes_total{connector="crm",outcome="rejected"} 1.0' in metrics
        assert (await get(hub, "/api/v1/crm/outbox?state=lost"))[0] == 400


async def test_a_waiting_write_goes_when_due_unless_withdrawn_or_amended_and_survives_a_restart(db_url,
                                                                                                monkeypatch) -> None:
    import time

    reset(monkeypatch)
    url = db_url
    async with running_hub(plugins=[("memory_crm", Plugin())], config=config(url)) as hub:
        crm = hub.connectors["crm"]
        soon = time.time() + 1.0
        assert await crm.add_note("douyin:1", "asked the price", key="note-1", due_ts=soon)
        assert await crm.upsert_deal("lead-1", "douyin:1", {"stage": "lead"}, key="lead-1", due_ts=soon)
        assert await crm.upsert_deal("lead-2", "douyin:2", {"stage": "lead"}, key="lead-2", due_ts=time.time() + 60)
        assert await crm.upsert_contact("douyin:1", {"name": "Ann"})  # at once: it does not wait behind them
        await wait_for(lambda: len(MemoryCrm.received) == 1, timeout=5)
        assert await crm.cancel("lead-1")  # an order came in time: the lead is withdrawn
        assert await crm.amend("note-1", {"external_key": "douyin:1", "text": "asked the price; bought"}, soon)
        await wait_for(lambda: len(MemoryCrm.received) == 2, timeout=10)
        assert [w.key for w in MemoryCrm.received][1] == "note-1"
        assert MemoryCrm.received[1].payload["text"] == "asked the price; bought"
        assert not await crm.cancel("note-1") and not await crm.amend("note-1", {}, soon)  # sent: too late
        assert crm.counts == {"pending": 1, "sent": 2, "failed": 0, "cancelled": 1}
    async with running_hub(plugins=[("memory_crm", Plugin())], config=config(url)) as hub:
        crm = hub.connectors["crm"]
        await wait_for(lambda: crm.counts["pending"] == 1 and crm.state == "ready", timeout=5)
        assert len(MemoryCrm.received) == 2  # lead-2 still waits for its time, across the restart
        assert (await crm.stored("lead-2"))["state"] == "pending"
