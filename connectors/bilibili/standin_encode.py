"""The stand-in's encoder: hub events → Bilibili commands (web and open platform) → WebSocket messages.

Each viewer event becomes one command per mode, encoded once (:class:`Entry`), so that a redelivered
command carries the same bytes and ids. The platform ids are the event's ``message_id`` where the command
has an id field (``id_str`` of a comment, ``tid`` of a gift, ``msg_id`` of an open-platform command or of a
newer web packet); a super chat's id is numeric (``sc:<id>``). Gifts alternate ``SEND_GIFT`` and
``SEND_GIFT_V2`` (protobuf ``pb``), enters and follows ``INTERACT_WORD`` and ``INTERACT_WORD_V2``; every
other comment has a ``:`` suffix on its ``cmd``. :func:`frame` packs commands in one of the framing
variants the platform uses.
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.bilibili.client import VER_BROTLI, VER_JSON, VER_ZLIB, pack_commands
from connectors.bilibili.mapping import GUARD_NAMES, command_json
from hub.events import Comment, Event, Gift, LiveState, RoomStats
from hub.protowire import encode

VARIANTS = ("single", "concat", "brotli", "zlib")
GUARD_LEVELS = {name: level for level, name in GUARD_NAMES.items()}
UNKNOWN = (b'{"cmd":"STANDIN_UNKNOWN_CMD","data":{"note":"a command no connector knows"}}',
           b'{"cmd":"WIDGET_BANNER","data":{"timestamp":1700000000,"widget_list":{}}}',
           b'{"cmd":"ONLINE_RANK_V2","data":{"list":[],"rank_type":"gold-rank"}}')


@dataclass(slots=True)
class Entry:
    """One viewer event, as the web and the open platform send it (``None``: that mode cannot carry it)."""

    web: bytes | None
    web_id: str | None
    open: bytes | None
    open_id: str | None


def _uid(user_id: str) -> int:
    return int(user_id) if user_id.isdigit() and len(user_id) < 19 else zlib.crc32(user_id.encode()) + 10**9


def encode_event(event: Event, n: int) -> Entry:
    """``event`` (the ``n``-th of the stand-in) in both modes."""
    now_ms = int((event.platform_ts or time.time()) * 1000)
    msg_id = event.message_id or f"standin-{n:08d}"
    web, web_id = _web(event, n, msg_id, now_ms)
    opened, open_id = _open(event, msg_id, now_ms)
    return Entry(command_json(web) if web else None, web_id, command_json(opened) if opened else None, open_id)


def _user(event: Event) -> tuple[int, str]:
    user = event.user
    return (_uid(user.id), user.name or user.id) if user is not None else (0, "")


def _coins(event: Gift) -> int:
    return int(event.value) if event.value is not None else 100 * event.count


def _web(event: Event, n: int, msg_id: str, now_ms: int) -> tuple[dict[str, Any] | None, str | None]:
    uid, name = _user(event)
    kind = event.type
    if isinstance(event, Comment) and event.paid:
        sc = int(msg_id) if msg_id.isdigit() and len(msg_id) < 19 else 9_000_000 + n
        price = int(event.amount or Decimal(30))
        return {"cmd": "SUPER_CHAT_MESSAGE", "roomid": 0, "data": {
            "id": sc, "uid": uid, "price": price, "rate": 1000, "message": event.text, "time": 60,
            "start_time": now_ms // 1000, "ts": now_ms // 1000, "user_info": {"uname": name, "guard_level": 0},
            "gift": {"gift_id": 12000, "gift_name": "醒目留言", "num": 1}}}, f"sc:{sc}"
    if isinstance(event, Comment):
        extra = json.dumps({"send_from_me": False, "mode": 0, "color": 16777215, "dm_type": 0, "font_size": 25,
                            "content": event.text, "id_str": msg_id, "reply_mid": 0}, ensure_ascii=False,
                           separators=(",", ":"))
        head = [0, 1, 25, 16777215, now_ms, n, 0, f"{n:08x}", 0, 0, 0, "", 0, "{}", "{}",
                {"mode": 0, "show_player_type": 0, "extra": extra}]
        cmd = "DANMU_MSG:4:0:2:2:2:0" if n % 2 else "DANMU_MSG"
        return {"cmd": cmd, "info": [head, event.text, [uid, name, 0, 0, 0, 10000, 1, ""], [], [10, 0, 9868950, ">50000", 0],
                                      ["", ""], 0, 0, None, {"ts": now_ms // 1000, "ct": f"{n:08X}"}, 0, 0, None, None, 0, 105,
                                      [0], None]}, msg_id
    if isinstance(event, Gift) and event.gift in GUARD_LEVELS:
        return {"cmd": "GUARD_BUY", "msg_id": msg_id, "send_time": now_ms, "data": {
            "uid": uid, "username": name, "guard_level": GUARD_LEVELS[event.gift], "num": event.count,
            "price": _coins(event) // max(1, event.count), "gift_id": 10000 + GUARD_LEVELS[event.gift],
            "gift_name": event.gift, "start_time": now_ms // 1000, "end_time": now_ms // 1000}}, msg_id
    if isinstance(event, Gift):
        coins = _coins(event)
        if n % 2:
            item = encode([(1, 31036), (2, event.gift), (3, event.count), (5, coins // max(1, event.count)),
                           (7, coins), (8, "gold"), (9, msg_id), (10, now_ms // 1000)])
            pb = encode([(1, uid), (2, name), (3, "https://i0.hdslb.com/bfs/face/member/noface.jpg"), (10, [item])])
            return {"cmd": "SEND_GIFT_V2", "data": {"dmscore": 4, "pb": base64.b64encode(pb).decode()}}, msg_id
        return {"cmd": "SEND_GIFT", "data": {
            "action": "投喂", "giftId": 31036, "giftName": event.gift, "num": event.count, "uid": uid, "uname": name,
            "price": coins // max(1, event.count), "total_coin": coins, "coin_type": "gold", "tid": msg_id,
            "rnd": msg_id, "timestamp": now_ms // 1000, "batch_combo_id": f"batch:gift:combo_id:{uid}:{n}"}}, msg_id
    if kind == "like":
        return {"cmd": "LIKE_INFO_V3_CLICK", "msg_id": msg_id, "send_time": now_ms, "data": {
            "show_area": 0, "msg_type": 6, "uid": uid, "uname": name, "like_text": "为主播点赞了"}}, msg_id
    if kind in ("enter", "follow"):
        msg_type, trigger = (1 if kind == "enter" else 2), now_ms * 1_000_000 + n
        if n % 2:
            pb = encode([(1, uid), (2, name), (5, msg_type), (6, 0), (7, now_ms // 1000), (8, now_ms), (15, trigger)])
            return {"cmd": "INTERACT_WORD_V2", "msg_id": msg_id, "send_time": now_ms,
                    "data": {"dmscore": 3, "pb": base64.b64encode(pb).decode()}}, msg_id
        return {"cmd": "INTERACT_WORD", "msg_id": msg_id, "send_time": now_ms, "data": {
            "uid": uid, "uname": name, "msg_type": msg_type, "roomid": 0, "timestamp": now_ms // 1000,
            "trigger_time": trigger, "identities": [1], "score": now_ms}}, msg_id
    if isinstance(event, RoomStats):
        return {"cmd": "ONLINE_RANK_COUNT", "data": {"count": event.viewers, "online_count": event.viewers}}, None
    if isinstance(event, LiveState):
        cmd = "LIVE" if event.state == "live" else "PREPARING"
        return {"cmd": cmd, "msg_id": msg_id, "send_time": now_ms, "roomid": 0}, msg_id
    return None, None


def _open(event: Event, msg_id: str, now_ms: int) -> tuple[dict[str, Any] | None, str | None]:
    user = event.user
    who = {"open_id": user.id if user else "", "uid": 0, "uname": user.name if user else "", "uface": "",
           "timestamp": now_ms // 1000, "room_id": 0, "msg_id": msg_id}
    if isinstance(event, Comment) and event.paid:
        data = {**who, "message": event.text, "rmb": int(event.amount or 30), "message_id": now_ms,
                "start_time": now_ms // 1000, "end_time": now_ms // 1000 + 60}
        return {"cmd": "LIVE_OPEN_PLATFORM_SUPER_CHAT", "data": data}, msg_id
    if isinstance(event, Comment):
        return {"cmd": "LIVE_OPEN_PLATFORM_DM", "data": {**who, "msg": event.text, "dm_type": 0}}, msg_id
    if isinstance(event, Gift) and event.gift in GUARD_LEVELS:
        data = {"user_info": {k: who[k] for k in ("open_id", "uid", "uname", "uface")},
                "guard_level": GUARD_LEVELS[event.gift], "guard_num": event.count, "guard_unit": "月",
                "price": _coins(event) // max(1, event.count), "timestamp": now_ms // 1000, "msg_id": msg_id}
        return {"cmd": "LIVE_OPEN_PLATFORM_GUARD", "data": data}, msg_id
    if isinstance(event, Gift):
        data = {**who, "gift_id": 31036, "gift_name": event.gift, "gift_num": event.count,
                "price": _coins(event) // max(1, event.count), "paid": True}
        return {"cmd": "LIVE_OPEN_PLATFORM_SEND_GIFT", "data": data}, msg_id
    if event.type == "like":
        return {"cmd": "LIVE_OPEN_PLATFORM_LIKE", "data": {**who, "like_text": "为主播点赞了",
                                                           "like_count": getattr(event, "count", 1)}}, msg_id
    if event.type == "enter":
        return {"cmd": "LIVE_OPEN_PLATFORM_LIVE_ROOM_ENTER", "data": who}, msg_id
    if isinstance(event, LiveState):
        cmd = "LIVE_OPEN_PLATFORM_LIVE_START" if event.state == "live" else "LIVE_OPEN_PLATFORM_LIVE_END"
        return {"cmd": cmd, "data": {"room_id": 0, "timestamp": now_ms // 1000, "msg_id": msg_id}}, msg_id
    return None, None  # follows and room stats: the open platform has no such command


def frame(bodies: list[bytes], variant: str) -> list[bytes]:
    """WebSocket messages carrying ``bodies``: ``single`` (one ver-0 packet per message), ``concat`` (ver-0
    packets in one message), ``brotli`` (ver 3) or ``zlib`` (ver 2) of them all."""
    if variant == "single":
        return [pack_commands([body]) for body in bodies]
    ver = {"concat": VER_JSON, "brotli": VER_BROTLI, "zlib": VER_ZLIB}[variant]
    return [pack_commands(bodies, ver=ver)]
