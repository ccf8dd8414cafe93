"""The client and the stand-in against Salesforce's documented payloads (../shared/protocol-samples/salesforce,
copied from the REST API Developer Guide; skipped when that folder is absent): the client reads the documented
answers (replayed as they are by a small server), and the stand-in answers with the same keys and codes."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from connectors.salesforce.client import SalesforceClient, SalesforceError, parse_errors
from connectors.salesforce.standin import SalesforceStandin

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "protocol-samples" / "salesforce"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="no ../shared/protocol-samples/salesforce")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_documented_errors_are_read_as_the_array_and_as_a_single_object() -> None:
    invalid = parse_errors(400, sample("create.error.response.400.json"))
    assert (invalid.code, invalid.status) == ("INVALID_FIELD", 400) and "Id field" in str(invalid)
    missing = parse_errors(404, sample("upsert.error.bad_external_id_field.response.404.json"))
    assert missing.code == "NOT_FOUND"


def replay(status: int, name: str) -> web.Response:
    return web.Response(status=status, body=sample(name), content_type="application/json")


@pytest.fixture
async def documented() -> AsyncIterator[SalesforceClient]:
    """A client of a server answering the documented bodies byte for byte."""

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"access_token": "00Dx!doc", "instance_url": f"{request.scheme}://{request.host}",
                                  "issued_at": str(int(time.time() * 1000)), "token_type": "Bearer"})

    async def upsert(request: web.Request) -> web.Response:
        if request.match_info["field"] != "customExtIdField__c":
            return replay(404, "upsert.error.bad_external_id_field.response.404.json")
        return replay(201, "upsert.created.response.201.json")

    async def create(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        return replay(400, "create.error.response.400.json") if "id" in body else replay(201, "create.response.201.json")

    async def query(request: web.Request) -> web.Response:
        return replay(200, "query.response.json")

    app = web.Application()
    app.router.add_post("/services/oauth2/token", token)
    app.router.add_patch("/services/data/v62.0/sobjects/Account/{field}/{value}", upsert)
    app.router.add_post("/services/data/v62.0/sobjects/Account", create)
    app.router.add_get("/services/data/v62.0/query", query)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    client = SalesforceClient(f"http://{host}:{port}/services/oauth2/token", "id", client_secret="secret")
    try:
        yield client
    finally:
        await client.close()
        await runner.cleanup()


async def test_the_client_reads_the_documented_answers(documented: SalesforceClient) -> None:
    created = json.loads(sample("upsert.created.response.201.json"))
    made = json.loads(sample("create.response.201.json"))
    query = json.loads(sample("query.response.json"))
    request = json.loads(sample("upsert.request.newrecord.json"))
    assert await documented.upsert("Account", "customExtIdField__c", "11999", request) == {
        "id": created["id"], "created": created["created"]}
    assert await documented.create("Account", json.loads(sample("create.request.newaccount.json"))) == made
    assert await documented.query("SELECT name FROM Account") == query["records"]
    documented_error = json.loads(sample("create.error.response.400.json"))[0]
    with pytest.raises(SalesforceError) as refused:
        await documented.create("Account", json.loads(sample("create.error.request.json")))
    assert (refused.value.status, refused.value.code) == (400, documented_error["errorCode"])
    assert documented_error["message"] in str(refused.value)
    with pytest.raises(SalesforceError) as unknown:
        await documented.upsert("Account", "No_Such__c", "11999", request)
    assert (unknown.value.status, unknown.value.code) == (404, "NOT_FOUND")


async def test_the_stand_in_answers_the_documented_shapes() -> None:
    created = json.loads(sample("upsert.created.response.201.json"))
    made = json.loads(sample("create.response.201.json"))
    query = json.loads(sample("query.response.json"))
    documented = json.loads(sample("create.error.response.400.json"))[0]
    not_found = json.loads(sample("upsert.error.bad_external_id_field.response.404.json"))
    async with SalesforceStandin() as standin:
        client = SalesforceClient(f"{standin.url}/services/oauth2/token", standin.client_id,
                                  client_secret=standin.client_secret)
        try:
            _, answer = await client.request("PATCH", client._data("/sobjects/Contact/LiveHub_Key__c/douyin%3A1"),
                                             {"LastName": "Ann"})
            _, page = await client.request("GET", client._data("/query?q=SELECT+Id+FROM+Contact"))
            _, new = await client.request("POST", client._data("/sobjects/Lead"), {"LastName": "B", "Company": "C"})
            with pytest.raises(SalesforceError) as refused:
                await client.request("POST", client._data("/sobjects/Contact"), {"Id": "x", "LastName": "A"})
            with pytest.raises(SalesforceError) as unknown:
                await client.upsert("Contact", "No_Such__c", "x", {"LastName": "A"})
        finally:
            await client.close()
    assert set(answer) == set(created) and answer["created"] is True
    assert set(new) == set(made) and new["success"] is True
    assert set(query) <= set(page) and set(query["records"][0]["attributes"]) == set(page["records"][0]["attributes"])
    assert refused.value.status == 400 and refused.value.errors[0]["errorCode"] == documented["errorCode"]
    assert refused.value.errors[0]["message"] == documented["message"]
    assert (unknown.value.status, unknown.value.code) == (404, not_found["errorCode"])
