"""Channels: how outbound content reaches people (email, signed webhooks, ...), and the contract of their
backends.

A channel (a backend of kind ``channel``) subclasses :class:`Channel` and implements one method,
:meth:`Channel.deliver`: hand one :class:`OutboundMessage` to the outside system and return its receipt. The
base owns the rest, written once: a per-channel rate limit (``rate_per_s``, ``burst``), quiet hours in a
timezone (a message is not sent then: :class:`ChannelDeferred`), a timeout, retries of transient failures
with jittered backoff (:class:`ChannelRejected` is final), and counts
(``livehub_channel_messages_total{channel,outcome}``).
"""

from __future__ import annotations

import asyncio
import datetime
import random
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from hub.ratelimit import TokenBucket

__all__ = ["OutboundMessage", "Channel", "ChannelSettings", "ChannelRejected", "ChannelDeferred"]


class ChannelRejected(Exception):
    """The outside system refused the message for good (a bad address): not tried again."""


class ChannelDeferred(Exception):
    """Not now (quiet hours): try again at ``until`` (Unix seconds)."""

    def __init__(self, message: str, until: float) -> None:
        super().__init__(message)
        self.until = until


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to one person: ``key`` makes a redelivery harmless where the channel can say so; ``to`` is
    their address on the channel (an email address; a person id for webhooks); ``link`` the tracked link
    already in ``text``/``html``; ``unsubscribe`` their unsubscribe link."""

    key: str
    to: str
    subject: str
    text: str
    html: str
    link: str
    unsubscribe: str
    data: dict[str, Any] = field(default_factory=dict)


class ChannelSettings(BaseModel):
    """Settings every channel has (a channel's own model extends this)."""

    model_config = ConfigDict(extra="forbid")

    rate_per_s: float = Field(5.0, gt=0, description="messages a second at most")
    burst: int = Field(5, ge=1, description="messages that may go at once")
    quiet_hours: str | None = Field(None, pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                                    description='no message in this window, e.g. "21:00-08:00"')
    timezone: str = Field("UTC", description="the quiet hours' timezone (IANA name)")
    retries: int = Field(3, ge=0, le=10, description="tries again after a transient failure")
    timeout_s: float = Field(30.0, gt=0, le=300)


class Channel:
    """Base of every channel. One abstract method: :meth:`deliver`."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "email"
    """The content shape it carries (:data:`hub.outbound.CHANNEL_LIMITS`): campaigns name kinds."""
    address: ClassVar[str] = "email"
    """What a person needs to be reached: ``email``; ``crm`` (their email, else their first account: a CRM
    key); or ``""`` (anyone: the channel addresses them by their id)."""
    per_person: ClassVar[bool] = True
    """False for a channel that takes each item once, not once per person (a file bundle for manual upload)."""
    backoff_s: ClassVar[float] = 1.0

    def __init__(self, config: ChannelSettings, hub: Any) -> None:
        self.config, self.hub = config, hub
        self._bucket = TokenBucket(config.rate_per_s, config.burst, now=time.monotonic())
        self._lock = asyncio.Lock()

    async def deliver(self, message: OutboundMessage) -> dict[str, Any]:
        """Hand ``message`` to the outside system; its receipt. Raise :class:`ChannelRejected` for a refusal
        for good, anything else for a failure worth another try."""
        raise NotImplementedError

    def quiet_until(self, now: float | None = None) -> float | None:
        """The end of the quiet hours when ``now`` is inside them, else None."""
        if not self.config.quiet_hours:
            return None
        zone = ZoneInfo(self.config.timezone)
        local = datetime.datetime.fromtimestamp(time.time() if now is None else now, zone)
        start, end = (datetime.time.fromisoformat(t) for t in self.config.quiet_hours.split("-"))
        at = local.time()
        inside = (start <= at < end) if start < end else (at >= start or at < end)
        if not inside:
            return None
        ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if ends <= local:
            ends += datetime.timedelta(days=1)
        return ends.timestamp()

    async def send(self, message: OutboundMessage) -> dict[str, Any]:
        """:meth:`deliver` under the base's quiet hours, rate limit, timeout and retries."""
        until = self.quiet_until()
        if until is not None:
            self._count("deferred")
            raise ChannelDeferred(f"quiet hours ({self.config.quiet_hours} {self.config.timezone})", until)
        async with self._lock:
            wait = self._bucket.reserve(time.monotonic())
        if wait > 0:
            await asyncio.sleep(wait)
        for attempt in range(self.config.retries + 1):
            try:
                async with asyncio.timeout(self.config.timeout_s):
                    receipt = await self.deliver(message)
            except ChannelRejected:
                self._count("rejected")
                raise
            except asyncio.CancelledError:
                raise
            except Exception:
                if attempt >= self.config.retries:
                    self._count("failed")
                    raise
                await asyncio.sleep(self.backoff_s * (2 ** attempt) * random.uniform(0.5, 1.0))
                continue
            self._count("sent")
            return receipt
        raise AssertionError("unreachable")  # pragma: no cover

    def _count(self, outcome: str) -> None:
        metric = getattr(self.hub, "metric", None)
        if metric is not None:
            from prometheus_client import Counter

            metric(Counter, "livehub_channel_messages", "Outbound messages by channel and outcome",
                   ["channel", "outcome"]).labels(self.name, outcome).inc()
