"""Decoders against Twitch's real payloads (../shared/protocol-samples/twitch, skipped when absent) and the
stand-in's encoder round trip."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.twitch.client import Frame, parse_frame, parse_timestamp
from connectors.twitch.mapping import condition, notification_event
from connectors.twitch.standin_encode import notification
from hub.events import Comment, Enter, Follow, Gift, LiveState
from hub.testing import make_event

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "protocol-samples" / "twitch"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="protocol samples not present")


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def as_frame(payload: dict, message_id: str = "m-1") -> Frame:
    """A payload-only sample (``{subscription, event}``) wrapped as the notification frame it came in."""
    sub = payload["subscription"]
    return parse_frame(json.dumps({"metadata": {
        "message_id": message_id, "message_type": "notification", "message_timestamp": "2023-11-06T18:11:47.492253549Z",
        "subscription_type": sub["type"], "subscription_version": sub["version"]}, "payload": payload}))


@needs_samples
def test_session_frames_of_real_captures() -> None:
    welcome = parse_frame(json.dumps(sample("eventsub_ws/eventsub_event_websocket.welcome.1.json")))
    assert (welcome.message_type, welcome.session["id"], welcome.session["keepalive_timeout_seconds"]) == (
        "session_welcome", "AQoQILE98gtqShGmLD7AM6yJThAB", 10)
    assert welcome.session["status"] == "connected" and welcome.session["reconnect_url"] is None
    assert parse_timestamp(welcome.timestamp) == pytest.approx(1666191411.634234626, abs=1e-6)
    keepalive = parse_frame(json.dumps(sample("eventsub_ws/eventsub_event_websocket.keepalive.2.json")))
    assert (keepalive.message_type, keepalive.message_id, keepalive.payload) == (
        "session_keepalive", "8d8e0935-0e0c-479a-8fa2-ad4c02cef742", {})
    reconnect = parse_frame(json.dumps(sample("eventsub_ws/eventsub_event_websocket.reconnect.4.json")))
    assert reconnect.session["status"] == "reconnecting"
    assert reconnect.session["reconnect_url"].startswith("wss://eventsub.wss.twitch.tv")
    revocation = parse_frame(json.dumps(sample("eventsub_ws/eventsub_event_websocket.revocation.5.json")))
    assert revocation.subscription["status"] == "authorization_revoked"


@needs_samples
def test_notifications_of_real_payloads_become_hub_events() -> None:
    follow = notification_event(parse_frame(json.dumps(sample("eventsub_ws/eventsub_event_websocket.notification.3.json"))))
    assert isinstance(follow, Follow) and follow.user.id == "1337" and follow.user.name == "Awesome_User"
    assert follow.message_id == "befa7b53-d79d-478f-86b9-120f112b044e"
    chat = notification_event(as_frame(sample("eventsub_ws/eventsub_channel_chat_message.parse_payload.1.json")))
    assert isinstance(chat, Comment) and (chat.user.id, chat.user.name, chat.text) == ("4145994", "viewer32", "Hi chat")
    assert chat.message_id == "cc106a89-1814-919d-454c-f4f2f970aae7" and not chat.paid
    shared = notification_event(as_frame(sample("eventsub_ws/eventsub_channel_chat_message.parse_payload_shared.2.json")))
    assert isinstance(shared, Comment) and shared.text == "Hi chat"
    cheer = notification_event(as_frame(sample("eventsub_ws/eventsub_channel_cheer.parse_payload.1.json")),
                               Decimal("0.07"))
    assert isinstance(cheer, Gift) and (cheer.user.id, cheer.gift, cheer.count) == ("1234", "bits", 1000)
    assert cheer.value == Decimal(1000) and cheer.value_cny == Decimal("70.00")
    assert notification_event(as_frame(sample("eventsub_ws/eventsub_channel_cheer.parse_payload.1.json"))).value_cny is None
    for name in sorted((SAMPLES / "eventsub_ws").glob("eventsub_channel_chat_notification.*.json")):
        assert notification_event(as_frame(json.loads(name.read_text()))) is None  # not subscribed: counted


@needs_samples
def test_the_helix_chat_answers() -> None:
    from connectors.twitch.helix import ChatDropped

    body = sample("helix/helix_endpoints_chat_send_chat_message.test_success.1.json")
    assert set(body) == {"broadcaster_id", "sender_id", "message"}
    reject = sample("helix/helix_endpoints_chat_send_chat_message.test_reject.3.json")["data"][0]
    assert reject["is_sent"] is False and reject["drop_reason"]["code"] == "msg_rejected"
    assert str(ChatDropped("msg_rejected", reject["drop_reason"]["message"])).startswith("msg_rejected: ")


def test_timestamps_with_nanoseconds_and_bad_ones() -> None:
    assert parse_timestamp("2019-11-16T10:11:12.123Z") == pytest.approx(1573899072.123)
    assert parse_timestamp("2020-07-15T18:16:11.17106713Z") == pytest.approx(1594836971.17106713, abs=1e-6)
    assert parse_timestamp("2020-07-15T18:16:11Z") == 1594836971.0
    for bad in ("", "yesterday", "2020-13-45T00:00:00Z", "2020-07-15T18:16:11.Z", None, 5):
        assert parse_timestamp(bad) is None


@pytest.mark.parametrize(("kind", "fields", "expected"), [
    ("comment", {"text": "多少钱"}, Comment), ("comment", {"text": "cheer", "paid": True, "amount": "50"}, Comment),
    ("gift", {"gift": "bits", "count": 1, "value": "100"}, Gift), ("gift", {"gift": "sub:2000"}, Gift),
    ("gift", {"gift": "gift_sub:1000", "count": 5}, Gift), ("gift", {"gift": "resub:1000", "count": 3}, Gift),
    ("follow", {}, Follow), ("enter", {}, Enter), ("live_state", {"state": "live"}, LiveState),
    ("live_state", {"state": "ended"}, LiveState)])
def test_the_stand_in_encoder_round_trips(kind: str, fields: dict, expected: type) -> None:
    source = make_event(kind, platform="twitch", room="12826", message_id="id-1",
                        user={"id": "42", "name": "Kim"}, **fields)
    note = notification(source, {"broadcaster_user_id": "12826", "broadcaster_user_login": "s",
                                 "broadcaster_user_name": "S"})
    event = notification_event(parse_frame(note.frame({"type": note.type, "version": "1"})))
    assert isinstance(event, expected) and event.message_id == "id-1"
    if kind != "live_state":
        assert event.user.id == "42"
    for name in ("text", "paid", "amount", "gift", "count", "state"):
        if name in fields and name != "count" or (name == "count" and kind == "gift" and "sub" in fields["gift"]):
            assert str(getattr(event, name)) == str(getattr(source, name))


def test_likes_and_stats_are_refused_and_conditions_name_the_reader() -> None:
    for kind, fields in (("like", {"count": 3}), ("stats", {"viewers": 9})):
        with pytest.raises(ValueError, match="no"):
            notification(make_event(kind, platform="twitch", **fields), {})
    assert condition("channel.chat.message", "1", "2") == {"broadcaster_user_id": "1", "user_id": "2"}
    assert condition("channel.follow", "1", "2") == {"broadcaster_user_id": "1", "moderator_user_id": "2"}
    assert condition("channel.raid", "1", "2") == {"to_broadcaster_user_id": "1"}
