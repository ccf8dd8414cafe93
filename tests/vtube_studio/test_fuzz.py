"""Fuzzing what crosses VTube Studio's socket: the client's parser takes any frame and only ever raises
ValueError; an encoded request parses back to itself; the stand-in answers any request with an answer or an
APIError, never a crash."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.vtube_studio.client import encode, parse_message, valid_request_id
from connectors.vtube_studio.standin import VtsProblem, VtsStandin

JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                   max_size=4), max_leaves=20)


@given(st.binary(max_size=300) | st.text(max_size=300))
def test_any_frame_parses_or_is_a_value_error(raw: bytes | str) -> None:
    try:
        parse_message(raw)
    except ValueError:
        pass


@given(st.dictionaries(st.sampled_from(["apiName", "apiVersion", "messageType", "requestID", "data", "timestamp"]),
                       JSONISH, max_size=6))
def test_any_object_parses_or_is_a_value_error(body: dict) -> None:
    try:
        message = parse_message(json.dumps(body))
    except ValueError:
        return
    assert isinstance(message.data, dict) and message.message_type


@given(st.text(min_size=1, max_size=30), st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                                                  min_size=1, max_size=64),
       st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=10), max_size=4))
def test_an_encoded_request_parses_back(kind: str, request_id: str, data: dict) -> None:
    assert valid_request_id(request_id)
    message = parse_message(encode(kind, request_id, data))
    assert (message.message_type, message.request_id, message.data) == (kind, request_id, data)


@settings(max_examples=200)
@given(st.sampled_from(["InjectParameterDataRequest", "HotkeyTriggerRequest", "AuthenticationRequest",
                        "AuthenticationTokenRequest", "HotkeysInCurrentModelRequest", "APIStateRequest", "Other"]),
       st.dictionaries(st.sampled_from(["parameterValues", "mode", "hotkeyID", "pluginName", "pluginDeveloper",
                                        "authenticationToken", "faceFound"]), JSONISH, max_size=5))
def test_the_stand_in_answers_any_request_or_refuses_it_with_an_api_error(kind: str, data: dict) -> None:
    standin = VtsStandin()
    try:
        answer_type, answer = standin._answer(kind, data, {"authenticated": True})
    except VtsProblem as problem:
        assert 2 <= problem.error_id <= 999
    else:
        assert answer_type.endswith("Response") and isinstance(answer, dict)
