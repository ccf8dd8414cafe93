"""The YouTube wire formats: mapping of every message type, the REST JSON read into the official proto, the
quota budget's day and pace, the stand-in's page tokens, and conformance with the real samples and Google's
discovery document in ../shared/protocol-samples/youtube (skipped when absent)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.youtube import stream_list_pb2 as pb
from connectors.youtube.client import FormatError, api_error, parse_list_response
from connectors.youtube.client import QuotaExceeded as QuotaError
from connectors.youtube.client import RateLimited as RateError
from connectors.youtube.mapping import (
    BANNED,
    DELETED,
    ENDED,
    TYPE_NAMES,
    ItemError,
    message_event,
    message_from_json,
)
from connectors.youtube.quota import PACIFIC, QuotaBudget, day_of, next_reset
from connectors.youtube.standin_data import ChatLog, encode_event, to_json
from hub.events import Comment, Follow, Gift, to_dict
from hub.testing import make_event

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "protocol-samples" / "youtube"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/protocol-samples/youtube is absent")


def roundtrip(event: object) -> object:
    """Encode as the stand-in does, through JSON as the list API sends it, and map back."""
    message = encode_event(event, "chat-1", 1_700_000_000.0)  # type: ignore[arg-type]
    via_json, kind = message_from_json(json.loads(json.dumps(to_json(message))))
    assert kind == TYPE_NAMES[message.snippet.type]
    from_stream = message_event(pb.LiveChatMessage.FromString(message.SerializeToString()))
    assert _fields(message_event(via_json)) == _fields(from_stream)  # both transports map alike
    return from_stream


def _fields(event: object) -> dict:
    return {k: v for k, v in to_dict(event).items() if k not in ("id", "received_ts")}  # type: ignore[arg-type]


def test_super_chats_and_stickers_are_paid_comments_with_exact_amounts() -> None:
    user = {"id": "UCa", "name": "Ann"}
    chat = roundtrip(make_event("comment", platform="youtube", user=user, message_id="m1", text="love it", paid=True,
                                amount="1.75", currency="JPY"))
    assert isinstance(chat, Comment) and chat.paid and chat.amount == Decimal("1.75") and chat.currency == "JPY"
    assert chat.text == "love it" and chat.user.id == "UCa" and chat.user.name == "Ann" and chat.message_id == "m1"
    sticker = roundtrip(make_event("comment", platform="youtube", user=user, message_id="m2", text="", paid=True,
                                   amount="100", currency="USD"))
    assert isinstance(sticker, Comment) and sticker.paid and sticker.amount == Decimal(100) and sticker.text


def test_memberships_are_follows_and_gifted_memberships_are_gifts_without_a_price() -> None:
    user = {"id": "UCb", "name": "Bo"}
    follow = roundtrip(make_event("follow", platform="youtube", user=user, message_id="m3"))
    assert isinstance(follow, Follow) and follow.user.id == "UCb"
    gift = roundtrip(make_event("gift", platform="youtube", user=user, message_id="m4", gift="membership:Gold", count=5))
    assert isinstance(gift, Gift) and (gift.gift, gift.count, gift.value, gift.value_cny) == ("membership:Gold", 5, None, None)


def test_deletions_bans_and_the_end_are_markers_and_unknown_types_map_to_nothing() -> None:
    for kind, marker in (("messageDeletedEvent", DELETED), ("userBannedEvent", BANNED), ("chatEndedEvent", ENDED)):
        message, _ = message_from_json({"id": "x", "snippet": {"type": kind}})
        assert message_event(message) == marker
    for kind in ("tombstone", "pollEvent", "giftEvent", "somethingNew2030"):
        message, name = message_from_json({"id": "y", "snippet": {"type": kind, "pollDetails": {"odd": [1]}}})
        assert message_event(message) is None and name == kind
    with pytest.raises(ItemError):
        message_event(message_from_json({"snippet": {"type": "textMessageEvent"}})[0])  # no id
    with pytest.raises(ItemError):
        message_from_json({"id": "z", "snippet": {"type": "superChatEvent", "superChatDetails": {"amountMicros": "x"}}})


def test_the_quota_day_starts_at_midnight_pacific_and_the_budget_slows_reading_then_stops_chat() -> None:
    summer = datetime(2026, 7, 1, 23, 59, tzinfo=PACIFIC).timestamp()
    assert next_reset(summer) - summer == 60 and str(day_of(summer + 61)) == "2026-07-02"
    winter = datetime(2026, 12, 3, 0, 0, tzinfo=PACIFIC).timestamp()  # 08:00 UTC in winter
    assert datetime.utcfromtimestamp(winter).hour == 8
    now = [winter]
    budget = QuotaBudget(10_000, chat_units=2_000, slow_from=0.5, wall=lambda: now[0])
    assert budget.read_delay(3.0) == 3.0 and budget.can_post() and budget.read_left == 8_000
    for _ in range(799):
        budget.spend("list")
    assert not budget.slowed and not budget.warned
    budget.spend("list")  # half of reading's 8,000 units
    assert budget.used == 4_000 and budget.slowed and budget.warned
    assert budget.read_delay(3.0) == pytest.approx(86_400 * 5 / 4_000)  # the rest lasts until the reset
    while budget.can_post():
        budget.spend("insert")
    assert budget.calls["insert"] == 100 and budget.read_left == 4_000  # chat spent its own share only
    assert budget.read_delay(3.0) == pytest.approx(86_400 * 5 / 4_000)
    budget.exhausted()
    assert budget.left == 0 and budget.read_delay(3.0) > 86_000  # nothing left: wait for the reset
    now[0] += 86_400
    assert budget.used == 0 and budget.can_post() and not budget.slowed  # a new day
    assert budget.status()["chat_left"] == 2_000


def test_page_tokens_resume_exactly_and_foreign_tokens_are_refused() -> None:
    log = ChatLog("chat-1", "video-1")
    for n in range(5):
        log.add(encode_event(make_event("comment", platform="youtube", text=str(n), message_id=f"m{n}"), "chat-1", 0.0))
    assert log.offset(log.token(3)) == 3 and log.offset(log.token(5)) == 5
    assert log.offset(ChatLog("chat-2", "v").token(3)) is None and log.offset("garbage") is None
    assert log.offset(log.token(9)) is None  # past the end


def test_error_envelopes_become_typed_errors() -> None:
    quota = {"error": {"code": 403, "message": "over", "errors": [{"domain": "youtube.quota", "reason": "quotaExceeded"}]}}
    assert isinstance(api_error(403, quota), QuotaError)
    assert isinstance(api_error(403, {"error": {"errors": [{"reason": "rateLimitExceeded"}]}}), RateError)
    assert api_error(502, "<html>").status == 502
    with pytest.raises(FormatError):
        parse_list_response({"items": [], "pollingIntervalMillis": 1000})  # no nextPageToken


@needs_samples
def test_the_real_list_response_yields_one_comment() -> None:
    body = json.loads((SAMPLES / "liveChatMessages.list.response.real-2018.json").read_text())
    page = parse_list_response(body)
    assert page.polling_ms == 3000 and page.next_page_token == "GMaApprK59sCIJys1p7K59sC"
    message, kind = message_from_json(page.items[0])
    event = message_event(message)
    assert kind == "textMessageEvent" and isinstance(event, Comment)
    assert (event.user.id, event.user.name, event.text) == ("UCQIdF_YQKMb-19Ho8o5Wbxg", "wondible", "hi")
    assert event.message_id.startswith("LCC.") and event.platform_ts == pytest.approx(1529681111.777)
    broadcasts = json.loads((SAMPLES / "liveBroadcasts.list.response.real-2018.json").read_text())
    assert broadcasts["items"][0]["snippet"]["liveChatId"] == "EiEKGFVDUUlkRl9ZUUtNYi0xOUhvOG81V2J4ZxIFL2xpdmU"


@needs_samples
def test_types_and_fields_match_googles_discovery_document() -> None:
    doc = json.loads((SAMPLES / "youtube.v3.discovery.full.json").read_text())
    schemas = doc["schemas"]
    enum = set(schemas["LiveChatMessageSnippet"]["properties"]["type"]["enum"])
    assert set(TYPE_NAMES.values()) <= enum  # every type of the proto has its REST name
    snippet = schemas["LiveChatMessageSnippet"]["properties"]
    for key in ("textMessageDetails", "superChatDetails", "superStickerDetails", "newSponsorDetails",
                "membershipGiftingDetails", "memberMilestoneChatDetails", "messageDeletedDetails", "userBannedDetails"):
        assert key in snippet, key
    assert {"amountMicros", "currency", "userComment", "tier"} <= set(schemas["LiveChatSuperChatDetails"]["properties"])
    assert schemas["LiveChatSuperChatDetails"]["properties"]["amountMicros"]["format"] == "uint64"
    assert {"nextPageToken", "pollingIntervalMillis", "offlineAt", "items"} <= set(
        schemas["LiveChatMessageListResponse"]["properties"])
    methods = doc["resources"]["liveChatMessages"]["methods"]
    assert methods["list"]["path"] == "youtube/v3/liveChat/messages" and methods["insert"]["httpMethod"] == "POST"
    assert {"liveChatId", "part", "pageToken", "maxResults"} <= set(methods["list"]["parameters"])
    assert (methods["list"]["parameters"]["maxResults"]["minimum"], methods["list"]["parameters"]["maxResults"]["maximum"]) \
        == ("200", "2000")


def test_the_proto_has_the_documented_field_numbers() -> None:
    fields = lambda cls: {f.name: f.number for f in cls.DESCRIPTOR.fields}  # noqa: E731
    assert fields(pb.LiveChatMessageListRequest) == {"live_chat_id": 1, "hl": 2, "profile_image_size": 3,
                                                     "max_results": 98, "page_token": 99, "part": 100}
    response = fields(pb.LiveChatMessageListResponse)
    assert (response["next_page_token"], response["items"], response["offline_at"]) == (100602, 1007, 2)
    assert fields(pb.LiveChatMessageAuthorDetails)["channel_id"] == 10101
    assert fields(pb.LiveChatMessageSnippet)["super_chat_details"] == 27


async def test_the_decode_benchmark_runs_on_the_stand_ins_frames() -> None:
    from bench.youtube_decode import build_frames, decode_all, run

    frames = build_frames(100)
    assert len(frames) == 5 and decode_all(frames) == 100  # every message of the mix maps to a hub event
    figures = await run(400, repeats=1)
    assert figures["value"] > 0 and figures["messages"] == 400 and figures["frames"] == 20
