"""Property-based fuzzing of the event decoder: outside JSON either decodes or fails with EventFormatError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.events import EVENT_TYPES, EventFormatError, from_dict, to_dict

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
field_names = st.sampled_from(["platform", "room", "user", "message_id", "platform_ts", "text", "gift", "count",
                               "value", "order_id", "sku", "qty", "amount", "viewers", "answers", "askers",
                               "kind", "channel", "reply", "index", "output", "state", "connector", "id"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from([*EVENT_TYPES, "nope"]) | json_values,
       fields=st.dictionaries(field_names | st.text(max_size=8), json_values, max_size=8))
def test_any_json_object_decodes_or_names_what_is_wrong(kind, fields):
    data = {**fields, "type": kind}
    try:
        event = from_dict(data)
    except EventFormatError as exc:
        assert str(exc)
        return
    # whatever decoded re-encodes and decodes to the same event
    assert from_dict(to_dict(event)) == event
