"""Douyin's wire rules, without a hub: the push signature (the official examples), the webcast framing,
the mapping of each message, and conformance with the community schema in ../shared/protocol-samples."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.douyin.client import push_signature, verify_push
from connectors.douyin.mapping import ROOM_ENDED, open_platform_event, webcast_event
from connectors.douyin.standin_encode import gift_streak, open_platform_item, room_end, webcast_message
from hub.events import Comment, Enter, Follow, Gift, Like, RoomStats
from hub.pushframe import Response, ack_frame, decode_frame, decode_response, heartbeat_frame, msg_frame
from hub.testing import make_event

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "protocol-samples" / "douyin"


def test_the_signature_of_the_official_example() -> None:
    headers = {"x-nonce-str": "123456", "x-timestamp": "456789", "x-roomid": "268", "x-msg-type": "live_gift"}
    body = "abc123你好".encode()
    assert push_signature(headers, body, "123abc") == "PDcKhdlsrKEJif6uMKD2dw=="
    assert verify_push({**headers, "x-signature": "PDcKhdlsrKEJif6uMKD2dw=="}, body, "123abc")
    assert not verify_push({**headers, "x-signature": "PDcKhdlsrKEJif6uMKD2dw=="}, body + b" ", "123abc")
    assert not verify_push({**headers, "x-signature": "PDcKhdlsrKEJif6uMKD2dw"}, body, "123abc")
    assert not verify_push(headers, body, "123abc")  # no signature at all
    # content-type and the signature itself are not signed; header names in any case
    loud = {k.upper(): v for k, v in headers.items()}
    assert push_signature({**loud, "content-type": "application/json"}, body, "123abc") == "PDcKhdlsrKEJif6uMKD2dw=="


def test_the_signature_vector_of_the_recorded_docs() -> None:
    path = SAMPLES / "open_platform" / "signature_test_vector.json"
    if not path.exists():
        pytest.skip("../shared/protocol-samples is not here")
    vector = json.loads(path.read_text(encoding="utf-8"))
    assert push_signature(vector["headers"], vector["body"].encode(), vector["secret"]) == vector["x-signature"]


def test_frames_round_trip_gzip_acks_and_heartbeats() -> None:
    message = webcast_message(make_event("comment", platform="douyin", room="7001", text="包邮吗", message_id="77",
                                         user={"id": "9", "name": "阿花"})).message
    data = msg_frame(Response(messages=[message], cursor="t-1", internal_ext="ie", need_ack=True), log_id=41)
    frame = decode_frame(data)
    assert frame.payload_type == "msg" and frame.log_id == 41 and frame.headers == {"compress_type": "gzip"}
    response = decode_response(frame)
    assert (response.cursor, response.internal_ext, response.need_ack) == ("t-1", "ie", True)
    event = webcast_event(response.messages[0])
    assert isinstance(event, Comment) and (event.text, event.user.id, event.user.name, event.message_id) == (
        "包邮吗", "9", "阿花", "77")
    ack = decode_frame(ack_frame(41, "ie"))
    assert (ack.payload_type, ack.log_id, ack.payload) == ("ack", 41, b"ie")
    assert decode_frame(heartbeat_frame()).payload_type == "hb"


def test_every_webcast_message_maps_to_its_event() -> None:
    user = {"id": "12", "name": "小周"}

    def one(kind: str, **fields: object) -> object:
        return webcast_event(webcast_message(make_event(kind, platform="douyin", room="7001", message_id="5",
                                                        user=user, **fields)).message)

    assert isinstance(one("like", count=7), Like) and one("like", count=7).count == 7
    assert isinstance(one("enter"), Enter) and isinstance(one("follow"), Follow)
    stats = one("stats", viewers=321)
    assert isinstance(stats, RoomStats) and stats.viewers == 321
    streak = gift_streak(make_event("gift", platform="douyin", room="7001", gift="玫瑰", count=3, value="30",
                                    message_id="8", user=user))
    events = [webcast_event(item.message) for item in streak]
    assert events[:2] == [None, None]  # the streak goes on: nothing yet
    assert isinstance(events[2], Gift) and (events[2].count, events[2].value, events[2].value_cny) == (
        3, Decimal(30), Decimal(3))
    ended = room_end(make_event("live_state", platform="douyin", room="7001", state="ended"))
    assert webcast_event(ended[0].message) == ROOM_ENDED


def test_open_platform_items_map_and_bad_ones_are_named() -> None:
    gift = open_platform_item(make_event("gift", platform="douyin", room="7001", gift="g1", count=2, value="520",
                                         message_id="m1", user={"id": "u", "name": "N"}))
    event = open_platform_event(gift.msg_type, gift.body)
    assert isinstance(event, Gift) and (event.value, event.value_cny, event.count) == (Decimal(520), Decimal("5.2"), 2)
    with pytest.raises(ValueError, match="msg_id"):
        open_platform_event("live_comment", {"content": "hi"})
    with pytest.raises(ValueError, match="content"):
        open_platform_event("live_comment", {"msg_id": "x"})
    assert open_platform_event("live_fansclub", {"msg_id": "x"}) is None
    # a negative or absurd value is not a value
    assert open_platform_event("live_gift", {"msg_id": "x", "gift_value": -5}).value is None


# -- conformance with the community schema (read, never copied) -------------------------------------------

USED = {  # message: {field: number} that the decoder and the stand-in rely on
    "PushFrame": {"seqId": 1, "logId": 2, "headersList": 5, "payloadEncoding": 6, "payloadType": 7, "payload": 8},
    "Response": {"messagesList": 1, "cursor": 2, "internalExt": 5, "routeParams": 7, "heartbeatDuration": 8,
                 "needAck": 9, "pushServer": 10},
    "Message": {"method": 1, "payload": 2, "msgId": 3, "msgType": 4, "offset": 5},
    "Common": {"method": 1, "msgId": 2, "roomId": 3, "createTime": 4},
    "User": {"id": 1, "nickName": 3},
    "ChatMessage": {"common": 1, "user": 2, "content": 3},
    "GiftMessage": {"common": 1, "giftId": 2, "groupCount": 4, "repeatCount": 5, "comboCount": 6, "user": 7,
                    "repeatEnd": 9, "gift": 15},
    "GiftStruct": {"combo": 10, "diamondCount": 12, "name": 16},
    "LikeMessage": {"count": 2, "total": 3, "user": 5},
    "MemberMessage": {"user": 2, "action": 10},
    "SocialMessage": {"user": 2, "action": 4},
    "RoomUserSeqMessage": {"total": 3},
    "ControlMessage": {"status": 2},
}


def proto_fields(text: str, message: str) -> dict[str, int]:
    found = re.search(rf"^message {message}\s*{{(.*?)^}}", text, re.S | re.M)
    assert found, f"no message {message} in the schema"
    return {name: int(number) for name, number in
            re.findall(r"^\s*(?:repeated\s+)?[\w.<>, ]+?\s+(\w+)\s*=\s*(\d+);", found.group(1), re.M)}


def test_field_numbers_agree_with_the_community_schema() -> None:
    path = SAMPLES / "douyin.proto"
    if not path.exists():
        pytest.skip("../shared/protocol-samples is not here")
    text = path.read_text(encoding="utf-8")
    for message, fields in USED.items():
        schema = proto_fields(text, message)
        for name, number in fields.items():
            assert schema.get(name) == number, f"{message}.{name}: schema {schema.get(name)}, ours {number}"
