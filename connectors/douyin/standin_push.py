"""The open platform's side of the Douyin stand-in: token, push tasks, look-back, and the pusher that
POSTs signed batches to the hub's callback (see :mod:`connectors.douyin.standin`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections import deque
from typing import Any

import aiohttp
from aiohttp import web

from connectors.douyin.client import LOOKBACK_TYPES, MSG_TYPES, push_signature
from connectors.douyin.standin_encode import OpenItem
from hub.standin import Standin

PUSH_DEADLINE = 2.0  # seconds the platform waits for the callback's answer


class OpenPlatformPusher(Standin):
    """Token and task API, and one pusher task per running (room, message type)."""

    max_attempts = 30  # pushes of one batch before it is given up (gifts and fan club: to the look-back)

    def __init__(self, *, appid: str, secret: str, callback_url: str, batch: int, duplicate_every: int,
                 **options: Any) -> None:
        super().__init__(**options)
        self.appid, self.secret, self.callback_url = appid, secret, callback_url
        self.batch, self.duplicate_every = max(1, batch), max(0, duplicate_every)
        self.tokens: dict[str, float] = {}  # access token -> expiry
        self.tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.pending: dict[tuple[str, str], deque[dict[str, Any]]] = {}
        self.wake: dict[tuple[str, str], asyncio.Event] = {}
        self.failed: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.push_figures = {"pushes": 0, "accepted": 0, "refused": 0, "errors": 0, "items": 0,
                             "duplicates_pushed": 0, "test_items": 0, "given_up": 0}
        self._items = 0
        self._http: aiohttp.ClientSession | None = None

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/api/apps/v2/token", self.token)
        router.add_post("/api/live_data/task/fail_data/get", self.fail_data)
        router.add_post("/api/live_data/task/{action}", self.task)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "push": dict(self.push_figures),
                "tasks": sorted(f"{room}/{kind}" for room, kind in self.tasks),
                "waiting": sum(len(q) for q in self.pending.values())}

    def queue_push(self, room: str, item: OpenItem) -> None:
        key = (room, item.msg_type)
        queue = self.pending.setdefault(key, deque())
        queue.append(item.body)
        self._items += 1
        if self.duplicate_every and self._items % self.duplicate_every == 0:
            queue.append(item.body)  # pushed again later: the platform may repeat itself
            self.push_figures["duplicates_pushed"] += 1
        self.wake.setdefault(key, asyncio.Event()).set()

    # -- the API ----------------------------------------------------------------------------------

    async def token(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if body.get("appid") != self.appid or body.get("secret") != self.secret:
            return _answer(40001, "invalid appid or secret")
        access = secrets.token_hex(16)
        self.tokens[access] = time.time() + 7200
        return _answer(0, "", {"access_token": access, "expires_in": 7200})

    def _authorized(self, request: web.Request) -> bool:
        return self.tokens.get(request.headers.get("access-token", ""), 0) > time.time()

    async def task(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _answer(28001003, "access_token invalid")
        body = await _body(request)
        action, room, kind = request.match_info["action"], str(body.get("roomid", "")), body.get("msg_type")
        if body.get("appid") != self.appid or kind not in MSG_TYPES or not room:
            return _answer(28003017, "bad roomid, appid or msg_type")
        key = (room, kind)
        self.record("api", call=f"task/{action}", room=room, msg_type=kind)
        if action == "start":
            if key not in self.tasks:
                self.pending.setdefault(key, deque()).appendleft(_test_item())
                self.push_figures["test_items"] += 1
                self.tasks[key] = asyncio.create_task(self._push_loop(key), name=f"douyin-standin-push-{room}-{kind}")
            return _answer(0, "", {"task_id": f"{room}-{kind}"})
        if action == "stop":
            task = self.tasks.pop(key, None)
            if task is not None:
                task.cancel()
            return _answer(0, "")
        if action == "get":
            return _answer(0, "", {"status": 3 if key in self.tasks else 1})
        return web.json_response({"err_no": 404, "err_msg": "no such action"}, status=404)

    async def fail_data(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _answer(28001003, "access_token invalid")
        body = await _body(request)
        rows = self.failed.get((str(body.get("roomid", "")), str(body.get("msg_type", ""))), [])
        page, size = int(body.get("page_num") or 1), int(body.get("page_size") or 100)
        chunk = rows[(page - 1) * size: page * size]
        return _answer(0, "", {"data_list": [{"payload": json.dumps(r, ensure_ascii=False)} for r in chunk],
                               "total_count": len(rows)})

    # -- the pusher -------------------------------------------------------------------------------

    async def _push_loop(self, key: tuple[str, str]) -> None:
        queue, wake = self.pending.setdefault(key, deque()), self.wake.setdefault(key, asyncio.Event())
        while True:
            if not queue:
                wake.clear()
                await wake.wait()
                continue
            batch = [queue.popleft() for _ in range(min(self.batch, len(queue)))]
            for attempt in range(self.max_attempts):
                if await self._push(key, batch):
                    break
                await asyncio.sleep(min(2.0, 0.05 * 2 ** attempt))
            else:
                self.push_figures["given_up"] += 1
                if key[1] in LOOKBACK_TYPES:
                    self.failed.setdefault(key, []).extend(i for i in batch if not i.get("test"))

    async def _push(self, key: tuple[str, str], batch: list[dict[str, Any]]) -> bool:
        room, kind = key
        body = json.dumps(batch, ensure_ascii=False).encode("utf-8")
        headers = {"x-nonce-str": secrets.token_hex(8), "x-timestamp": str(int(time.time() * 1000)),
                   "x-roomid": room, "x-msg-type": kind}
        headers["x-signature"] = push_signature(headers, body, self.secret)
        self.push_figures["pushes"] += 1
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        try:
            async with self._http.post(self.callback_url, data=body, timeout=aiohttp.ClientTimeout(PUSH_DEADLINE),
                                       headers={**headers, "content-type": "application/json"}) as response:
                ok = response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError, RuntimeError):  # RuntimeError: session closed
            self.push_figures["errors"] += 1
            return False
        if ok:
            self.push_figures["accepted"] += 1
            self.push_figures["items"] += len(batch)
        else:
            self.push_figures["refused"] += 1
        return ok

    async def disconnect(self) -> int:
        """Also drop the pushes in flight (their batches are pushed again: the hub sees repeats)."""
        dropped = await super().disconnect()
        if self._http is not None:
            await self._http.close()
            self._http = None
        return dropped

    async def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        self.tasks.clear()
        if self._http is not None:
            with contextlib.suppress(Exception):
                await self._http.close()
            self._http = None
        await super().stop()


def _test_item() -> dict[str, Any]:
    return {"msg_id": f"test-{secrets.token_hex(6)}", "sec_openid": "test", "nickname": "测试", "content": "测试数据",
            "timestamp": int(time.time() * 1000), "test": True}


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read())
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _answer(err_no: int, message: str, data: Any = None) -> web.Response:
    return web.json_response({"err_no": err_no, "err_msg": message, "data": data})
