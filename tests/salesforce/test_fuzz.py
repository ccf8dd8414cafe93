"""Whatever bytes Salesforce (or something in its place) answers, the client's parsers raise only its own errors:
the error array, the limit header."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.salesforce.client import SalesforceClient, SalesforceError, error_for, parse_errors

JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                   max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(status=st.integers(100, 599), body=st.binary(max_size=300))
def test_any_error_body_becomes_a_salesforce_error(status: int, body: bytes) -> None:
    error = parse_errors(status, body)
    assert isinstance(error, SalesforceError) and error.errors and isinstance(error.fields, list)


@settings(max_examples=300, deadline=None)
@given(status=st.integers(300, 599), data=JSONISH)
def test_any_json_error_shape_is_read_without_failing(status: int, data: object) -> None:
    import json

    error = parse_errors(status, json.dumps(data).encode())
    assert all(isinstance(f, str) for f in error.fields) and str(error)


@settings(max_examples=300, deadline=None)
@given(status=st.integers(0, 599), entries=st.lists(st.dictionaries(
    st.sampled_from(["message", "errorCode", "statusCode", "fields", "other"]), JSONISH, max_size=5), max_size=4))
def test_any_per_record_error_list_is_read_without_failing(status: int, entries: list[dict[str, object]]) -> None:
    error = error_for(status, entries)  # a collection's record errors are taken as the org answered them
    assert isinstance(error, SalesforceError) and all(isinstance(f, str) for f in error.fields) and str(error)


@settings(max_examples=200, deadline=None)
@given(header=st.text(max_size=60))
def test_any_limit_header_is_read_or_ignored(header: str) -> None:
    client = SalesforceClient("https://login.example/services/oauth2/token", "id", client_secret="s")
    client._track(header)
    assert client.api_usage is None or all(isinstance(n, int) for n in client.api_usage)
