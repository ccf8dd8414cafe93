"""``livehub standin salesforce``: a Salesforce org's OAuth endpoint and REST API, for the connector's whole path.

* ``POST /services/oauth2/token``: the client-credentials flow (consumer key and secret) and the JWT bearer
  flow (the RS256 assertion verified with the connected app's certificate: ``iss``, ``sub``, ``aud``, ``exp``);
  answers ``access_token``, ``instance_url`` (the stand-in), ``issued_at``; a session lasts ``token_ttl_s``,
  then the API answers 401 ``INVALID_SESSION_ID``. Both flows are always accepted; ``flow`` chooses which one
  :meth:`~SalesforceStandin.connector_settings` points a hub at (``"jwt_bearer"``: the stand-in's private key
  and user).
* ``/services/data/`` (versions), ``.../sobjects/<type>`` (create), ``PATCH .../sobjects/<type>/<extField>/
  <value>`` (upsert: 201 created, 200 updated as from API v46.0, or 204 without a body with
  ``update_status=204``; 404 ``NOT_FOUND`` for an unknown external-id field),
  ``PATCH .../composite/sobjects/<type>/<extField>`` (sObject Collections upsert, at most 200, per-record
  results), ``GET .../query?q=`` (``SELECT <fields> FROM <type> [WHERE <field> = '<value>']``, pages with
  ``nextRecordsUrl``), ``GET .../limits``.
* Validation as Salesforce answers it, always an array ``[{"message", "errorCode", "fields"}]``: unknown fields
  (``INVALID_FIELD``), required ones (``REQUIRED_FIELD_MISSING``), bad emails (``INVALID_EMAIL_ADDRESS``),
  malformed ids (``MALFORMED_ID``), dangling ones (``INVALID_CROSS_REFERENCE_KEY``), ids of the wrong object
  (``FIELD_INTEGRITY_EXCEPTION``), long strings (``STRING_TOO_LONG``).
* Every answer carries ``Sforce-Limit-Info: api-usage=<used>/<max>``; past the allowance, 403
  ``REQUEST_LIMIT_EXCEEDED``. The shared control API adds outages (503 ``SERVER_UNAVAILABLE`` on every route,
  the token endpoint's too) and forced limits (the next N API calls answer ``REQUEST_LIMIT_EXCEEDED``).

Objects are in memory (:mod:`.standin_org`); :meth:`SalesforceStandin.records` gives them to tests.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from connectors.salesforce.standin_org import Org, OrgError
from hub.events import Event
from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.standin import Standin, _json

FLOWS = ("client_credentials", "jwt_bearer")
VERSION = "v62.0"
API = "/services/data/{version}"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SalesforceStandin(Standin):
    """A Salesforce org (see the module docstring). ``token_ttl_s``: how long a session lasts; ``api_max``: the
    API allowance; ``page_size``: records per query page; ``username``: the JWT bearer flow's user; ``flow``:
    the OAuth flow :meth:`connector_settings` uses; ``update_status``: 200 or 204 for an upsert that updates."""

    system = "salesforce"
    secret_env = {"client_secret": "SALESFORCE_CLIENT_SECRET", "private_key": "SALESFORCE_PRIVATE_KEY"}
    room_bound = False

    def __init__(self, *, token_ttl_s: float = 7200.0, api_max: int = 15_000, page_size: int = 2000,
                 username: str = "livehub@example.com", flow: str = "client_credentials", update_status: int = 200,
                 **kw: Any) -> None:
        if flow not in FLOWS:
            raise ValueError(f"flow: one of {', '.join(FLOWS)}")
        if update_status not in (200, 204):
            raise ValueError("update_status: 200 or 204")
        super().__init__(**kw)
        self.flow, self.update_status = flow, update_status
        self.client_id = "3MVG9standin" + secrets.token_hex(8)
        self.client_secret = secrets.token_hex(16)
        self.username = username
        self.token_ttl_s, self.api_max = token_ttl_s, api_max
        self.org = Org(page_size=page_size)
        self.api_used = 0
        self.tokens: dict[str, float] = {}  # access token → expiry (time.time)
        self.issued = {"client_credentials": 0, "jwt_bearer": 0}
        self.refused = {"token": 0, "session": 0, "limit": 0}
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def connector_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"token_url": f"{self.url}/services/oauth2/token", "client_id": self.client_id}
        if self.flow == "jwt_bearer":
            return {**settings, "private_key": self.private_key_pem(), "username": self.username}
        return {**settings, "client_secret": self.client_secret}

    def private_key_pem(self) -> str:
        """The connected app's private key (its certificate's public key verifies the JWT bearer flow)."""
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()

    async def deliver(self, event: Event) -> Any:
        raise ValueError("a CRM carries no viewer events")

    def notes(self) -> list[str]:
        return [f"a Salesforce org (API {VERSION}): Contact, Lead, Task, Opportunity with external-id fields "
                f"LiveHub_Key__c, LiveHub_Write_Key__c, LiveHub_Deal_Key__c; {self.api_max} API calls a day"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), **self.org.counts(), "api_used": self.api_used, "issued": dict(self.issued),
                "refused": dict(self.refused)}

    def records(self, sobject: str) -> list[dict[str, Any]]:
        """The org's records of ``sobject``, oldest first."""
        return self.org.records(sobject)

    def outage_response(self, request: web.Request) -> web.StreamResponse:
        """Salesforce's own form of an outage: 503 with an error array."""
        return _json([{"message": "Service temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}], 503,
                     headers={"Retry-After": str(max(1, math.ceil(self.outage_left())))})

    def expire_tokens(self) -> None:
        """End every session at once (the next API call answers 401 ``INVALID_SESSION_ID``)."""
        self.tokens.clear()

    # -- routes ---------------------------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/services/oauth2/token", self._token)
        router.add_get("/services/data/", self._versions)
        router.add_route("*", API + "/{rest:.*}", self._api)

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: v[0] for k, v in parse_qs((await request.read()).decode("utf-8", "replace")).items()}
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            ok = form.get("client_id") == self.client_id and form.get("client_secret") == self.client_secret
            flow = "client_credentials"
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            ok, flow = self._jwt_ok(form.get("assertion", ""), f"{request.scheme}://{request.host}"), "jwt_bearer"
        else:
            return _json({"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400)
        if not ok:
            self.refused["token"] += 1
            return _json({"error": "invalid_client" if flow == "client_credentials" else "invalid_grant",
                          "error_description": "invalid client credentials" if flow == "client_credentials"
                          else "invalid assertion"}, 400)
        token = "00Dstandin!" + secrets.token_urlsafe(24)
        now = time.time()
        self.tokens[token] = now + self.token_ttl_s
        self.issued[flow] += 1
        self.record("token", flow=flow)
        return _json({"access_token": token, "instance_url": self.url, "id": f"{self.url}/id/00D/005",
                      "token_type": "Bearer", "issued_at": str(int(now * 1000)), "scope": "api"})

    def _jwt_ok(self, assertion: str, audience: str) -> bool:
        try:
            header, claims, signature = assertion.split(".")
            self.key.public_key().verify(_unb64(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(),
                                         hashes.SHA256())
            head, body = json.loads(_unb64(header)), json.loads(_unb64(claims))
        except (ValueError, InvalidSignature):
            return False
        return (head.get("alg") == "RS256" and body.get("iss") == self.client_id and body.get("sub") == self.username
                and body.get("aud") == audience and isinstance(body.get("exp"), int) and body["exp"] > time.time())

    async def _versions(self, request: web.Request) -> web.Response:
        return _json([{"label": "Winter '25", "url": f"/services/data/{VERSION}", "version": VERSION[1:]}])

    async def _api(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        expiry = self.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if expiry is None or expiry <= time.time():
            self.refused["session"] += 1
            return _json([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401)
        if self.api_used >= self.api_max or self.take_rate_limit():
            self.refused["limit"] += 1
            return self._answer(403, [{"message": "TotalRequests Limit exceeded.", "errorCode":
                                       "REQUEST_LIMIT_EXCEEDED"}])
        self.api_used += 1
        if request.match_info["version"] != VERSION:
            return self._answer(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])
        body: Any = None
        if request.method in ("POST", "PATCH"):
            try:
                body = load_json(await request.read())
            except JsonBodyError as exc:
                return self._answer(400, [{"message": f"JSON parser error: {exc}", "errorCode": "JSON_PARSER_ERROR"}])
        try:
            status, answer = self._route(request.method, request.match_info["rest"], request.query, body)
        except OrgError as exc:
            return self._answer(exc.status, exc.errors)
        return self._answer(status, answer)

    def _answer(self, status: int, body: Any) -> web.Response:
        headers = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_max}"}
        if body is None:
            return web.Response(status=status, headers=headers)
        return _json(body, status=status, headers=headers)

    def _route(self, method: str, rest: str, query: Any, body: Any) -> tuple[int, Any]:
        parts = [p for p in rest.split("/") if p]
        org = self.org
        if method == "GET" and parts == ["limits"]:
            return 200, {"DailyApiRequests": {"Max": self.api_max, "Remaining": self.api_max - self.api_used}}
        if method == "GET" and parts[:1] == ["query"]:
            if len(parts) == 2:
                return 200, org.next_page(parts[1], f"/services/data/{VERSION}/query")
            return 200, org.query(query.get("q", ""), f"/services/data/{VERSION}/query")
        if parts[:2] == ["composite", "sobjects"] and len(parts) == 4 and method == "PATCH":
            return 200, org.collection_upsert(parts[2], parts[3], body)
        if parts[:1] == ["sobjects"]:
            if len(parts) == 2 and method == "POST":
                record = org.create(parts[1], body)
                self.record("api", op=f"{parts[1]}.create", id=record)
                return 201, {"id": record, "success": True, "errors": []}
            if len(parts) == 4 and method == "PATCH":
                record, created = org.upsert(parts[1], parts[2], parts[3], body)
                self.record("api", op=f"{parts[1]}.upsert", id=record, created=created)
                if not created and self.update_status == 204:
                    return 204, None
                return (201 if created else 200), {"id": record, "success": True, "errors": [], "created": created}
            if len(parts) == 3 and method == "GET":
                return 200, org.get(parts[1], parts[2])
        raise OrgError(404, "The requested resource does not exist", "NOT_FOUND")

