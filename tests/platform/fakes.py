"""A fake platform for the platform connector tests: an inbox the test fills, a chat that records.

``FakeChat`` is a :class:`hub.platform.PlatformConnector` written as a real one would be: ``run`` reads
its "platform feed" (an asyncio queue the test fills with ``(event, cursor)`` pairs) and ingests each
message; ``send_chat`` posts to its "chat" (a list), raising the faults the test queued first. Its clock
is a :class:`hub.testing.StepClock`: time moves only when the outbox waits, so rate-limit timings are exact and
nothing in these tests sleeps for real.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from typing import Any

from hub.events import Asker, Comment, Event, Reply, User
from hub.hookspecs import hookimpl
from hub.platform import ChatMessage, PlatformConnector, PlatformSettings
from hub.specs import ConnectorSpec
from hub.testing import StepClock

_ids = itertools.count(1)
# The recorder stores events (restarts seed de-duplication from them); the rooms plugin validates rooms.
CORE = ("hub.builtin.recorder", "hub.builtin.rooms")


class FakeSettings(PlatformSettings):
    label: str = ""


class FakeChat(PlatformConnector):
    platform = "fake"
    chat_rate = 1.0
    chat_burst = 1
    chat_max_chars = 40

    def __init__(self, name: str, config: Any, hub: Any) -> None:
        super().__init__(name, config, hub)
        self.clock = StepClock()
        self.inbox: asyncio.Queue[tuple[Event, str | None]] = asyncio.Queue()
        self.attempts: list[tuple[float, ChatMessage]] = []  # (time, message) of every send_chat call
        self.sent: list[tuple[float, ChatMessage]] = []  # ... of those the platform took
        self.faults: list[Exception] = []  # raised by the next send_chat calls, in order
        self.resumed_from: list[str | None] = []  # self.cursor at each start of run()

    async def run(self) -> None:
        self.resumed_from.append(self.cursor)
        self.set_ready()
        while True:
            event, cursor = await self.inbox.get()
            await self.ingest(event, cursor=cursor)

    async def send_chat(self, message: ChatMessage) -> str | None:
        self.attempts.append((self.clock.now(), message))
        if self.faults:
            raise self.faults.pop(0)
        self.sent.append((self.clock.now(), message))
        return f"posted-{len(self.sent)}"

    def texts(self) -> list[str]:
        return [message.text for _, message in self.sent]


class OtherChat(FakeChat):
    platform = "other"
    mention_format = "<{name}> "


class VoiceOnly(FakeChat):
    platform = "radio"
    can_send_chat = False


class FakePlatforms:
    """Registers the connector types ``fake``, ``other`` and ``radio``."""

    @hookimpl
    def livehub_register_connectors(self) -> list[ConnectorSpec]:
        return [ConnectorSpec(type=cls.platform, kind="platform", factory=cls, config_model=FakeSettings)
                for cls in (FakeChat, OtherChat, VoiceOnly)]


def hub_config(connectors: dict[str, dict[str, Any]], **sections: Any) -> dict[str, Any]:
    return {"connectors": connectors, **sections}


def viewer_comment(text: str, message_id: str, *, user: str = "u1", name: str = "小雨") -> Comment:
    """A comment as a platform delivers it (platform and room are stamped by ingest)."""
    return Comment(platform="", room="", text=text, user=User(user, name), message_id=message_id)


def answer(text: str, askers: Iterable[tuple[str, str, str | None]] = (), *, room: str = "main",
           channel: str = "chat", platform: str = "livehub", kind: str = "answer") -> Reply:
    """A host reply to ``askers`` given as ``(platform, name, message_id)``."""
    return Reply(platform=platform, room=room, text=text, channel=channel, kind=kind,
                 askers=[Asker(p, User(f"id-{name}", name), m) for p, name, m in askers],
                 id=f"reply-{next(_ids)}")
