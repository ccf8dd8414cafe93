"""The decoders against the community's schema (../shared/protocol-samples/tiktok/proto, MIT): every field
number the connector reads or writes is the schema's, and messages built from the schema's numbers decode
to the right hub events. Skipped where the samples folder is absent."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.tiktok.client import enter_room_message, heartbeat_message
from connectors.tiktok.mapping import STREAK_STEP, STREAM_ENDED, webcast_event
from hub.events import Comment, Enter, Follow, Gift, Like, RoomStats
from hub.protowire import Message, encode
from hub.pushframe import PushFrame, Response, WebcastMessage, decode_frame, parse_response

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "protocol-samples" / "tiktok" / "proto"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/protocol-samples/tiktok is absent")
FIELD = re.compile(r"^\s*(?:repeated\s+|optional\s+)?[\w.<>, ]+?\s+(\w+)\s*=\s*(\d+)\s*;")


def schema(file: str, name: str, kind: str = "message") -> dict[str, int]:
    """The fields (or enum values) declared directly in ``name``: {name: number}."""
    lines = (SAMPLES / file).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^\s*{kind}\s+{name}\s*\{{", line))
    out: dict[str, int] = {}
    depth = 0
    for line in lines[start:]:
        code = line.split("//", 1)[0]
        if depth == 1:
            if kind == "enum":
                found = re.match(r"^\s*(\w+)\s*=\s*(\d+)\s*;", code)
            else:
                found = FIELD.match(code)
            if found:
                out[found.group(1)] = int(found.group(2))
        depth += code.count("{") - code.count("}")
        if depth == 0 and "}" in code:
            break
    return out


def test_the_framing_the_connector_uses_is_the_schemas() -> None:
    frame = schema("synthetic.proto", "WebcastPushFrame")
    assert {k: frame[k] for k in ("seqId", "logId", "headers", "payloadEncoding", "payloadType", "payload")} == {
        "seqId": 1, "logId": 2, "headers": 5, "payloadEncoding": 6, "payloadType": 7, "payload": 8}
    fetch = schema("webcast.proto", "ProtoMessageFetchResult")
    assert (fetch["messages"], fetch["cursor"], fetch["internalExt"], fetch["wsParams"], fetch["heartBeatDuration"],
            fetch["needsAck"], fetch["wsUrl"], fetch["isFirst"]) == (1, 2, 5, 7, 8, 9, 10, 11)
    base = schema("webcast.proto", "BaseProtoMessage")
    assert (base["type"], base["payload"], base["msgId"]) == (1, 2, 3)
    # a fetch result built from the schema's numbers reads as the sign server's answer
    raw = encode([(fetch["messages"], [encode([(base["type"], "WebcastChatMessage"), (base["payload"], b""),
                                               (base["msgId"], 9)])]),
                  (fetch["cursor"], "c"), (fetch["internalExt"], "x"), (fetch["wsParams"], [encode([(1, "k"), (2, "v")])]),
                  (fetch["heartBeatDuration"], 10000), (fetch["needsAck"], True), (fetch["wsUrl"], "wss://p/")])
    result = parse_response(raw)
    assert (result.cursor, result.internal_ext, result.route_params, result.heartbeat_ms, result.need_ack,
            result.push_server, result.messages[0].msg_id) == ("c", "x", {"k": "v"}, 10000, True, "wss://p/", 9)


def test_what_the_client_sends_is_the_schemas() -> None:
    hb = schema("synthetic.proto", "HeartbeatMessage")
    beat = Message(heartbeat_message("7", 3))
    assert (beat.int(hb["roomId"]), beat.int(hb["sendPacketSeqId"])) == (7, 3)
    enter = schema("webcast.proto", "WebcastImEnterRoomMessage")
    entered = Message(enter_room_message("7", "c"))
    assert (entered.int(enter["room_id"]), entered.int(enter["live_id"]), entered.str(enter["identity"]),
            entered.str(enter["cursor"]), entered.str(enter["filter_welcome_msg"])) == (7, 12, "audience", "c", "0")
    assert decode_frame(PushFrame(payload_type="hb", payload=b"x").encode()).payload_type == "hb"
    assert Response().encode() == b"\x12\x00\x2a\x00"  # cursor and internal_ext, empty


def _user(number: int, nickname: str) -> bytes:
    user = schema("data.proto", "User")
    return encode([(user["userId"], number), (user["nickname"], nickname), (user["uniqueId"], "handle"),
                   (user["secUid"], "MS4w")])


def _common(msg_id: int) -> bytes:
    common = schema("data.proto", "CommonMessageData")
    return encode([(common["method"], "x"), (common["msgId"], msg_id), (common["createTime"], 1_700_000_000_000)])


def _decode(method: str, fields: list[tuple[int, object]], msg_id: int = 0) -> object:
    return webcast_event(WebcastMessage(method=method, payload=encode(fields), msg_id=msg_id), Decimal("0.05"))


def test_messages_built_from_the_schema_decode_to_hub_events() -> None:
    chat = schema("webcast.proto", "WebcastChatMessage")
    event = _decode("WebcastChatMessage", [(chat["common"], _common(11)), (chat["user"], _user(5, "Ann")),
                                           (chat["comment"], "how much?")])
    assert isinstance(event, Comment) and (event.text, event.user.id, event.user.name, event.message_id,
                                           event.platform_ts) == ("how much?", "5", "Ann", "11", 1_700_000_000.0)

    gift, details = schema("webcast.proto", "WebcastGiftMessage"), schema("data.proto", "Gift")
    body = encode([(details["combo"], True), (details["giftType"], 1), (details["diamondCount"], 10),
                   (details["giftName"], "Rose")])
    step = [(gift["common"], _common(12)), (gift["giftId"], 5655), (gift["user"], _user(5, "Ann")),
            (gift["repeatCount"], 2), (gift["repeatEnd"], 0), (gift["giftDetails"], body)]
    assert _decode("WebcastGiftMessage", step) == STREAK_STEP
    end = _decode("WebcastGiftMessage", [*step[:3], (gift["repeatCount"], 3), (gift["repeatEnd"], 1),
                                         (gift["giftDetails"], body)])
    assert isinstance(end, Gift) and (end.gift, end.count, end.value, end.value_cny) == ("Rose", 3, 30, Decimal("1.5"))

    like = schema("webcast.proto", "WebcastLikeMessage")
    event = _decode("WebcastLikeMessage", [(like["likeCount"], 15), (like["totalLikeCount"], 99),
                                           (like["user"], _user(5, "Ann"))], msg_id=13)
    assert isinstance(event, Like) and (event.count, event.message_id) == (15, "13")

    member, actions = schema("webcast.proto", "WebcastMemberMessage"), schema("enums.proto", "MemberMessageAction", "enum")
    joined = _decode("WebcastMemberMessage", [(member["user"], _user(5, "Ann")), (member["action"], actions["JOINED"])])
    assert isinstance(joined, Enter)
    assert _decode("WebcastMemberMessage", [(member["action"], actions["SUBSCRIBED"])]) is None

    social = schema("webcast.proto", "WebcastSocialMessage")
    assert isinstance(_decode("WebcastSocialMessage", [(social["user"], _user(5, "Ann")), (social["action"], 1)]),
                      Follow)

    seq = schema("webcast.proto", "WebcastRoomUserSeqMessage")
    stats = _decode("WebcastRoomUserSeqMessage", [(seq["viewerCount"], 321), (seq["totalUser"], 999)])
    assert isinstance(stats, RoomStats) and stats.viewers == 321

    control, codes = schema("webcast.proto", "WebcastControlMessage"), schema("enums.proto", "ControlAction", "enum")
    assert _decode("WebcastControlMessage", [(control["action"], codes["CONTROL_ACTION_STREAM_ENDED"])]) == STREAM_ENDED
    assert _decode("WebcastControlMessage", [(control["action"], codes["CONTROL_ACTION_STREAM_PAUSED"])]) is None
