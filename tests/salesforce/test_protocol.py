"""Salesforce's REST API against its stand-in: the client alone (client credentials and JWT bearer, a token
fetched again before it expires and once after an early 401, the error array with its fields, per-record
collection results and allOrNone, references checked, Sforce-Limit-Info, the allowance used up, which errors are
retried), then the connector through the hub (contacts in collections, Tasks and Opportunities upserted by key so
a redelivery makes nothing twice, Leads, the JWT flow, updates answered 204, a refused write marked failed beside
good ones, an outage and a stopped org waited out, refused credentials → auth_failed)."""

from __future__ import annotations

import datetime
from typing import Any

import aiohttp
import pytest

from connectors.salesforce.client import (
    SalesforceAuthError,
    SalesforceClient,
    SalesforceError,
    SalesforceUnavailable,
    error_for,
)
from connectors.salesforce.connector import SalesforceCrm
from connectors.salesforce.standin import SalesforceStandin
from hub.crm import CrmRejected, CrmWrite
from hub.secrets import SecretValue
from hub.storage import outbox_store
from hub.testing import fast_retries, fault, running_hub, wait_for


def client_of(standin: SalesforceStandin, *, jwt: bool = False, **kw: Any) -> SalesforceClient:
    token_url = f"{standin.url}/services/oauth2/token"
    if jwt:
        return SalesforceClient(token_url, standin.client_id, private_key=standin.private_key_pem(),
                                username=standin.username, **kw)
    return SalesforceClient(token_url, standin.client_id, client_secret=standin.client_secret, **kw)


@pytest.mark.parametrize("jwt", [False, True], ids=["client_credentials", "jwt_bearer"])
async def test_upserts_by_external_id_create_then_update(jwt: bool) -> None:
    async with SalesforceStandin() as standin:
        client = client_of(standin, jwt=jwt)
        try:
            first = await client.upsert("Contact", "LiveHub_Key__c", "douyin:1", {"LastName": "Ann"})
            again = await client.upsert("Contact", "LiveHub_Key__c", "douyin:1", {"Email": "ann@example.com"})
            found = await client.query("SELECT Id, Email FROM Contact WHERE LiveHub_Key__c = 'douyin:1'")
        finally:
            await client.close()
        assert first["created"] and not again["created"] and first["id"] == again["id"]
        assert [(r["Id"], r["Email"]) for r in found] == [(first["id"], "ann@example.com")]
        assert standin.issued["jwt_bearer" if jwt else "client_credentials"] == 1
        assert client.api_usage == (standin.api_used, standin.api_max)


async def test_the_token_is_fetched_again_before_it_expires_and_after_an_early_401() -> None:
    async with SalesforceStandin(token_ttl_s=300.0) as standin:  # all within the 5-minute margin: fetched each time
        client = client_of(standin, token_ttl_s=300.0)
        try:
            await client.upsert("Contact", "LiveHub_Key__c", "douyin:1", {"LastName": "Ann"})
            await client.upsert("Contact", "LiveHub_Key__c", "douyin:2", {"LastName": "Bob"})
            assert standin.issued["client_credentials"] == 2 and standin.refused["session"] == 0
            client.token_ttl_s = standin.token_ttl_s = 7200.0
            await client.token(fresh=True)
            standin.expire_tokens()  # the org ended the session early: one 401, a new token, the call goes
            await client.upsert("Contact", "LiveHub_Key__c", "douyin:3", {"LastName": "Cy"})
        finally:
            await client.close()
        assert standin.refused["session"] == 1 and len(standin.records("Contact")) == 3


async def test_errors_are_the_array_with_fields_and_collections_answer_per_record() -> None:
    async with SalesforceStandin(api_max=12) as standin:
        client = client_of(standin)
        wrong = SalesforceClient(f"{standin.url}/services/oauth2/token", standin.client_id, client_secret="nope")
        try:
            with pytest.raises(SalesforceError) as missing:
                await client.upsert("Lead", "LiveHub_Key__c", "douyin:1", {"LastName": "Ann"})
            with pytest.raises(SalesforceError) as unknown:
                await client.upsert("Contact", "No_Such__c", "x", {"LastName": "Ann"})
            results = await client.collections_upsert("Contact", "LiveHub_Key__c", [
                {"LiveHub_Key__c": "douyin:1", "LastName": "Ann"}, {"LiveHub_Key__c": "douyin:2", "Email": "bad"},
                {"LiveHub_Key__c": "douyin:3", "LastName": "Cy"}])
            with pytest.raises(SalesforceAuthError):
                await wrong.token()
            while standin.api_used < standin.api_max:
                await client.query("SELECT Id FROM Contact")
            with pytest.raises(SalesforceUnavailable) as limited:
                await client.query("SELECT Id FROM Contact")
        finally:
            await client.close()
            await wrong.close()
        assert (missing.value.code, missing.value.fields) == ("REQUIRED_FIELD_MISSING", ["Company"])
        assert (unknown.value.status, unknown.value.code) == (404, "NOT_FOUND")
        assert [r["success"] for r in results] == [True, False, True]
        assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
        assert limited.value.code == "REQUEST_LIMIT_EXCEEDED"


async def test_all_or_none_keeps_nothing_and_references_are_checked_on_a_shared_session() -> None:
    async with SalesforceStandin() as standin, aiohttp.ClientSession() as session:
        client = client_of(standin, session=session)
        await client.upsert("Lead", "LiveHub_Key__c", "douyin:9", {"LastName": "Lee", "Company": "Acme"})
        (lead,) = standin.records("Lead")
        batch = [{"LiveHub_Key__c": "douyin:1", "LastName": "Ann"}, {"LiveHub_Key__c": "douyin:2", "Email": "bad"}]
        results = await client.collections_upsert("Contact", "LiveHub_Key__c", batch, all_or_none=True)
        refusals = []
        for sobject, fields in (("Task", {"Status": "Completed", "WhoId": "not an id"}),
                                ("Task", {"Status": "Completed", "WhoId": "003000000000000999"}),
                                ("Opportunity", {"Name": "x", "StageName": "Prospecting", "CloseDate": "2025-01-01",
                                                 "ContactId": lead["Id"]})):
            with pytest.raises(SalesforceError) as refused:
                await client.create(sobject, fields)
            refusals.append((refused.value.code, refused.value.fields))
        await client.close()
        assert not session.closed  # the caller's session stays open
        assert [r["success"] for r in results] == [False, False] and standin.records("Contact") == []
        assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
        assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
        assert refusals == [("MALFORMED_ID", ["WhoId"]), ("INVALID_CROSS_REFERENCE_KEY", ["WhoId"]),
                            ("FIELD_INTEGRITY_EXCEPTION", ["ContactId"])]


@pytest.mark.parametrize(("status", "code", "kind"), [
    (400, "UNABLE_TO_LOCK_ROW", SalesforceUnavailable), (429, "", SalesforceUnavailable),
    (503, "SERVER_UNAVAILABLE", SalesforceUnavailable), (403, "REQUEST_LIMIT_EXCEEDED", SalesforceUnavailable),
    (400, "invalid_grant", SalesforceAuthError), (401, "INVALID_SESSION_ID", SalesforceAuthError),
    (400, "REQUIRED_FIELD_MISSING", SalesforceError), (404, "NOT_FOUND", SalesforceError)])
def test_which_errors_are_retried_refused_or_credentials(status: int, code: str, kind: type) -> None:
    error = error_for(status, [{"message": "m", "errorCode": code, "fields": []}])
    assert type(error) is kind and error.code == code


async def test_query_pages_are_followed() -> None:
    async with SalesforceStandin(page_size=3) as standin:
        client = client_of(standin)
        try:
            for n in range(8):
                await client.upsert("Contact", "LiveHub_Key__c", f"douyin:{n}", {"LastName": f"v{n}"})
            rows = await client.query("SELECT Id, LastName FROM Contact")
        finally:
            await client.close()
        assert sorted(r["LastName"] for r in rows) == [f"v{n}" for n in range(8)]


def hub_config(standin: SalesforceStandin, tmp_path: Any, **settings: Any) -> dict[str, Any]:
    return {"hub": {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"},
            "connectors": {"crm": {**standin.connector_config(), **settings}}}


async def test_the_connector_writes_contacts_tasks_and_opportunities_once_each(tmp_path, monkeypatch) -> None:
    fast_retries(monkeypatch, SalesforceCrm)
    async with SalesforceStandin() as standin, running_hub(config=hub_config(standin, tmp_path)) as hub:
        crm = hub.connectors["crm"]
        writes = [CrmWrite(n, f"k{n}", "upsert_contact", {"external_key": f"douyin:{n}", "fields": {"name": f"v{n}"}})
                  for n in range(250)]
        writes[7] = CrmWrite(7, "k7", "upsert_contact", {"external_key": "douyin:7", "fields": {"name": "x",
                                                                                                 "email": "bad"}})
        before = standin.api_used
        outcomes = await crm.send_many(writes)
        assert [n for n, o in enumerate(outcomes) if isinstance(o, CrmRejected)] == [7]
        assert outcomes[7].fields == ["Email"] and "INVALID_EMAIL_ADDRESS" in str(outcomes[7])
        assert standin.api_used - before == 2  # 250 contacts: two collections (200 + 50)
        await crm.upsert_contact("buyer@example.com", {"phone": "+1 555"})  # no name: named by its key
        await crm.add_note("douyin:3", "asked the price of link 2", key="note-3", subject="Visit to main")
        await crm.upsert_deal("order:1:TEA", "douyin:3", {"title": "Order 1", "amount": "168.00", "stage": "won"})
        await crm.upsert_deal("lead:main:douyin:4:TEA", "douyin:4", {"title": "Tea lead", "stage": "lead"})
        await wait_for(lambda: crm.counts["sent"] == 4, timeout=15)
        (task,) = standin.records("Task")
        contact = next(r for r in standin.records("Contact") if r["LiveHub_Key__c"] == "douyin:3")
        assert (task["WhoId"], task["Subject"], task["Status"]) == (contact["Id"], "Visit to main", "Completed")
        deals = {o["LiveHub_Deal_Key__c"]: o for o in standin.records("Opportunity")}
        assert deals["order:1:TEA"]["StageName"] == "Closed Won" and deals["order:1:TEA"]["Amount"] == 168.0
        assert deals["lead:main:douyin:4:TEA"]["StageName"] == "Prospecting"
        assert next(r for r in standin.records("Contact") if r["LiveHub_Key__c"] == "buyer@example.com")["LastName"]
        # a redelivered note updates its Task: never a second one
        await crm.send(CrmWrite(0, "note-3", "add_note", {"external_key": "douyin:3", "text": "again"}, 1))
        assert len(standin.records("Task")) == 1
        assert crm.status()["api_usage"]["used"] == standin.api_used


async def test_an_outage_is_waited_out_and_refused_credentials_stop_in_auth_failed(tmp_path, monkeypatch) -> None:
    fast_retries(monkeypatch, SalesforceCrm)
    async with SalesforceStandin() as standin, running_hub(config=hub_config(standin, tmp_path)) as hub:
        crm = hub.connectors["crm"]
        await wait_for(lambda: crm.state == "ready", timeout=5)
        await fault(standin, "outage", seconds=1.5)
        await crm.add_note("douyin:1", "hello", key="n1")
        await wait_for(lambda: crm.state == "retrying", timeout=5)
        await wait_for(lambda: crm.counts["sent"] == 1 and crm.state == "ready", timeout=15)
        assert len(standin.records("Task")) == 1 and len(standin.records("Contact")) == 1
    async with SalesforceStandin() as standin:
        (tmp_path / "x").mkdir()
        config = hub_config(standin, tmp_path / "x")
        config["connectors"]["crm"]["client_secret"] = SecretValue("wrong", "test")
        async with running_hub(config=config) as hub:
            crm = hub.connectors["crm"]
            await crm.add_note("douyin:1", "hello", key="n2")
            await wait_for(lambda: crm.state == "auth_failed", timeout=5)
            assert crm.counts["pending"] == 1 and standin.refused["token"] >= 1


async def test_a_lead_its_task_and_its_opportunity_go_through_the_outbox(tmp_path, monkeypatch) -> None:
    fast_retries(monkeypatch, SalesforceCrm)
    async with SalesforceStandin() as standin, \
            running_hub(config=hub_config(standin, tmp_path, contact_object="Lead")) as hub:
        crm = hub.connectors["crm"]
        await crm.upsert_contact("douyin:1", {"name": "Ann"})
        await crm.add_note("douyin:1", "asked the price")
        await crm.upsert_deal("order-1", "douyin:1", {"title": "order 1", "amount": "30.00", "stage": "won"})
        await wait_for(lambda: crm.counts["sent"] == 3, timeout=15)
        (lead,) = standin.records("Lead")
        (task,) = standin.records("Task")
        (deal,) = standin.records("Opportunity")
        settings = crm.config
    assert standin.records("Contact") == []
    assert (lead["LiveHub_Key__c"], lead["LastName"], lead["Company"]) == ("douyin:1", "Ann", settings.lead_company)
    assert (task["WhoId"], task["Subject"], task["Description"], task["Status"]) == (
        lead["Id"], "asked the price", "asked the price", "Completed")
    assert (deal["LiveHub_Deal_Key__c"], deal["Name"], deal["Amount"], deal["StageName"]) == (
        "order-1", "order 1", 30.0, settings.stages["won"])
    assert "ContactId" not in deal  # an Opportunity points at Contacts, not at Leads
    assert abs((datetime.date.fromisoformat(deal["CloseDate"]) - datetime.date.today()).days) <= 1


async def test_a_refused_write_is_failed_with_the_message_and_fields_and_the_next_goes(tmp_path, monkeypatch) -> None:
    fast_retries(monkeypatch, SalesforceCrm)
    async with SalesforceStandin() as standin, running_hub(config=hub_config(standin, tmp_path)) as hub:
        crm = hub.connectors["crm"]
        await crm.upsert_deal("order-2", "douyin:1", {"amount": "5", "stage": "won"})  # no title: no Name
        await crm.upsert_deal("order-3", "douyin:1", {"title": "t", "amount": "a lot", "stage": "won"})
        await crm.upsert_contact("douyin:2", {"name": "Bob"})
        await wait_for(lambda: crm.counts["failed"] == 2 and crm.counts["sent"] == 1, timeout=15)
        failed = {r["payload"]["deal_key"]: r["last_error"]
                  for r in await outbox_store.entries(hub.storage, connector="crm", state="failed")}
        assert crm.state == "ready"
    assert "REQUIRED_FIELD_MISSING" in failed["order-2"] and "fields: Name" in failed["order-2"]
    assert "fields: amount" in failed["order-3"]
    assert standin.records("Opportunity") == []
    assert [c["LastName"] for c in standin.records("Contact") if c["LiveHub_Key__c"] == "douyin:2"] == ["Bob"]


async def test_the_jwt_bearer_flow_and_updates_answered_204_through_the_hub(tmp_path, monkeypatch) -> None:
    fast_retries(monkeypatch, SalesforceCrm)
    async with SalesforceStandin(flow="jwt_bearer", update_status=204) as standin:
        client = client_of(standin, jwt=True)
        try:  # the contact exists before the hub writes it: its upsert is an update, answered without an id
            known = await client.upsert("Contact", "LiveHub_Key__c", "douyin:1", {"LastName": "Ann"})
        finally:
            await client.close()
        async with running_hub(config=hub_config(standin, tmp_path)) as hub:
            crm = hub.connectors["crm"]
            await crm.upsert_contact("douyin:1", {"name": "Ann B", "consent": "refused"})
            await crm.add_note("douyin:1", "came back\nand asked again", key="n1")
            await wait_for(lambda: crm.counts["sent"] == 2, timeout=15)
    (contact,) = standin.records("Contact")
    (task,) = standin.records("Task")
    assert (contact["Id"], contact["LastName"], contact["HasOptedOutOfEmail"]) == (known["id"], "Ann B", True)
    assert (task["WhoId"], task["Subject"]) == (known["id"], "came back")
    assert standin.issued["client_credentials"] == 0 and standin.issued["jwt_bearer"] >= 2


async def test_writes_wait_while_the_org_is_down_then_all_go(tmp_path, monkeypatch) -> None:
    fast_retries(monkeypatch, SalesforceCrm)
    async with SalesforceStandin() as standin, running_hub(config=hub_config(standin, tmp_path)) as hub:
        crm = hub.connectors["crm"]
        await wait_for(lambda: crm.state == "ready", timeout=5)
        await standin.stop()  # no answer at all until it starts again (same port, same records)
        await crm.upsert_contact("douyin:1", {"name": "Ann"})
        await crm.add_note("douyin:1", "asked the price")
        await crm.upsert_deal("order-1", "douyin:1", {"title": "order 1", "stage": "lead"})
        await wait_for(lambda: crm.state == "retrying", timeout=5)
        assert crm.counts["pending"] == 3 and crm.counts["sent"] == 0
        await standin.start()
        await wait_for(lambda: crm.counts["sent"] == 3 and crm.state == "ready", timeout=15)
    assert [len(standin.records(o)) for o in ("Contact", "Task", "Opportunity")] == [1, 1, 1]
