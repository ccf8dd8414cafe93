"""A small stand-in defined by the tests: the "parrot" platform.

Its protocol: ``GET /feed`` (WebSocket; every queued message is sent as JSON), ``POST /wait`` (a long
poll answered when a message is queued), ``POST /say`` (a chat message; bearer token; a token bucket of
1 message/s, burst 2; 429 with Retry-After when exceeded).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from hub.connector import Connector
from hub.events import Event
from hub.hookspecs import hookimpl
from hub.ratelimit import TokenBucket
from hub.secrets import Secret
from hub.specs import ConnectorSpec, StandinSpec
from hub.standin import Standin, take_token


class Parrot(Standin):
    system = "parrot"
    connector_type = "parrot_chat"
    secret_env = {"token": "PARROT_TOKEN"}

    def __init__(self, *, token: str = "cracker", **options: Any) -> None:
        super().__init__(**options)
        self.token = token
        self.queue: list[dict[str, Any]] = []
        self.bucket = TokenBucket(1.0, 2, now=time.monotonic())
        self._changed = asyncio.Event()

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/feed", self.feed)
        router.add_post("/wait", self.wait)
        router.add_post("/say", self.say)

    async def deliver(self, event: Event) -> dict[str, Any]:
        if event.type == "order":
            raise ValueError("parrots take no orders")
        message = {"seq": len(self.queue) + 1, "kind": event.type, "room": event.room,
                   "who": event.user.name if event.user else "", "text": getattr(event, "text", "")}
        self.queue.append(message)
        self._changed.set()
        return message

    def connector_settings(self) -> dict[str, Any]:
        return {"api_base": self.url, "token": self.token, "poll_s": 2.5, "rooms": ["demo"]}

    def state(self) -> dict[str, Any]:
        return {**super().state(), "queued": len(self.queue)}

    async def feed(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for message in self.queue:
            await ws.send_json(message)
        async for _ in ws:
            pass
        return ws

    async def wait(self, request: web.Request) -> web.Response:
        self._changed.clear()
        await self._changed.wait()
        return web.json_response(self.queue[-1])

    async def say(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        retry = 1.0 if self.take_rate_limit() else take_token(self.bucket)
        if retry:
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": f"{retry:.2f}"})
        entry = self.record("chat", text=body["text"])
        return web.json_response({"id": entry["n"]}, status=201)


class ParrotSettings(BaseModel):
    """The parrot connector's settings: what ``Parrot.connector_table`` must produce."""

    model_config = ConfigDict(extra="forbid")
    room: str = "main"
    api_base: str
    token: Secret
    poll_s: float = 1.0
    rooms: list[str] = []


class ParrotConnector(Connector):
    async def run(self) -> None:  # never started by these tests
        raise NotImplementedError


class ParrotPlugin:
    """Registers the parrot connector type and its stand-in."""

    @hookimpl
    def livehub_register_connectors(self) -> list[ConnectorSpec]:
        return [ConnectorSpec(type="parrot_chat", kind="platform", factory=ParrotConnector,
                              config_model=ParrotSettings)]

    @hookimpl
    def livehub_register_standins(self) -> list[StandinSpec]:
        return [StandinSpec(system="parrot", factory=Parrot, connector_type="parrot_chat",
                            description="a test platform")]
