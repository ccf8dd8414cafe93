"""Outbound content: what goes out between shows, and the contract of the backends that write it.

A **content generator** (a backend of kind ``content``: copy, pitch video, live clip, ...) subclasses
:class:`ContentGenerator` and implements one method, :meth:`ContentGenerator.generate`: for one
:class:`ContentRequest` (a product, a segment, a channel, a locale, how many variants) return the
:class:`ContentPiece` variants. The base owns the rest: a timeout, errors turned into
:class:`hub.errors.BackendError` naming the generator, the channel's length limits enforced on every piece,
and counts (``livehub_content_generated_total{kind,generator,outcome}``).

Channels' shapes (:data:`CHANNEL_LIMITS`): an ``email`` has a subject and a body, a ``post`` a short text, an
``sms`` an SMS-length text, a ``webhook`` whatever the receiver takes (a subject and a body). A piece writes
:data:`LINK` where the reader's link goes.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from hub.errors import BackendError

if TYPE_CHECKING:
    from hub.catalog import Product, Shop

__all__ = ["ContentRequest", "ContentPiece", "ContentGenerator", "CHANNEL_LIMITS", "VARIANT_NAMES", "LINK"]

LINK = "{link}"
"""Where a piece puts its link: the reviewed text keeps this placeholder (the guardrails take no address in
generated text), and sending puts in the reader's tracked address (the hub's redirect)."""

CHANNEL_LIMITS: dict[str, tuple[int, int]] = {
    "email": (78, 4000),  # (subject, body) characters
    "webhook": (200, 4000),
    "post": (0, 280),
    "sms": (0, 140),
    "crm": (200, 4000),  # a note on the contact
    "bundle": (200, 2200),  # a caption and its title, for manual upload
    "tiktok": (0, 2200),  # a video's caption
}
"""Characters allowed per channel kind: (subject, body); a subject limit of 0 means no subject."""
VARIANT_NAMES = "ABCDEFGH"
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
"""What is replaced in a name made into a file name."""
_SLOTS: dict[tuple[int, str], asyncio.Semaphore] = {}


@dataclass(frozen=True, slots=True)
class ContentRequest:
    """What to write: about ``product`` (of ``shop``), for the people of ``segment`` ("" for everyone), to go
    out through a channel of kind ``channel``, in ``locale``, as ``variants`` variants (A/B testing)."""

    campaign: str
    product: Product
    shop: Shop | None
    segment: str
    channel: str
    locale: str
    variants: int = 2
    link: str = LINK  # write this where the reader's link goes (sending fills it in)


@dataclass(frozen=True, slots=True)
class ContentPiece:
    """One variant: ``subject`` (empty where the channel has none), ``body``, and what produced it."""

    variant: str
    subject: str
    body: str
    source: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class ContentGenerator:
    """Base of every content generator. One abstract method: :meth:`generate`."""

    name: ClassVar[str] = ""
    """The backend's name (``[backends.content.<name>]``)."""
    kind: ClassVar[str] = "copy"
    """What it makes (copy, pitch_video, live_clip): a campaign names kinds."""
    timeout_s: ClassVar[float] = 120.0

    def __init__(self, config: Any, hub: Any) -> None:
        self.config, self.hub = config, hub

    async def generate(self, request: ContentRequest) -> list[ContentPiece]:
        """The variants for ``request`` (at most ``request.variants``), each within the channel's limits or
        longer (the base cuts them)."""
        raise NotImplementedError

    def render_slots(self) -> asyncio.Semaphore:
        """At most ``config.workers`` (1 without it) costly renders of this generator at a time in the hub, shared
        by every campaign: a big campaign never takes more of the machine than that from the live rooms."""
        key = (id(self.hub), self.name)
        if key not in _SLOTS:
            _SLOTS[key] = asyncio.Semaphore(int(getattr(self.config, "workers", 1)))
        return _SLOTS[key]

    def media_folder(self, campaign: str) -> Path:
        """Where the files of ``campaign`` go: ``config.folder`` (relative: to the config file's folder) /
        the campaign's name made safe."""
        path = Path(getattr(self.config, "folder", "media")).expanduser()
        if not path.is_absolute():
            path = (self.hub.config.path.parent if self.hub.config.path else Path.cwd()) / path
        return path / SAFE_NAME.sub("_", campaign)

    async def edition(self, request: ContentRequest) -> str:
        """What besides the request makes this generator's pieces differ (optional; "" by default): a
        campaign reuses the pieces made for the same product facts, segment, channel, settings and edition.
        A live clip's edition is the recordings it would be cut from, so a newer show makes a new clip."""
        return ""

    async def aclose(self) -> None:  # noqa: B027 - optional, not abstract
        """Release what :meth:`generate` opened (an LLM client); the owner calls it once at shutdown."""

    async def make(self, request: ContentRequest) -> list[ContentPiece]:
        """:meth:`generate` under the base's timeout and limits; BackendError when it fails."""
        try:
            async with asyncio.timeout(self.timeout_s):
                pieces = await self.generate(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._count("failed")
            raise BackendError(f"content generator {self.name}: {type(exc).__name__}: {exc}",
                               backend=f"content:{self.name}") from exc
        self._count("made", len(pieces))
        subject_max, body_max = CHANNEL_LIMITS.get(request.channel, (200, 4000))
        return [ContentPiece(p.variant, _cut(p.subject, subject_max), _cut(p.body, body_max), p.source or self.name,
                             p.data) for p in pieces[:request.variants]]

    def _count(self, outcome: str, n: int = 1) -> None:
        metric = getattr(self.hub, "metric", None)
        if metric is not None:
            from prometheus_client import Counter

            metric(Counter, "livehub_content_generated", "Content pieces generated, or failed generations",
                   ["kind", "generator", "outcome"]).labels(self.kind, self.name, outcome).inc(n)


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters (0: none), cut at a word or sentence end where one is near."""
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    for mark in ("。", "！", ". ", "! ", "，", ", ", " "):
        at = cut.rfind(mark)
        if at >= limit // 2:
            return cut[:at + len(mark.strip())].rstrip() + "…"
    return cut + "…"
