"""The client and the stand-in against Salesforce's documented payloads (../shared/protocol-samples/salesforce,
copied from the REST API Developer Guide; skipped when that folder is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.salesforce.client import SalesforceClient, parse_errors
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


async def test_the_stand_in_answers_the_documented_shapes() -> None:
    created = json.loads(sample("upsert.created.response.201.json"))
    query = json.loads(sample("query.response.json"))
    async with SalesforceStandin() as standin:
        client = SalesforceClient(f"{standin.url}/services/oauth2/token", standin.client_id,
                                  client_secret=standin.client_secret)
        try:
            _, answer = await client.request("PATCH", client._data("/sobjects/Contact/LiveHub_Key__c/douyin%3A1"),
                                             {"LastName": "Ann"})
            _, page = await client.request("GET", client._data("/query?q=SELECT+Id+FROM+Contact"))
            status, refused = 0, None
            try:
                await client.request("POST", client._data("/sobjects/Contact"), {"Id": "x", "LastName": "A"})
            except Exception as exc:  # noqa: BLE001 - the documented INVALID_FIELD refusal
                status, refused = getattr(exc, "status", 0), exc
        finally:
            await client.close()
    assert set(answer) == set(created) and answer["created"] is True
    assert set(query) <= set(page) and set(query["records"][0]["attributes"]) == set(page["records"][0]["attributes"])
    documented = json.loads(sample("create.error.response.400.json"))[0]
    assert status == 400 and refused.errors[0]["errorCode"] == documented["errorCode"]
    assert refused.errors[0]["message"] == documented["message"]
