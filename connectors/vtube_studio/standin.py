"""A VTube Studio stand-in: its public WebSocket API on ``ws://127.0.0.1:<port>/`` (``livehub standin vtube_studio``).

It speaks the API's message shapes (``apiName``, ``apiVersion``, request ids repeated in the answers, UNIX
millisecond timestamps, ``APIError`` with VTube Studio's error ids) and its rules: a request other than
``APIStateRequest`` and the two authentication requests needs an authenticated session (error 8); a token is
issued only if the user allows the plugin (:attr:`VtsStandin.allow`, else error 50) and authenticates only with
the plugin name and developer it was issued to; the user may revoke it (:meth:`VtsStandin.revoke`);
``InjectParameterDataRequest`` refuses unknown parameters (453), values outside ±1,000,000 (451), weights
outside 0..1 (452), unknown modes (455) and an empty list (450); a hotkey is found by id or case-insensitive
name (202 otherwise) and cannot run again within its cooldown (203). It records every parameter value with the
time it arrived (:attr:`VtsStandin.parameters`) and every hotkey run (:attr:`VtsStandin.triggered`), for tests
to compare with the speech that drove them.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import Any

from aiohttp import WSMsgType, web

from connectors.vtube_studio.client import (
    API_NAME,
    API_VERSION,
    VALUE_LIMIT,
    encode,
    now_ms,
    valid_request_id,
)
from hub.events import Event
from hub.standin import Standin

DEFAULT_PARAMETERS = ("FacePositionX", "FacePositionY", "FacePositionZ", "FaceAngleX", "FaceAngleY", "FaceAngleZ",
                      "MouthSmile", "MouthOpen", "Brows", "EyeOpenLeft", "EyeOpenRight", "EyeLeftX", "EyeLeftY",
                      "EyeRightX", "EyeRightY", "MouthX", "VoiceVolume", "VoiceFrequency")
DEFAULT_HOTKEYS = (("Smile", "ToggleExpression", "smile.exp3.json"), ("Wave", "TriggerAnimation", "wave.motion3.json"),
                   ("Thanks", "TriggerAnimation", "bow.motion3.json"), ("Surprised", "ToggleExpression",
                                                                         "surprised.exp3.json"))
OPEN_REQUESTS = ("APIStateRequest", "AuthenticationTokenRequest", "AuthenticationRequest")


class VtsProblem(Exception):
    def __init__(self, error_id: int, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


class VtsStandin(Standin):
    system = "vtube_studio"
    room_bound = False

    def __init__(self, *, allow: bool = True, hotkey_cooldown_s: float = 0.1, model: str = "Hiyori", **kw: Any) -> None:
        super().__init__(**kw)
        self.allow = allow  # what the user clicks when a plugin asks for a token
        self.hotkey_cooldown_s = hotkey_cooldown_s
        self.model = model
        self.tokens: dict[str, tuple[str, str]] = {}  # token → (plugin name, developer)
        self.token_requests = self.authentications = 0
        self.parameters: list[tuple[float, str, float]] = []  # (monotonic time, id, value) as they arrived
        self.triggered: list[tuple[float, str]] = []  # (monotonic time, hotkey id)
        self.errors: dict[int, int] = {}
        self.hotkeys = [{"name": name, "type": kind, "description": f"{kind} {name}", "file": file,
                         "hotkeyID": f"hk-{secrets.token_hex(4)}-{name.lower()}", "keyCombination": [],
                         "onScreenButtonID": -1} for name, kind, file in DEFAULT_HOTKEYS]
        self._last_run: dict[str, float] = {}

    def connector_settings(self) -> dict[str, Any]:
        return {"url": self.ws_url}

    @property
    def ws_url(self) -> str:
        return self.url.replace("http", "ws", 1) + "/"

    def connector_table(self, name: str | None = None, *, room: str = "main") -> str:
        """No connector table: VTube Studio is an avatar, not a connector (its backend comes with issue #19)."""
        return f"# VTube Studio's API at {self.ws_url} (what a VTube Studio client connects to)\n"

    async def deliver(self, event: Event) -> Any:
        raise ValueError("VTube Studio carries no viewer events")

    def notes(self) -> list[str]:
        return [f"VTube Studio's API with model {self.model!r}: hotkeys {', '.join(h['name'] for h in self.hotkeys)}; "
                f"the user {'allows' if self.allow else 'denies'} plugins"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), "tokens": len(self.tokens), "token_requests": self.token_requests,
                "authentications": self.authentications, "parameter_values": len(self.parameters),
                "hotkeys_triggered": len(self.triggered), "errors": dict(self.errors)}

    def revoke(self) -> None:
        """The user revokes every plugin's access (their tokens no longer authenticate)."""
        self.tokens.clear()

    def values(self, parameter: str) -> list[tuple[float, float]]:
        """``(time, value)`` of every value ``parameter`` was given, in arrival order."""
        return [(t, v) for t, name, v in self.parameters if name == parameter]

    # -- the API ----------------------------------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self._socket)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=1024 * 1024)
        await ws.prepare(request)
        session = {"authenticated": False}
        async for frame in ws:
            if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            request_id = ""
            try:
                body, request_id = self._read(frame.data)
                kind = body["messageType"]
                self.record("request", messageType=kind)
                if not session["authenticated"] and kind not in OPEN_REQUESTS:
                    raise VtsProblem(8, "This request requires authentication.")
                answer_type, data = self._answer(kind, body.get("data") or {}, session)
            except VtsProblem as problem:
                self.errors[problem.error_id] = self.errors.get(problem.error_id, 0) + 1
                answer_type, data = "APIError", {"errorID": problem.error_id, "message": str(problem)}
            await ws.send_str(self._stamped(answer_type, request_id or secrets.token_hex(16), data))
        return ws

    @staticmethod
    def _stamped(message_type: str, request_id: str, data: dict[str, Any]) -> str:
        text = encode(message_type, request_id, data)
        return text[:-1] + f',"timestamp":{now_ms()}}}'

    @staticmethod
    def _read(raw: str | bytes) -> tuple[dict[str, Any], str]:
        import json

        try:
            body = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise VtsProblem(2, "The JSON payload is invalid.") from None
        if not isinstance(body, dict):
            raise VtsProblem(2, "The JSON payload is invalid.")
        request_id = body.get("requestID")
        if request_id is not None and not valid_request_id(request_id):
            raise VtsProblem(5, "requestID must be 1 to 64 ASCII characters.")
        if body.get("apiName") != API_NAME:
            raise VtsProblem(3, f"apiName must be {API_NAME}.")
        if body.get("apiVersion") != API_VERSION:
            raise VtsProblem(4, f"apiVersion {body.get('apiVersion')!r} is not supported.")
        kind = body.get("messageType")
        if not isinstance(kind, str) or not kind:
            raise VtsProblem(6, "messageType is missing or empty.")
        if body.get("data") is not None and not isinstance(body["data"], dict):
            raise VtsProblem(2, "data must be a JSON object.")
        return body, request_id or ""

    def _answer(self, kind: str, data: dict[str, Any], session: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if kind == "APIStateRequest":
            return "APIStateResponse", {"active": True, "vTubeStudioVersion": "1.28.0",
                                        "currentSessionAuthenticated": session["authenticated"]}
        if kind == "AuthenticationTokenRequest":
            return "AuthenticationTokenResponse", self._token(data)
        if kind == "AuthenticationRequest":
            return "AuthenticationResponse", self._authenticate(data, session)
        if kind == "InjectParameterDataRequest":
            self._inject(data)
            return "InjectParameterDataResponse", {}
        if kind == "HotkeysInCurrentModelRequest":
            return "HotkeysInCurrentModelResponse", {"modelLoaded": True, "modelName": self.model,
                                                     "modelID": f"model-{self.model.lower()}",
                                                     "availableHotkeys": self.hotkeys}
        if kind == "HotkeyTriggerRequest":
            return "HotkeyTriggerResponse", {"hotkeyID": self._trigger(data)}
        raise VtsProblem(7, f"Unknown request type {kind[:64]!r}.")

    def _identity(self, data: dict[str, Any]) -> tuple[str, str]:
        name, developer = data.get("pluginName"), data.get("pluginDeveloper")
        if not isinstance(name, str) or not 3 <= len(name) <= 32:
            raise VtsProblem(52, "pluginName must be 3 to 32 characters.")
        if not isinstance(developer, str) or not 3 <= len(developer) <= 32:
            raise VtsProblem(53, "pluginDeveloper must be 3 to 32 characters.")
        return name, developer

    def _token(self, data: dict[str, Any]) -> dict[str, Any]:
        identity = self._identity(data)
        self.token_requests += 1
        if not self.allow:
            raise VtsProblem(50, "User has denied API access for your plugin.")
        token = secrets.token_hex(32)
        self.tokens[token] = identity
        return {"authenticationToken": token}

    def _authenticate(self, data: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
        identity = self._identity(data)
        token = data.get("authenticationToken")
        if not isinstance(token, str) or not token:
            raise VtsProblem(100, "authenticationToken is missing.")
        valid = self.tokens.get(token) == identity
        session["authenticated"] = valid
        self.authentications += valid
        return {"authenticated": valid, "reason": "Token valid. The plugin is authenticated for the duration of "
                "this session." if valid else "Token invalid or revoked."}

    def _inject(self, data: dict[str, Any]) -> None:
        mode = data.get("mode", "set")
        if mode not in ("set", "add"):
            raise VtsProblem(455, "mode must be set or add.")
        values = data.get("parameterValues")
        if not isinstance(values, list) or not values:
            raise VtsProblem(450, "No parameter values provided.")
        now, taken = time.monotonic(), []
        for entry in values:
            if not isinstance(entry, dict) or entry.get("id") not in DEFAULT_PARAMETERS:
                name = entry.get("id") if isinstance(entry, dict) else entry
                raise VtsProblem(453, f"Parameter {str(name)[:64]!r} not found.")
            value, weight = entry.get("value"), entry.get("weight", 1.0)
            if (not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value)
                    or abs(value) > VALUE_LIMIT):
                raise VtsProblem(451, f"Value for {entry['id']} is invalid.")
            if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0.0 <= weight <= 1.0:
                raise VtsProblem(452, f"Weight for {entry['id']} must be between 0 and 1.")
            taken.append((now, entry["id"], float(value)))
        self.parameters.extend(taken)  # all or nothing, like VTube Studio

    def _trigger(self, data: dict[str, Any]) -> str:
        wanted = data.get("hotkeyID")
        if not isinstance(wanted, str) or not wanted:
            raise VtsProblem(202, "hotkeyID is missing.")
        hotkey = next((h for h in self.hotkeys if h["hotkeyID"] == wanted or h["name"].lower() == wanted.lower()),
                      None)
        if hotkey is None:
            raise VtsProblem(202, f"Hotkey {wanted[:64]!r} not found in the current model.")
        now = time.monotonic()
        if now - self._last_run.get(hotkey["hotkeyID"], -math.inf) < self.hotkey_cooldown_s:
            raise VtsProblem(203, "Hotkey cooldown not over.")
        self._last_run[hotkey["hotkeyID"]] = now
        self.triggered.append((now, hotkey["hotkeyID"]))
        return str(hotkey["hotkeyID"])
