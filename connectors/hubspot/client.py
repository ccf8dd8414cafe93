"""A small async client of HubSpot's CRM API (objects, batch upsert, search, associations). Nothing here knows
the hub.

* **Auth**: ``Authorization: Bearer <private app token>``; a 401 raises :class:`HubSpotAuthError`.
* **Version**: the objects API's version segment is a setting: ``"v3"`` gives the classic paths
  (``/crm/v3/objects/contacts``), a date such as ``"2026-03"`` the date-versioned ones
  (``/crm/objects/2026-03/contacts``). Associations use ``/crm/v4``.
* **Rate limits**: every answer's ``X-HubSpot-RateLimit-Remaining`` and ``-Interval-Milliseconds`` are read;
  when none is left the next request waits for the window to turn. A 429 is waited out (``Retry-After`` when
  given, else the window) and tried again, up to :data:`MAX_429_RETRIES` times, then raises
  :class:`HubSpotRateLimited`. The daily figures are kept (``X-HubSpot-RateLimit-Daily[-Remaining]``).
* **Errors**: HubSpot's error body ``{"status": "error", "message", "category", "errors": [{"message",
  "code", "context": {"propertyName": [...]}}]}`` becomes :class:`HubSpotError` with the category and the
  properties it blames; 5xx and connection failures raise :class:`HubSpotUnavailable`.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import aiohttp

__all__ = ["HubSpotClient", "HubSpotError", "HubSpotAuthError", "HubSpotRateLimited", "HubSpotUnavailable",
           "RateWindow", "parse_error", "objects_path", "BATCH_LIMIT", "NOTE_TO_CONTACT", "DEAL_TO_CONTACT"]

BATCH_LIMIT = 100
"""Inputs per batch request."""
MAX_429_RETRIES = 4
NOTE_TO_CONTACT = 202
"""The HUBSPOT_DEFINED association type id of note → contact."""
DEAL_TO_CONTACT = 3
"""The HUBSPOT_DEFINED association type id of deal → contact."""


class HubSpotError(Exception):
    """HubSpot refused a request: ``status`` (HTTP), ``category`` (e.g. ``VALIDATION_ERROR``), ``fields`` (the
    properties it blamed)."""

    def __init__(self, status: int, message: str, category: str = "", fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.category, self.fields = status, category, fields or []


class HubSpotAuthError(HubSpotError):
    """The token was refused (401)."""


class HubSpotRateLimited(HubSpotError):
    """Still 429 after the retries."""


class HubSpotUnavailable(HubSpotError):
    """A 5xx answer or no answer at all: worth retrying later."""


def parse_error(status: int, body: bytes) -> HubSpotError:
    """The error a non-2xx answer means (never raises itself, whatever ``body`` holds)."""
    message, category, fields = f"HTTP {status}", "", []
    try:
        data = json.loads(body.decode("utf-8", "replace")) if body else {}
    except ValueError:
        data = {}
    if isinstance(data, dict):
        message = str(data.get("message") or message)[:1000]
        category = str(data.get("category") or data.get("errorType") or "")[:100]
        for item in data.get("errors") if isinstance(data.get("errors"), list) else []:
            context = item.get("context") if isinstance(item, dict) else None
            names = context.get("propertyName") if isinstance(context, dict) else None
            if isinstance(names, list):
                fields += [str(n)[:100] for n in names if isinstance(n, (str, int))]
    kind = (HubSpotAuthError if status == 401 else HubSpotRateLimited if status == 429
            else HubSpotUnavailable if status >= 500 else HubSpotError)
    return kind(status, message, category, list(dict.fromkeys(fields)))


def objects_path(version: str, object_type: str) -> str:
    """The objects API's path for ``object_type`` at ``version`` (``v3`` or a date such as ``2026-03``)."""
    if version.startswith("v"):
        return f"/crm/{version}/objects/{object_type}"
    return f"/crm/objects/{version}/{object_type}"


class RateWindow:
    """The client's view of HubSpot's rolling window, from the rate-limit headers."""

    def __init__(self) -> None:
        self.remaining: int | None = None
        self.interval_s = 10.0
        self.reset_at = 0.0
        self.daily: tuple[int, int] | None = None  # (remaining, max)
        self.waited_s = 0.0
        self.limited = 0  # 429s met

    def update(self, headers: Any) -> None:
        try:
            interval = headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
            if interval is not None:
                self.interval_s = max(0.1, int(interval) / 1000)
            remaining = headers.get("X-HubSpot-RateLimit-Remaining")
            if remaining is not None:
                if self.remaining is None or int(remaining) > self.remaining:
                    self.reset_at = time.monotonic() + self.interval_s  # a new window began
                self.remaining = int(remaining)
            daily, left = headers.get("X-HubSpot-RateLimit-Daily"), headers.get("X-HubSpot-RateLimit-Daily-Remaining")
            if daily is not None and left is not None:
                self.daily = (int(left), int(daily))
        except (TypeError, ValueError):
            return

    async def take(self) -> None:
        if self.remaining is not None and self.remaining <= 0:
            delay = max(0.0, self.reset_at - time.monotonic()) + random.uniform(0.0, 0.1)
            self.waited_s += delay
            await asyncio.sleep(delay)
            self.remaining = None


class HubSpotClient:
    """One HubSpot account's CRM API (see the module docstring)."""

    def __init__(self, api_base: str, token: str, *, version: str = "v3", timeout_s: float = 15.0) -> None:
        self.base = api_base.rstrip("/")
        self.token = token
        self.version = version
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.window = RateWindow()
        self.requests = 0
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request; the JSON answer (None for 204). Raises a :class:`HubSpotError`."""
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        for attempt in range(MAX_429_RETRIES + 1):
            await self.window.take()
            self.requests += 1
            try:
                async with self._http().request(method, self.base + path, headers=headers,
                                                data=None if body is None else json.dumps(body)) as resp:
                    self.window.update(resp.headers)
                    raw = await resp.read()
                    if resp.status == 429 and attempt < MAX_429_RETRIES:
                        self.window.limited += 1
                        await asyncio.sleep(self._retry_after(resp.headers.get("Retry-After")))
                        continue
                    if resp.status >= 300:
                        raise parse_error(resp.status, raw)
                    if resp.status == 204 or not raw:
                        return None
                    return json.loads(raw)
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise HubSpotUnavailable(0, f"{type(exc).__name__}: {exc}") from None
            except ValueError:
                raise HubSpotUnavailable(0, "an answer that is not JSON") from None
        raise HubSpotRateLimited(429, "rate limited")  # pragma: no cover - the loop raises or returns

    def _retry_after(self, value: str | None) -> float:
        try:
            seconds = float(value) if value is not None else self.window.interval_s
        except ValueError:
            seconds = self.window.interval_s
        delay = min(60.0, max(0.0, seconds)) + random.uniform(0.0, 0.1)
        self.window.waited_s += delay
        return delay

    # -- objects ------------------------------------------------------------------------------------------

    async def batch_upsert(self, object_type: str, id_property: str, inputs: list[dict[str, Any]]
                           ) -> dict[str, Any]:
        """``POST .../batch/upsert``: ``inputs`` are ``{"id": <the id property's value>, "properties": {...}}``
        (at most :data:`BATCH_LIMIT`). Answers ``{"results": [...], "errors": [...]}`` (207: some failed)."""
        if len(inputs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} inputs per batch")
        body = {"inputs": [{"idProperty": id_property, "id": i["id"], "properties": i.get("properties") or {}}
                           for i in inputs]}
        answer = await self.request("POST", objects_path(self.version, object_type) + "/batch/upsert", body)
        return answer if isinstance(answer, dict) else {}

    async def create(self, object_type: str, properties: dict[str, Any],
                     associations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"properties": properties}
        if associations:
            body["associations"] = associations
        answer = await self.request("POST", objects_path(self.version, object_type), body)
        return answer if isinstance(answer, dict) else {}

    async def batch_create(self, object_type: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        """``POST .../batch/create``: ``inputs`` are ``{"properties", "associations"}`` (at most
        :data:`BATCH_LIMIT`); the results come in no promised order."""
        if len(inputs) > BATCH_LIMIT:
            raise ValueError(f"at most {BATCH_LIMIT} inputs per batch")
        answer = await self.request("POST", objects_path(self.version, object_type) + "/batch/create",
                                    {"inputs": inputs})
        return answer if isinstance(answer, dict) else {}

    async def search(self, object_type: str, prop: str, value: str, limit: int = 10) -> list[dict[str, Any]]:
        body = {"filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}],
                "properties": [prop], "limit": limit}
        answer = await self.request("POST", objects_path(self.version, object_type) + "/search", body)
        results = answer.get("results") if isinstance(answer, dict) else None
        return [r for r in results or [] if isinstance(r, dict)]

    async def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        """The default association between two records (``PUT /crm/v4/.../associations/default/...``)."""
        await self.request("PUT", f"/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}")


def association(to_id: str, type_id: int) -> dict[str, Any]:
    """One ``associations`` entry of a create body."""
    return {"to": {"id": to_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}
