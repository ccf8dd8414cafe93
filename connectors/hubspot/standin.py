"""``livehub standin hubspot``: a HubSpot account's CRM API, for the HubSpot connector's whole code path.

Protocol routes (HubSpot's shapes; the objects API at ``/crm/v3/objects/<type>`` and, date-versioned,
``/crm/objects/<YYYY-MM>/<type>``; types ``contacts``, ``deals``, ``notes``):

* ``POST .../<type>/batch/upsert`` ``{"inputs": [{"idProperty", "id", "properties"}]}`` — at most 100 inputs,
  the id property must be a unique property of the type, no id twice in a batch; answers ``{"status":
  "COMPLETE", "results": [...]}`` (records with ``new``);
* ``POST .../<type>`` (create, with ``associations``), ``POST .../<type>/search`` (``EQ`` filters),
  ``GET .../<type>[?limit&after]``, ``GET .../<type>/<id>``;
* ``PUT /crm/v4/objects/<type>/<id>/associations/default/<type>/<id>``.

Checks as HubSpot makes them: a bearer token (401 ``INVALID_AUTHENTICATION``); properties the portal does not
have and malformed emails (400 ``VALIDATION_ERROR`` with ``errors[].context.propertyName``); an email another
contact has (409 ``CONFLICT``); a rolling window of ``rate_max`` requests per ``interval_ms`` and a daily
allowance, reported on every answer in ``X-HubSpot-RateLimit-*`` headers, 429 ``RATE_LIMIT`` with
``Retry-After`` past them. The shared control API adds outages (503) and forced 429s.

Records live in memory; :meth:`HubSpotStandin.records` gives them to tests.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from hub.events import Event
from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.standin import Standin, _json

PROPERTIES = {
    "contacts": {"email", "firstname", "lastname", "phone", "livehub_key", "lifecyclestage"},
    "deals": {"dealname", "amount", "dealstage", "pipeline", "deal_currency_code", "closedate", "livehub_deal_key"},
    "notes": {"hs_note_body", "hs_timestamp", "hubspot_owner_id", "livehub_write_key"},
}
UNIQUE = {"contacts": ("email", "livehub_key"), "deals": ("livehub_deal_key",), "notes": ()}
VERSION = re.compile(r"^v3$|^\d{4}-\d{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BATCH_LIMIT = 100


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HubSpotProblem(Exception):
    def __init__(self, status: int, message: str, category: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.category, self.fields = status, category, fields or []


class HubSpotStandin(Standin):
    system = "hubspot"
    secret_env = {"token": "HUBSPOT_TOKEN"}
    room_bound = False

    def __init__(self, *, token: str = "pat-na1-standin-0000", rate_max: int = 100, interval_ms: int = 10_000,
                 daily_max: int = 250_000, **kw: Any) -> None:
        super().__init__(**kw)
        self.token = token
        self.rate_max, self.interval_ms, self.daily_max = rate_max, interval_ms, daily_max
        self.objects: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in PROPERTIES}
        self.associations: set[tuple[str, str, str, str]] = set()
        self._ids = itertools.count(1001)
        self._window: deque[float] = deque()
        self.daily_used = 0
        self.refused = {"auth": 0, "rate_limit": 0, "validation": 0}

    def connector_settings(self) -> dict[str, Any]:
        return {"api_base": self.url, "token": self.token}

    async def deliver(self, event: Event) -> Any:
        raise ValueError("a CRM carries no viewer events")

    def notes(self) -> list[str]:
        return [f"a HubSpot portal: {self.rate_max} requests per {self.interval_ms} ms, custom unique properties "
                "livehub_key (contacts) and livehub_deal_key (deals)"]

    def state(self) -> dict[str, Any]:
        return {**super().state(), **{kind: len(rows) for kind, rows in self.objects.items()},
                "associations": len(self.associations), "daily_used": self.daily_used, "refused": dict(self.refused)}

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The stored records of ``kind`` (contacts, deals, notes), oldest first, with their associations."""
        out = []
        for record in self.objects[kind].values():
            linked = sorted((t, i) for (f, fid, t, i) in self.associations if (f, fid) == (kind, record["id"]))
            out.append({**record, "associations": linked})
        return out

    # -- routes ---------------------------------------------------------------------------------

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        for base in ("/crm/{version}/objects/{kind}", "/crm/objects/{version}/{kind}"):
            router.add_post(base + "/batch/upsert", self._guarded(self._batch_upsert))
            router.add_post(base + "/batch/create", self._guarded(self._batch_create))
            router.add_post(base + "/search", self._guarded(self._search))
            router.add_post(base, self._guarded(self._create))
            router.add_get(base, self._guarded(self._list))
            router.add_get(base + "/{id}", self._guarded(self._get))
        router.add_put("/crm/v4/objects/{kind}/{id}/associations/default/{to}/{to_id}", self._guarded(self._associate))

    def _guarded(self, handler: Any) -> Any:
        async def run(request: web.Request) -> web.StreamResponse:
            headers = {}
            try:
                self._authorise(request)
                headers = self._rate(request)
                version = request.match_info.get("version")
                if version is not None and not VERSION.match(version):
                    raise HubSpotProblem(404, f"Unknown API version {version[:20]}", "OBJECT_NOT_FOUND")
                kind = request.match_info.get("kind", "")
                if kind not in PROPERTIES:
                    raise HubSpotProblem(400, f"Unable to infer object type from: {kind[:40]}", "VALIDATION_ERROR")
                status, body = await handler(request, kind)
            except HubSpotProblem as problem:
                status, body = problem.status, self._error(problem)
                headers = {**headers, **getattr(problem, "headers", {})}
                if problem.status == 429:
                    headers["Retry-After"] = str(max(1, round(self.interval_ms / 1000)))
            if body is None:
                return web.Response(status=status, headers=headers)
            return _json(body, status=status, headers=headers)

        return run

    def _authorise(self, request: web.Request) -> None:
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            self.refused["auth"] += 1
            raise HubSpotProblem(401, "Authentication credentials not found. This API supports OAuth 2.0 "
                                 "authentication and you can find more details at https://developers.hubspot.com/"
                                 "docs/methods/auth/oauth-overview", "INVALID_AUTHENTICATION")

    def _rate(self, request: web.Request) -> dict[str, str]:
        now = time.monotonic()
        while self._window and now - self._window[0] >= self.interval_ms / 1000:
            self._window.popleft()
        over = len(self._window) >= self.rate_max or self.daily_used >= self.daily_max or self.take_rate_limit()
        if not over:
            self._window.append(now)
            self.daily_used += 1
        headers = {"X-HubSpot-RateLimit-Max": str(self.rate_max),
                   "X-HubSpot-RateLimit-Remaining": str(max(0, self.rate_max - len(self._window))),
                   "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.interval_ms),
                   "X-HubSpot-RateLimit-Daily": str(self.daily_max),
                   "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily_max - self.daily_used))}
        if over:
            self.refused["rate_limit"] += 1
            problem = HubSpotProblem(429, "You have reached your ten_secondly_rolling limit.", "RATE_LIMIT")
            problem.headers = headers  # type: ignore[attr-defined]
            raise problem
        return headers

    def _error(self, problem: HubSpotProblem) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "error", "message": str(problem), "correlationId": str(uuid.uuid4()),
                                "category": problem.category}
        if problem.status == 429:
            body.update(errorType="RATE_LIMIT", policyName="TEN_SECONDLY_ROLLING")
        if problem.fields:
            body["errors"] = [{"message": f"Property \"{name}\" is not valid", "code": "INVALID_PROPERTY",
                               "context": {"propertyName": [name]}} for name in problem.fields]
        return body

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = load_json(await request.read())
        except JsonBodyError as exc:
            raise HubSpotProblem(400, f"Invalid input JSON: {exc}", "VALIDATION_ERROR") from None
        if not isinstance(body, dict):
            raise HubSpotProblem(400, "Invalid input JSON: expected an object", "VALIDATION_ERROR")
        return body

    # -- records --------------------------------------------------------------------------------

    def _check(self, kind: str, properties: Any, own_id: str | None) -> dict[str, str]:
        if not isinstance(properties, dict):
            raise HubSpotProblem(400, "Invalid input JSON: properties must be an object", "VALIDATION_ERROR")
        unknown = [name for name in properties if name not in PROPERTIES[kind]]
        if unknown:
            self.refused["validation"] += 1
            raise HubSpotProblem(400, f"Property values were not valid: {', '.join(unknown)} does not exist",
                                 "VALIDATION_ERROR", unknown)
        values = {name: "" if value is None else str(value) for name, value in properties.items()}
        email = values.get("email")
        if email is not None and kind == "contacts":
            if not EMAIL.match(email):
                self.refused["validation"] += 1
                raise HubSpotProblem(400, f"Property values were not valid: Email address {email[:80]} is invalid",
                                     "VALIDATION_ERROR", ["email"])
            values["email"] = email.lower()
            holder = self._find(kind, "email", values["email"])
            if holder is not None and holder["id"] != own_id:
                raise HubSpotProblem(409, f"Contact already exists. Existing ID: {holder['id']}", "CONFLICT")
        return values

    def _find(self, kind: str, prop: str, value: str) -> dict[str, Any] | None:
        value = value.lower() if prop == "email" else value
        return next((r for r in self.objects[kind].values() if r["properties"].get(prop) == value), None)

    def _write(self, kind: str, record: dict[str, Any] | None, values: dict[str, str]) -> dict[str, Any]:
        now = _now()
        if record is None:
            rid = str(next(self._ids))
            record = {"id": rid, "properties": {"hs_object_id": rid, "createdate": now}, "createdAt": now,
                      "archived": False}
            self.objects[kind][rid] = record
        record["properties"].update(values)
        record["properties"]["lastmodifieddate"] = now
        record["updatedAt"] = now
        return record

    async def _batch_upsert(self, request: web.Request, kind: str) -> tuple[int, Any]:
        inputs = (await self._body(request)).get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise HubSpotProblem(400, "Invalid input JSON: inputs must be a non-empty list", "VALIDATION_ERROR")
        if len(inputs) > BATCH_LIMIT:
            raise HubSpotProblem(400, f"Batch input size {len(inputs)} exceeds the limit of {BATCH_LIMIT}",
                                 "VALIDATION_ERROR")
        ids = [str(i.get("id")) if isinstance(i, dict) else "" for i in inputs]
        if len(set(ids)) != len(ids):
            raise HubSpotProblem(400, "Duplicate IDs found in batch input", "VALIDATION_ERROR")
        planned = []
        for item in inputs:  # all checked before any is written: a refused batch writes nothing
            prop = item.get("idProperty") if isinstance(item, dict) else None
            if prop not in UNIQUE[kind]:
                raise HubSpotProblem(400, f"Property {str(prop)[:40]} is not a unique identifier property of "
                                     f"{kind}", "VALIDATION_ERROR", [str(prop)[:40]])
            value = str(item.get("id") or "")
            if not value:
                raise HubSpotProblem(400, "Invalid input JSON: id is required", "VALIDATION_ERROR", [prop])
            record = self._find(kind, prop, value)
            values = self._check(kind, {**(item.get("properties") or {}), prop: value}, record and record["id"])
            planned.append((record, values))
        results = []
        for record, values in planned:
            new = record is None
            stored = self._write(kind, record, values)
            self.record("api", op=f"{kind}.upsert", id=stored["id"], new=new)
            results.append({**stored, "new": new})
        return 200, {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}

    async def _create(self, request: web.Request, kind: str) -> tuple[int, Any]:
        record = self._make(kind, await self._body(request))
        self.record("api", op=f"{kind}.create", id=record["id"])
        return 201, record

    async def _batch_create(self, request: web.Request, kind: str) -> tuple[int, Any]:
        inputs = (await self._body(request)).get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise HubSpotProblem(400, "Invalid input JSON: inputs must be a non-empty list", "VALIDATION_ERROR")
        if len(inputs) > BATCH_LIMIT:
            raise HubSpotProblem(400, f"Batch input size {len(inputs)} exceeds the limit of {BATCH_LIMIT}",
                                 "VALIDATION_ERROR")
        for item in inputs:  # all checked before any is made: a refused batch makes nothing
            self._make(kind, item if isinstance(item, dict) else {}, dry=True)
        results = [self._make(kind, item) for item in inputs]
        self.record("api", op=f"{kind}.batch_create", ids=[r["id"] for r in results])
        results.reverse()  # HubSpot promises no order
        return 201, {"status": "COMPLETE", "results": results, "startedAt": _now(), "completedAt": _now()}

    def _make(self, kind: str, body: dict[str, Any], *, dry: bool = False) -> dict[str, Any]:
        values = self._check(kind, body.get("properties") or {}, None)
        for key in UNIQUE[kind]:
            if values.get(key) and self._find(kind, key, values[key]) is not None:
                raise HubSpotProblem(409, f"A {kind[:-1]} with {key} {values[key][:60]} already exists", "CONFLICT")
        links = []
        for entry in body.get("associations") or []:
            to_id = str(((entry or {}).get("to") or {}).get("id") or "")
            if to_id not in self.objects["contacts"] and to_id not in self.objects["deals"]:
                raise HubSpotProblem(400, f"Object {to_id[:40]} does not exist for the association",
                                     "VALIDATION_ERROR")
            links.append(("contacts" if to_id in self.objects["contacts"] else "deals", to_id))
        if dry:
            return {}
        record = self._write(kind, None, values)
        for to, to_id in links:
            self.associations.add((kind, record["id"], to, to_id))
        return record

    async def _search(self, request: web.Request, kind: str) -> tuple[int, Any]:
        body = await self._body(request)
        rows = list(self.objects[kind].values())
        for group in body.get("filterGroups") or []:
            for f in (group or {}).get("filters") or []:
                if f.get("operator") != "EQ":
                    raise HubSpotProblem(400, "only EQ filters in this stand-in", "VALIDATION_ERROR")
                rows = [r for r in rows if r["properties"].get(f.get("propertyName")) == str(f.get("value"))]
        limit = min(200, int(body.get("limit") or 10))
        return 200, {"total": len(rows), "results": rows[:limit]}

    async def _list(self, request: web.Request, kind: str) -> tuple[int, Any]:
        try:
            limit = min(100, int(request.query.get("limit", "10")))
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise HubSpotProblem(400, "limit and after must be numbers", "VALIDATION_ERROR") from None
        rows = list(self.objects[kind].values())
        page = rows[after:after + limit]
        body: dict[str, Any] = {"results": page}
        if after + limit < len(rows):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return 200, body

    async def _get(self, request: web.Request, kind: str) -> tuple[int, Any]:
        record = self.objects[kind].get(request.match_info["id"])
        if record is None:
            raise HubSpotProblem(404, "resource not found", "OBJECT_NOT_FOUND")
        return 200, record

    async def _associate(self, request: web.Request, kind: str) -> tuple[int, Any]:
        to, rid, to_id = request.match_info["to"], request.match_info["id"], request.match_info["to_id"]
        if rid not in self.objects[kind] or to not in self.objects or to_id not in self.objects[to]:
            raise HubSpotProblem(404, "one of the objects to associate does not exist", "OBJECT_NOT_FOUND")
        self.associations.add((kind, rid, to, to_id))
        self.record("api", op=f"{kind}.associate", id=rid, to=to_id)
        return 200, {"status": "COMPLETE", "results": [{"from": {"id": rid}, "to": {"id": to_id}}]}
