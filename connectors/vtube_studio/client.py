"""VTube Studio's public WebSocket API (``ws://localhost:8001``): messages, the authentication flow, parameters
and hotkeys. Wire protocol only: nothing here knows the hub (tests drive it against the stand-in).

Every message is a JSON text frame with ``apiName = "VTubeStudioPublicAPI"``, ``apiVersion = "1.0"``, a
``messageType`` and a ``requestID`` (1..64 ASCII characters) that the answer repeats; an answer of type
``APIError`` carries ``data.errorID`` and ``data.message`` (:class:`VtsError`). A plugin authenticates once per
session with a token it got once (``AuthenticationTokenRequest`` makes VTube Studio ask the user to allow the
plugin; the token is kept and reused: :meth:`VtsClient.authenticate`). ``InjectParameterDataRequest`` sets
tracking parameters (``MouthOpen`` 0..1, ...): a value must be sent again at least once a second or VTube
Studio gives the parameter back to face tracking. ``HotkeyTriggerRequest`` runs a hotkey of the loaded model
(an expression, an animation) by id or name.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

API_NAME = "VTubeStudioPublicAPI"
API_VERSION = "1.0"
VALUE_LIMIT = 1_000_000.0
"""Parameter values VTube Studio takes lie within ±this."""

# the error ids of VTube Studio's ErrorID list that this client tells apart
REQUIRES_AUTHENTICATION = 8
TOKEN_DENIED = 50
TOKEN_REQUEST_ONGOING = 51


class VtsError(Exception):
    """VTube Studio answered ``APIError``: ``error_id`` (its ErrorID list) and its message."""

    def __init__(self, error_id: int, message: str, request_type: str = "") -> None:
        super().__init__(f"VTube Studio error {error_id}: {message}" + (f" ({request_type})" if request_type else ""))
        self.error_id, self.message, self.request_type = error_id, message, request_type


class VtsAuthError(VtsError):
    """The plugin is not allowed: the user denied the token request, or revoked the plugin."""


class VtsConnectionError(ConnectionError):
    """The WebSocket is not open, closed while waiting, or an answer did not come in time."""


@dataclass(frozen=True, slots=True)
class VtsMessage:
    """One message of the API, request or answer."""

    message_type: str
    request_id: str
    data: dict[str, Any] = field(default_factory=dict)
    timestamp: int | None = None


def valid_request_id(request_id: Any) -> bool:
    """1..64 printable ASCII characters."""
    return (isinstance(request_id, str) and 1 <= len(request_id) <= 64
            and all(32 <= ord(c) < 127 for c in request_id))


def encode(message_type: str, request_id: str, data: Mapping[str, Any] | None = None) -> str:
    """A request (or, for a server, an answer) as the text frame VTube Studio reads."""
    body: dict[str, Any] = {"apiName": API_NAME, "apiVersion": API_VERSION, "requestID": request_id,
                            "messageType": message_type}
    if data is not None:
        body["data"] = dict(data)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def parse_message(raw: str | bytes) -> VtsMessage:
    """A message of the API from its text (or UTF-8 binary) frame; ValueError says what is wrong with it."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        body = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    if body.get("apiName") != API_NAME:
        raise ValueError(f"apiName is not {API_NAME}")
    if body.get("apiVersion") != API_VERSION:
        raise ValueError(f"apiVersion is not {API_VERSION}")
    kind = body.get("messageType")
    if not isinstance(kind, str) or not kind:
        raise ValueError("messageType missing or empty")
    request_id = body.get("requestID", "")
    if not isinstance(request_id, str):
        raise ValueError("requestID is not a string")
    data = body.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError("data is not a JSON object")
    stamp = body.get("timestamp")
    timestamp = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else None
    return VtsMessage(kind, request_id, data, timestamp)


def parameter_values(values: Mapping[str, float], weight: float | None = None) -> list[dict[str, Any]]:
    """``parameterValues`` of an inject request; ValueError for a value VTube Studio would refuse."""
    out = []
    for name, value in values.items():
        number = float(value)
        if not math.isfinite(number) or abs(number) > VALUE_LIMIT:
            raise ValueError(f"parameter {name}: {value!r} is outside ±{VALUE_LIMIT:g}")
        entry: dict[str, Any] = {"id": name, "value": round(number, 6)}
        if weight is not None:
            entry["weight"] = weight
        out.append(entry)
    return out


class VtsClient:
    """One session with VTube Studio (see the module docstring). Answers are matched to requests by id."""

    def __init__(self, url: str, plugin_name: str, plugin_developer: str, *, timeout: float = 5.0,
                 token_timeout: float = 60.0) -> None:
        self.url, self.plugin_name, self.plugin_developer = url, plugin_name, plugin_developer
        self.timeout, self.token_timeout = timeout, token_timeout
        self.authenticated = False
        self.sent = self.answered = 0
        self._ids = itertools.count(1)
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._waiting: dict[str, asyncio.Future[VtsMessage]] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def connect(self) -> None:
        """Open the WebSocket (VtsConnectionError when VTube Studio does not answer)."""
        await self.close()
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout))
        try:
            self._ws = await self._http.ws_connect(self.url, heartbeat=10.0, max_msg_size=4 * 1024 * 1024)
        except (aiohttp.ClientError, OSError) as exc:
            await self.close()
            raise VtsConnectionError(f"cannot reach VTube Studio at {self.url}: {type(exc).__name__}") from None
        self._reader = asyncio.get_running_loop().create_task(self._read(self._ws), name="vtube-studio:reader")

    async def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        http, self._http = self._http, None
        if http is not None:
            await http.close()
        self._fail_waiting(VtsConnectionError("the session was closed"))
        self.authenticated = False

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for frame in ws:
                if frame.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    break
                try:
                    message = parse_message(frame.data)
                except ValueError:
                    continue  # not an answer of the API: nothing waits for it
                waiter = self._waiting.pop(message.request_id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)
        finally:
            self._fail_waiting(VtsConnectionError("VTube Studio closed the connection"))

    def _fail_waiting(self, error: Exception) -> None:
        waiting, self._waiting = self._waiting, {}
        for waiter in waiting.values():
            if not waiter.done():
                waiter.set_exception(error)

    async def request(self, message_type: str, data: Mapping[str, Any] | None = None, *,
                      timeout: float | None = None) -> dict[str, Any]:
        """Send one request and wait for its answer's ``data``; :class:`VtsError` for an ``APIError``."""
        ws = self._ws
        if ws is None or ws.closed:
            raise VtsConnectionError("not connected to VTube Studio")
        request_id = f"livehub-{next(self._ids)}"
        waiter: asyncio.Future[VtsMessage] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = waiter
        try:
            await ws.send_str(encode(message_type, request_id, data))
            self.sent += 1
            async with asyncio.timeout(timeout or self.timeout):
                answer = await waiter
        except TimeoutError:
            raise VtsConnectionError(f"no answer to {message_type} within {timeout or self.timeout:g} s") from None
        except (ConnectionResetError, aiohttp.ClientError) as exc:
            raise VtsConnectionError(f"sending {message_type} failed: {type(exc).__name__}") from None
        finally:
            self._waiting.pop(request_id, None)
        self.answered += 1
        if answer.message_type == "APIError":
            error_id = answer.data.get("errorID")
            code = error_id if isinstance(error_id, int) else -1
            kind = VtsAuthError if code in (TOKEN_DENIED, REQUIRES_AUTHENTICATION) else VtsError
            raise kind(code, str(answer.data.get("message") or ""), message_type)
        return answer.data

    # -- the calls the hub makes ---------------------------------------------------------------

    async def api_state(self) -> dict[str, Any]:
        return await self.request("APIStateRequest")

    async def authenticate(self, token: str | None) -> str:
        """Authenticate this session with ``token``, or (none, or no longer valid) with a new one the user allows
        in VTube Studio; returns the token to keep. :class:`VtsAuthError` when the user denies it."""
        identity = {"pluginName": self.plugin_name, "pluginDeveloper": self.plugin_developer}
        if token:
            answer = await self.request("AuthenticationRequest", {**identity, "authenticationToken": token})
            if answer.get("authenticated") is True:
                self.authenticated = True
                return token
        answer = await self.request("AuthenticationTokenRequest", identity, timeout=self.token_timeout)
        fresh = answer.get("authenticationToken")
        if not isinstance(fresh, str) or not fresh:
            raise VtsAuthError(TOKEN_DENIED, "no authenticationToken in the answer", "AuthenticationTokenRequest")
        answer = await self.request("AuthenticationRequest", {**identity, "authenticationToken": fresh})
        if answer.get("authenticated") is not True:
            raise VtsAuthError(TOKEN_DENIED, str(answer.get("reason") or "the new token was refused"),
                               "AuthenticationRequest")
        self.authenticated = True
        return fresh

    async def inject(self, values: Mapping[str, float], *, face_found: bool = True, mode: str = "set") -> None:
        """Set (or add to) tracking parameters, e.g. ``{"MouthOpen": 0.7}``."""
        await self.request("InjectParameterDataRequest", {"faceFound": face_found, "mode": mode,
                                                          "parameterValues": parameter_values(values)})

    async def hotkeys(self) -> list[dict[str, Any]]:
        """The hotkeys of the loaded model (``name``, ``type``, ``hotkeyID``, ...); empty when none is loaded."""
        answer = await self.request("HotkeysInCurrentModelRequest")
        found = answer.get("availableHotkeys")
        return [h for h in found if isinstance(h, dict)] if isinstance(found, list) else []

    async def trigger_hotkey(self, hotkey: str) -> str:
        """Run a hotkey of the loaded model by id or (case-insensitive) name; the id VTube Studio ran."""
        answer = await self.request("HotkeyTriggerRequest", {"hotkeyID": hotkey})
        return str(answer.get("hotkeyID") or hotkey)


def now_ms() -> int:
    """The UNIX millisecond timestamp VTube Studio puts in its answers."""
    return int(time.time() * 1000)
