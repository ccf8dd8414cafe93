"""Viewer submissions to the built-in live room: checking them and limiting their rate.

Nothing here knows the hub. A public page takes text from anyone, so every submission is cleaned and
checked before it becomes a comment:

* **text**: control and format characters are removed (newlines and tabs become spaces, zero-width and
  bidi marks go), runs of spaces collapse, and the result must be 1 to ``max_chars`` characters;
* **name**: cleaned the same way and cut to :data:`MAX_NAME_CHARS`; an empty name gets a default from
  the viewer id, so the chat never shows a blank author;
* **viewer id** and **message id**: what the page generated (a random id it keeps in localStorage, a
  fresh id per message so a resend is recognised); both are short tokens of safe characters;
* **rate**: :class:`RateLimiter` allows ``per_minute`` comments per viewer (its viewer id, on one client
  address), and ``per_address`` (default six times that) per client address over all its viewers. The
  viewer limit keeps one viewer's flood from using up what other viewers sharing its address (a NAT, a
  proxy) may send; the address limit bounds a client that makes up a new viewer id for every comment.
  Changing one's display name changes nothing. Refused comments count against nothing.

Client addresses come from :func:`hub.web.common.client_address` (``X-Forwarded-For`` only from trusted
proxies); :func:`address_key` folds an IPv6 address to its /64, the block one host usually holds.
"""

from __future__ import annotations

import ipaddress
import re
import time
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_NAME_CHARS = 24
ADDRESS_FACTOR = 6
"""Comments a minute one address may send, over all its viewers, as a multiple of the per-viewer limit
(the default of ``per_address``): several viewers behind one NAT or proxy each get their own share."""
IPV6_PREFIX = 64
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SPACES = re.compile(r"\s+")


class SubmissionError(ValueError):
    """A submission the room refuses: ``field`` names what is wrong, the message says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True, slots=True)
class Submission:
    """A checked viewer comment: what the connector turns into a ``Comment`` event."""

    viewer_id: str
    name: str
    text: str
    message_id: str


def clean_text(value: str) -> str:
    """``value`` without control or format characters, whitespace runs collapsed to one space."""
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if char in "\t\n\r\v\f\u2028\u2029" or category == "Zs":
            kept.append(" ")
        elif category[0] == "C":  # Cc control, Cf format (zero-width, bidi), Co private use, Cs, Cn
            continue
        else:
            kept.append(char)
    return _SPACES.sub(" ", "".join(kept)).strip()


def default_name(viewer_id: str, prefix: str = "观众") -> str:
    """A display name for a viewer who gave none: the prefix and four characters of the id."""
    tail = re.sub(r"[^A-Za-z0-9]", "", viewer_id)[-4:] or "0000"
    return f"{prefix}{tail}"


def _string(data: dict[str, Any], key: str, *, required: bool) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise SubmissionError(key, "required")
        return ""
    if not isinstance(value, str):
        raise SubmissionError(key, "must be a string")
    return value


def parse_submission(data: Any, *, max_chars: int, new_id: Callable[[], str],
                     name_prefix: str = "观众") -> Submission:
    """Check a posted comment ``{name, text, viewer_id, message_id}``; raises :class:`SubmissionError`.

    ``new_id()`` supplies a message id when the page sent none (such a comment cannot be deduplicated).
    """
    if not isinstance(data, dict):
        raise SubmissionError("body", "must be a JSON object")
    raw_text = _string(data, "text", required=True)
    if len(raw_text) > max_chars * 4:  # refuse absurd bodies before scanning them
        raise SubmissionError("text", f"at most {max_chars} characters")
    text = clean_text(raw_text)
    if not text:
        raise SubmissionError("text", "empty")
    if len(text) > max_chars:
        raise SubmissionError("text", f"at most {max_chars} characters")
    viewer_id = _string(data, "viewer_id", required=True)
    if not _TOKEN.match(viewer_id):
        raise SubmissionError("viewer_id", "8 to 64 letters, digits, '-' or '_'")
    message_id = _string(data, "message_id", required=False) or new_id()
    if not _TOKEN.match(message_id):
        raise SubmissionError("message_id", "8 to 64 letters, digits, '-' or '_'")
    name = clean_text(_string(data, "name", required=False)[:MAX_NAME_CHARS * 4])[:MAX_NAME_CHARS].strip()
    return Submission(viewer_id=viewer_id, name=name or default_name(viewer_id, name_prefix), text=text,
                      message_id=message_id)


def address_key(address: str) -> str:
    """The key per-address limits use: an IPv4 address as it is, an IPv6 address as its /64 network (one
    host, or one home, usually holds a whole /64 and could otherwise take a fresh address per request)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return address


class RateLimiter:
    """Sliding one-minute windows per ``(address, viewer)`` and per address; memory stays bounded.

    :meth:`check` returns 0 when the comment may go (and counts it), else the seconds until it could.
    A refused comment is not counted, so a viewer hammering the limit uses up nothing of its address's.
    """

    WINDOW = 60.0

    def __init__(self, per_minute: int, *, per_address: int | None = None,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 20_000) -> None:
        self.per_minute = per_minute
        self.per_address = per_address if per_address is not None else per_minute * ADDRESS_FACTOR
        self.clock = clock
        self.max_keys = max_keys
        self._hits: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def check(self, address: str, viewer: str) -> float:
        """Count one comment of ``viewer`` (a viewer id, or a pseudo-viewer such as the feed's enter key)
        from ``address``: 0 if allowed, else the wait in seconds."""
        now = self.clock()
        where = address_key(address)
        keys = ((where, "\x00" + viewer), (where, ""))  # "\x00" + id is never "": the viewer keys stay apart
        limits = (self.per_minute, self.per_address)
        wait = 0.0
        for key, limit in zip(keys, limits, strict=True):
            hits = self._window(key, now)
            if len(hits) >= limit:
                wait = max(wait, hits[0] + self.WINDOW - now)
        if wait > 0:
            return wait
        for key in keys:
            self._hits.setdefault(key, deque()).append(now)
            self._hits.move_to_end(key)
        while len(self._hits) > self.max_keys:  # the least recently used keys go first
            self._hits.popitem(last=False)
        return 0.0

    def _window(self, key: tuple[str, str], now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - self.WINDOW:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits
