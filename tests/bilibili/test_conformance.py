"""The decoders against real Bilibili material in ../shared/protocol-samples/bilibili (read in place,
never copied; skipped when absent): packets, commands and the values the samples' README gives."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.bilibili.client import (
    OP_AUTH,
    OP_AUTH_REPLY,
    OP_COMMAND,
    OP_HEARTBEAT_REPLY,
    command,
    popularity,
    split,
    unpack,
)
from connectors.bilibili.mapping import REENTER, to_events
from tests.bilibili.helpers import SAMPLES

WEB, OPEN = SAMPLES / "web_examples", SAMPLES / "open_live_examples"
pytestmark = pytest.mark.skipif(not WEB.is_dir(), reason="../shared/protocol-samples/bilibili is not there")


def events_of(path: Path) -> list:
    raw = path.read_bytes()
    cmd, obj = command(raw)
    out = to_events(cmd, obj, raw)
    assert isinstance(out, list)
    return out


def test_packets() -> None:
    auth = unpack((WEB / "AUTH.1.bin").read_bytes())
    assert [(p.op, p.ver, p.seq) for p in auth] == [(OP_AUTH, 1, 1)]
    body = json.loads(auth[0].body)
    assert (body["uid"], body["roomid"], body["protover"], body["platform"], body["type"]) == (160148624, 22608112, 3, "web", 2)
    reply = unpack((WEB / "AUTH_REPLY.1.bin").read_bytes())
    assert reply[0].op == OP_AUTH_REPLY and json.loads(reply[0].body) == {"code": 0}
    data = (WEB / "HEARTBEAT_REPLY.1.bin").read_bytes()
    packets, trailing = split(data)  # the length says 20, 35 bytes are there: the echo is not covered
    assert packets[0].op == OP_HEARTBEAT_REPLY and popularity(packets[0].body) == 2466 and trailing == 15
    inner = unpack((WEB / "NORMAL_PACKET_brotli.1.bin").read_bytes())
    assert [(p.op, p.ver, len(p.body) + 16) for p in inner] == [(OP_COMMAND, 0, 114)]
    cmd, obj = command(inner[0].body)
    assert cmd == "WATCHED_CHANGE" and obj["data"]["num"] == 22097
    assert [e.viewers for e in to_events(cmd, obj, inner[0].body)] == [22097]


def test_web_commands() -> None:
    (c,) = events_of(WEB / "DANMU_MSG.2.comments-stripped.json")
    assert (c.text, c.user.id, c.user.name, c.platform_ts) == ("白花300块[热]", "6088969", "tim1997", 1723979200.649)
    assert c.message_id == "364b06e3c561af3d5921f1253d66c1d575"
    (g,) = events_of(WEB / "SEND_GIFT.1.json")
    assert (g.user.id, g.user.name, g.gift, g.count, g.value, g.value_cny) == (
        "510149209", "12138额83121", "小花花", 1, Decimal(100), Decimal("0.1"))
    (guard,) = events_of(WEB / "GUARD_BUY.1.json")
    assert (guard.gift, guard.value, guard.value_cny) == ("舰长", Decimal(198000), Decimal(198))
    (sc,) = events_of(WEB / "SUPER_CHAT_MESSAGE.1.json")
    assert (sc.paid, sc.amount, sc.currency, sc.user.id, sc.user.name, sc.message_id) == (
        True, Decimal(30), "CNY", "294094150", "界原虚", "sc:6522809")
    assert sc.text == "猪播完美预测自己第一个死，这就是鹅鸭杀高玩吗"
    (enter,) = events_of(WEB / "INTERACT_WORD.1.json")
    assert (enter.type, enter.user.id, enter.user.name) == ("enter", "335979315", "TIM_Init")
    (enter2,) = events_of(WEB / "INTERACT_WORD_V2.1.json")  # the protobuf variant
    assert (enter2.type, enter2.user.id, enter2.user.name) == ("enter", "439367700", "StarSea246")
    (like,) = events_of(WEB / "LIKE_INFO_V3_CLICK.1.json")
    assert (like.type, like.user.id, like.user.name, like.count) == ("like", "32174213", "MeiDngS", 1)
    (stats,) = events_of(WEB / "ONLINE_RANK_COUNT.1.json")
    assert stats.viewers == 1084
    assert [e.state for e in events_of(WEB / "LIVE.1.json")] == ["live"]
    assert [e.state for e in events_of(WEB / "PREPARING.1.json")] == ["preparing"]
    raw = (WEB / "REENTER_LIVE_ROOM.1.json").read_bytes()
    assert to_events(*command(raw), raw) == REENTER


def test_every_other_sample_is_decoded_or_counted_never_an_error() -> None:
    for path in sorted(WEB.glob("*.json")):
        raw = path.read_bytes()
        try:
            cmd, obj = command(raw)
        except ValueError:
            continue  # the key endpoint's answer, not a command
        to_events(cmd, obj, raw)  # None (unknown: counted by the connector) or events; never a crash


def test_open_platform_commands() -> None:
    (dm,) = events_of(OPEN / "LIVE_OPEN_PLATFORM_DM.real-2022.json")
    assert (dm.text, dm.user.id, dm.user.name, dm.message_id, dm.platform_ts) == (
        "你们谁扔个小心心呗", "3102384", "猫裙少年泽远喵", "eb805544-0cf2-4688-bca1-88299e5344bf", 1650717881.0)
    (gift,) = events_of(OPEN / "LIVE_OPEN_PLATFORM_SEND_GIFT.real-2022.json")
    assert (gift.gift, gift.count, gift.value_cny, gift.user.id) == ("小心心", 1, Decimal(0), "114439178")
    (guard,) = events_of(OPEN / "LIVE_OPEN_PLATFORM_GUARD.real-2022.json")
    assert (guard.gift, guard.count, guard.user.id) == ("舰长", 1, "616066")
    (sc,) = events_of(OPEN / "LIVE_OPEN_PLATFORM_SUPER_CHAT.real-2022.json")
    assert (sc.text, sc.paid, sc.amount, sc.user.id) == ("进行一个鱼的摸", True, Decimal(30), "1270482")
    start = json.loads((OPEN / "v2_app_start.response.real-2022.json").read_text())["data"]
    assert isinstance(start["websocket_info"]["auth_body"], str)  # sent verbatim as the auth packet's body
