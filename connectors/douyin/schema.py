"""The webcast messages the Douyin connector reads, as protobuf field tables (:mod:`hub.protoschema`).

Field numbers are those of the community's reverse-engineered schema (checked against it by
tests/douyin/test_protocol.py when ../shared/protocol-samples is present); only the fields LiveHub reads
are named, the rest are skipped as unknown fields.
"""

from __future__ import annotations

from hub.protoschema import build

_COMMON = {"common": (1, "Common")}

SCHEMA = build("livehub_douyin", {
    "Common": {"method": (1, "string"), "msg_id": (2, "uint64"), "room_id": (3, "uint64"), "create_time": (4, "uint64")},
    "User": {"id": (1, "uint64"), "nickname": (3, "string")},
    "GiftStruct": {"combo": (10, "bool"), "diamond_count": (12, "uint32"), "name": (16, "string")},
    "ChatMessage": {**_COMMON, "user": (2, "User"), "content": (3, "string")},
    "GiftMessage": {**_COMMON, "gift_id": (2, "uint64"), "group_count": (4, "uint64"), "repeat_count": (5, "uint64"),
                    "combo_count": (6, "uint64"), "user": (7, "User"), "repeat_end": (9, "uint32"),
                    "gift": (15, "GiftStruct")},
    "LikeMessage": {**_COMMON, "count": (2, "uint64"), "total": (3, "uint64"), "user": (5, "User")},
    "MemberMessage": {**_COMMON, "user": (2, "User"), "action": (10, "uint64")},
    "SocialMessage": {**_COMMON, "user": (2, "User"), "action": (4, "uint64")},
    "RoomUserSeqMessage": {**_COMMON, "total": (3, "int64")},
    "ControlMessage": {**_COMMON, "status": (2, "int32")},
})
