"""The TikTok LIVE webcast messages the connector reads, as protobuf field tables (:mod:`hub.protoschema`),
parsed by the ``protobuf`` library's C core.

Field numbers and types are those of the community's reverse-engineered schema (TikTok-Live-Connector's
``webcast.proto`` and ``data.proto``, MIT; checked against it by tests/tiktok/test_conformance.py when
../shared/protocol-samples is present). Only the fields LiveHub reads are named; the others (images,
badges, effects...) are skipped as unknown fields.
"""

from __future__ import annotations

from hub.protoschema import build

_COMMON = {"common": (1, "CommonMessageData")}

SCHEMA = build("livehub_tiktok", {
    "CommonMessageData": {"method": (1, "string"), "msg_id": (2, "int64"), "room_id": (3, "int64"),
                          "create_time": (4, "int64")},
    "User": {"user_id": (1, "int64"), "nickname": (3, "string"), "unique_id": (38, "string"),
             "sec_uid": (46, "string")},
    "Gift": {"id": (5, "int64"), "combo": (10, "bool"), "gift_type": (11, "int32"), "diamond_count": (12, "int32"),
             "gift_name": (16, "string")},
    "WebcastChatMessage": {**_COMMON, "user": (2, "User"), "comment": (3, "string")},
    "WebcastGiftMessage": {**_COMMON, "gift_id": (2, "int32"), "group_count": (4, "int32"),
                           "repeat_count": (5, "int32"), "combo_count": (6, "int32"), "user": (7, "User"),
                           "repeat_end": (9, "int32"), "group_id": (11, "uint64"), "gift_details": (15, "Gift")},
    "WebcastLikeMessage": {**_COMMON, "like_count": (2, "int32"), "total_like_count": (3, "int32"),
                           "user": (5, "User")},
    "WebcastMemberMessage": {**_COMMON, "user": (2, "User"), "member_count": (3, "int32"), "action": (10, "int32")},
    "WebcastSocialMessage": {**_COMMON, "user": (2, "User"), "action": (4, "int64")},
    "WebcastRoomUserSeqMessage": {**_COMMON, "viewer_count": (3, "int32"), "total_user": (7, "int32")},
    "WebcastControlMessage": {**_COMMON, "action": (2, "int32"), "tips": (3, "string")},
})
