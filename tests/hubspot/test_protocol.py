"""HubSpot's CRM API against its stand-in: the client alone (batch upsert, the version segment, rate-limit headers,
429 with Retry-After, errors with the properties they blame, a refused token), then the connector through the hub
(contacts in batches, notes associated to contacts and never made twice, deals, a refused write beside good
ones, an outage waited out, auth_failed)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.hubspot.client import HubSpotAuthError, HubSpotClient, HubSpotError
from connectors.hubspot.connector import HubSpotCrm
from connectors.hubspot.standin import HubSpotStandin
from hub.crm import CrmRejected, CrmWrite
from hub.secrets import SecretValue
from hub.testing import fast_retries, fault, running_hub, wait_for


def hub_config(standin: HubSpotStandin, tmp_path: Any, **settings: Any) -> dict[str, Any]:
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "connectors": {"crm": {**standin.connector_config(), **settings}}}


@pytest.mark.parametrize("version", ["v3", "2026-03"])
async def test_batch_upsert_creates_then_updates_by_the_unique_property(version: str) -> None:
    async with HubSpotStandin() as standin:
        client = HubSpotClient(standin.url, standin.token, version=version)
        try:
            first = await client.batch_upsert("contacts", "livehub_key", [
                {"id": "douyin:1", "properties": {"firstname": "Ann"}}, {"id": "douyin:2", "properties": {}}])
            again = await client.batch_upsert("contacts", "livehub_key", [
                {"id": "douyin:1", "properties": {"email": "Ann@Example.com"}}])
        finally:
            await client.close()
        assert [r["new"] for r in first["results"]] == [True, True]
        assert again["results"][0]["id"] == first["results"][0]["id"] and not again["results"][0]["new"]
        (ann,) = [r for r in standin.records("contacts") if r["properties"]["livehub_key"] == "douyin:1"]
        assert (ann["properties"]["firstname"], ann["properties"]["email"]) == ("Ann", "ann@example.com")
        assert client.window.remaining == standin.rate_max - 2 and client.window.daily is not None


async def test_the_rolling_window_and_429s_are_waited_out_not_failed() -> None:
    async with HubSpotStandin(rate_max=4, interval_ms=300) as standin:
        client = HubSpotClient(standin.url, standin.token)
        try:
            for n in range(10):
                await client.batch_upsert("contacts", "livehub_key", [{"id": f"douyin:{n}", "properties": {}}])
            await fault(standin, "rate_limit", count=2)  # two 429s with Retry-After: waited, then it goes
            await client.batch_upsert("contacts", "livehub_key", [{"id": "douyin:99", "properties": {}}])
        finally:
            await client.close()
        assert len(standin.records("contacts")) == 11
        assert client.window.waited_s > 0 and client.window.limited >= 2
        assert standin.state()["refused"]["rate_limit"] == client.window.limited


async def test_errors_name_the_properties_and_a_wrong_token_is_an_auth_error() -> None:
    async with HubSpotStandin() as standin:
        client = HubSpotClient(standin.url, standin.token)
        wrong = HubSpotClient(standin.url, "pat-wrong")
        try:
            with pytest.raises(HubSpotError) as bad:
                await client.batch_upsert("contacts", "livehub_key", [
                    {"id": "douyin:1", "properties": {"email": "not-an-email", "favourite_tea": "green"}}])
            with pytest.raises(HubSpotAuthError):
                await wrong.batch_upsert("contacts", "livehub_key", [{"id": "douyin:1", "properties": {}}])
        finally:
            await client.close()
            await wrong.close()
        assert bad.value.status == 400 and bad.value.category == "VALIDATION_ERROR"
        assert bad.value.fields == ["favourite_tea"] and not standin.records("contacts")


async def test_the_connector_batches_contacts_notes_and_deals_once_each(tmp_path, monkeypatch) -> None:
    fast_retries(monkeypatch, HubSpotCrm)
    async with HubSpotStandin() as standin, running_hub(config=hub_config(standin, tmp_path)) as hub:
        crm = hub.connectors["crm"]
        for n in range(30):
            await crm.upsert_contact(f"douyin:{n}", {"name": f"viewer {n}"})
        await crm.upsert_contact("douyin:bad", {"email": "nope"})  # refused for good; the others go
        await crm.upsert_contact("buyer@example.com", {"name": "Buyer", "phone": "+1 555"})
        await crm.add_note("douyin:3", "asked the price of link 2", key="note-3")
        await crm.upsert_deal("order:1:TEA", "douyin:3", {"title": "Order 1", "amount": "168.00", "currency": "CNY",
                                                          "stage": "won"})
        await wait_for(lambda: crm.counts["sent"] == 33 and crm.counts["failed"] == 1, timeout=15)
        assert len(standin.records("contacts")) == 31  # the refused one is not there
        (note,) = standin.records("notes")
        contact = next(r for r in standin.records("contacts") if r["properties"].get("livehub_key") == "douyin:3")
        assert note["properties"]["hs_note_body"] == "asked the price of link 2"
        assert note["properties"]["livehub_write_key"] == "note-3"
        assert note["associations"] == [("contacts", contact["id"])]
        (deal,) = standin.records("deals")
        assert (deal["properties"]["dealstage"], deal["properties"]["amount"]) == ("closedwon", "168.00")
        assert deal["associations"] == [("contacts", contact["id"])]
        failed = [e for e in await crm_entries(hub) if e["state"] == "failed"]
        assert "email" in failed[0]["last_error"] and "invalid" in failed[0]["last_error"].lower()
        # a note tried before (its answer lost) is looked up by its key, not made again
        result = await crm.send(CrmWrite(0, "note-3", "add_note", {"external_key": "douyin:3", "text": "x"}, 1))
        assert result["existing"] and len(standin.records("notes")) == 1


async def crm_entries(hub: Any) -> list[dict[str, Any]]:
    from hub.storage import outbox_store

    return await outbox_store.entries(hub.storage)


async def test_an_outage_is_waited_out_and_a_refused_token_stops_in_auth_failed(tmp_path, monkeypatch) -> None:
    fast_retries(monkeypatch, HubSpotCrm)
    async with HubSpotStandin() as standin, running_hub(config=hub_config(standin, tmp_path)) as hub:
        crm = hub.connectors["crm"]
        await wait_for(lambda: crm.state == "ready", timeout=5)
        await fault(standin, "outage", seconds=1.5)
        await crm.add_note("douyin:1", "hello", key="n1")
        await wait_for(lambda: crm.state == "retrying", timeout=5)
        await wait_for(lambda: crm.counts["sent"] == 1 and crm.state == "ready", timeout=15)
        assert len(standin.records("notes")) == 1 and len(standin.records("contacts")) == 1
    async with HubSpotStandin() as standin:
        (tmp_path / "x").mkdir()
        config = hub_config(standin, tmp_path / "x")
        config["connectors"]["crm"]["token"] = SecretValue("pat-wrong", "test")
        async with running_hub(config=config) as hub:
            crm = hub.connectors["crm"]
            await crm.add_note("douyin:1", "hello", key="n2")
            await wait_for(lambda: crm.state == "auth_failed", timeout=5)
            assert crm.counts["pending"] == 1 and "INVALID_AUTHENTICATION" not in crm.last_error


async def test_consecutive_writes_go_in_batches_and_a_bad_one_is_found_by_halving(tmp_path) -> None:
    async with HubSpotStandin() as standin, running_hub(config=hub_config(standin, tmp_path)) as hub:
        crm = hub.connectors["crm"]
        writes = [CrmWrite(n, f"k{n}", "upsert_contact", {"external_key": f"douyin:{n}", "fields": {"name": f"v{n}"}})
                  for n in range(150)]
        writes[10] = CrmWrite(10, "k10", "upsert_contact", {"external_key": "douyin:10", "fields": {"email": "x"}})
        # 40 notes: 30 on contacts just written, 10 on viewers HubSpot does not know yet
        writes += [CrmWrite(200 + n, f"note-{n}", "add_note", {"external_key": f"douyin:{n + 120}", "text": f"n{n}"})
                   for n in range(40)]
        before = standin.calls
        outcomes = await crm.send_many(writes)
        rejected = [n for n, o in enumerate(outcomes) if isinstance(o, CrmRejected)]
        assert len(outcomes) == 190 and rejected == [10] and "email" in outcomes[10].fields
        assert len(standin.records("contacts")) == 159 and len(standin.records("notes")) == 40
        contacts = {r["id"]: r["properties"]["livehub_key"] for r in standin.records("contacts")}
        bodies = {contacts[n["associations"][0][1]]: n["properties"]["hs_note_body"] for n in standin.records("notes")}
        assert bodies == {f"douyin:{n + 120}": f"n{n}" for n in range(40)}
        # 150 contact writes: a batch of 100 refused, then halved down to the bad one (each of the 7 halvings
        # tries two halves), a batch of 50; the notes: their 10 unknown contacts in one batch, then one batch
        assert standin.calls - before <= 1 + 2 * 7 + 1 + 2, standin.calls - before
