"""Whatever HubSpot (or something in its place) answers, the client's parsers raise only its own errors and
read the rate-limit headers or ignore them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.hubspot.client import HubSpotError, RateWindow, parse_error


@settings(max_examples=300, deadline=None)
@given(status=st.integers(300, 599), body=st.binary(max_size=300))
def test_any_error_body_becomes_a_hubspot_error(status: int, body: bytes) -> None:
    error = parse_error(status, body)
    assert isinstance(error, HubSpotError) and error.status == status and isinstance(error.fields, list)


@settings(max_examples=300, deadline=None)
@given(headers=st.dictionaries(st.sampled_from(["X-HubSpot-RateLimit-Remaining",
                                                "X-HubSpot-RateLimit-Interval-Milliseconds",
                                                "X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining",
                                                "Retry-After"]), st.text(max_size=12), max_size=5))
def test_any_rate_limit_headers_are_read_or_ignored(headers: dict[str, str]) -> None:
    window = RateWindow()
    window.update(headers)
    assert window.interval_s >= 0.1 and (window.remaining is None or isinstance(window.remaining, int))
