"""A small async client of the Salesforce REST API: OAuth 2.0 for servers, sObject upserts by external id,
creates, sObject Collections and queries. Nothing here knows the hub.

* **OAuth**: the client-credentials flow (``client_id`` + ``client_secret``) or the JWT bearer flow (an RS256
  assertion signed with the connected app's private key: ``iss`` the client id, ``sub`` the user, ``aud`` the
  login host, ``exp`` three minutes on), posted to the token URL (a setting: ``login.salesforce.com``,
  ``test.salesforce.com`` or the org's My Domain). The answer gives ``access_token`` and ``instance_url``. The
  token is fetched again before it expires (``token_ttl_s`` after it was issued, less a margin) and once when
  the API answers 401 ``INVALID_SESSION_ID``.
* **Errors**: Salesforce answers errors as an array ``[{"message", "errorCode", "fields"}]`` (a single object
  in some documented examples: both are read) → :class:`SalesforceError` with every entry; refused credentials
  → :class:`SalesforceAuthError`; 5xx, 429, no answer, ``REQUEST_LIMIT_EXCEEDED`` and the codes of a passing
  condition (:data:`TRANSIENT_CODES`, e.g. ``UNABLE_TO_LOCK_ROW``) → :class:`SalesforceUnavailable`.
* **Limits**: every answer's ``Sforce-Limit-Info: api-usage=<used>/<max>`` is kept (:attr:`api_usage`).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["SalesforceClient", "SalesforceError", "SalesforceAuthError", "SalesforceUnavailable", "parse_errors",
           "error_for", "jwt_assertion", "COLLECTION_LIMIT", "TRANSIENT_CODES"]

COLLECTION_LIMIT = 200
"""Records per sObject Collections request."""
REFRESH_MARGIN_S = 300.0
JWT_LIFETIME_S = 180
TRANSIENT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE",
                             "REQUEST_RUNNING_TOO_LONG", "QUERY_TIMEOUT", "CONCURRENT_REQUEST_LIMIT_EXCEEDED"})
"""Error codes of a passing condition (the allowance, a locked row, a busy org): worth trying again."""
AUTH_CODES = frozenset({"invalid_grant", "invalid_client", "invalid_client_id", "INVALID_AUTH_HEADER"})


class SalesforceError(Exception):
    """Salesforce refused a request: ``status`` (HTTP) and ``errors`` (its ``{message, errorCode, fields}``
    entries); ``code`` is the first error code, ``fields`` every field named."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        self.status, self.errors = status, errors
        self.code = str(errors[0].get("errorCode") or errors[0].get("statusCode") or "") if errors else ""
        names: list[str] = []
        for error in errors:
            fields = error.get("fields")
            names += [str(f) for f in fields if isinstance(f, (str, int))] if isinstance(fields, list) else []
        self.fields = list(dict.fromkeys(names))
        text = "; ".join(f"{e.get('errorCode') or e.get('statusCode') or 'ERROR'}: {e.get('message') or ''}"
                         for e in errors) or f"HTTP {status}"
        super().__init__(text[:2000])


class SalesforceAuthError(SalesforceError):
    """Credentials refused (by the token endpoint, or a 401 right after a new token)."""


class SalesforceUnavailable(SalesforceError):
    """Worth retrying later: a 5xx, no answer, or the org's API allowance used up."""


def _entries(data: Any) -> list[dict[str, Any]]:
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    out = []
    for item in items[:50]:
        if isinstance(item, dict):
            fields = item.get("fields")
            out.append({"message": str(item.get("message") or item.get("error_description") or "")[:500],
                        "errorCode": str(item.get("errorCode") or item.get("statusCode") or item.get("error") or
                                         "")[:100],
                        "fields": [str(f)[:100] for f in fields if isinstance(f, (str, int))]
                        if isinstance(fields, list) else []})
    return out


def parse_errors(status: int, body: bytes) -> SalesforceError:
    """The error a non-2xx answer means; never raises itself, whatever ``body`` holds."""
    try:
        data = json.loads(body.decode("utf-8", "replace")) if body else None
    except ValueError:
        data = None
    return error_for(status, _entries(data) or [{"message": f"HTTP {status}", "errorCode": "", "fields": []}])


def error_for(status: int, errors: list[dict[str, Any]]) -> SalesforceError:
    """The error class ``errors`` (Salesforce's entries, ``errorCode`` or a collection's ``statusCode``) with
    ``status`` mean: unavailable (retry later), refused credentials, or a refusal of the request itself."""
    codes = {str(e.get("errorCode") or e.get("statusCode") or "") for e in errors}
    if status >= 500 or status in (0, 429) or codes & TRANSIENT_CODES:
        return SalesforceUnavailable(status, errors)
    if status == 401 or codes & AUTH_CODES:
        return SalesforceAuthError(status, errors)
    return SalesforceError(status, errors)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_assertion(client_id: str, username: str, audience: str, private_key_pem: str, now: float | None = None
                  ) -> str:
    """An RS256-signed JWT for the OAuth 2.0 JWT bearer flow."""
    now = time.time() if now is None else now
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = _b64(json.dumps({"iss": client_id, "sub": username, "aud": audience, "exp": int(now) + JWT_LIFETIME_S},
                             separators=(",", ":")).encode())
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the JWT bearer flow needs an RSA private key")
    signature = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{_b64(signature)}"


class SalesforceClient:
    """One org's REST API (see the module docstring). ``session``: an aiohttp session to share (the caller closes
    it); without one the client opens its own and :meth:`close` closes it."""

    def __init__(self, token_url: str, client_id: str, *, client_secret: str | None = None,
                 private_key: str | None = None, username: str | None = None, audience: str | None = None,
                 api_version: str = "v62.0", instance_url: str | None = None, token_ttl_s: float = 7200.0,
                 timeout_s: float = 15.0, session: aiohttp.ClientSession | None = None) -> None:
        if not client_secret and not (private_key and username):
            raise ValueError("a client secret, or a private key and a username (JWT bearer flow)")
        self.token_url, self.client_id = token_url, client_id
        self.client_secret, self.private_key, self.username = client_secret, private_key, username
        parts = urlsplit(token_url)
        self.audience = audience or f"{parts.scheme}://{parts.netloc}"
        self.api_version, self.fixed_instance = api_version, instance_url
        self.token_ttl_s = token_ttl_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.instance_url = instance_url or ""
        self.api_usage: tuple[int, int] | None = None
        self.tokens_fetched = 0
        self._token = ""
        self._expires = 0.0
        self._shared = session
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the session the client opened (a shared one is the caller's)."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._shared is not None:
            return self._shared
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    # -- OAuth ------------------------------------------------------------------------------------------

    async def token(self, *, fresh: bool = False) -> str:
        """A valid access token, fetched again shortly before it expires (or when ``fresh``)."""
        if fresh or not self._token or time.time() >= self._expires - REFRESH_MARGIN_S:
            await self._fetch_token()
        return self._token

    async def _fetch_token(self) -> None:
        if self.client_secret:
            form = {"grant_type": "client_credentials", "client_id": self.client_id,
                    "client_secret": self.client_secret}
        else:
            assertion = jwt_assertion(self.client_id, self.username or "", self.audience, self.private_key or "")
            form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        try:
            async with self._http().post(self.token_url, data=form) as resp:
                raw = await resp.read()
                if resp.status != 200:
                    error = parse_errors(resp.status, raw)
                    if isinstance(error, SalesforceUnavailable):
                        raise error
                    raise SalesforceAuthError(resp.status, error.errors)
                data = json.loads(raw)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SalesforceUnavailable(0, [{"message": f"{type(exc).__name__}: {exc}", "errorCode": "",
                                             "fields": []}]) from None
        except ValueError:
            raise SalesforceUnavailable(0, [{"message": "a token answer that is not JSON", "errorCode": "",
                                             "fields": []}]) from None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise SalesforceAuthError(200, [{"message": "no access_token in the answer", "errorCode": "",
                                             "fields": []}])
        self._token = str(data["access_token"])
        self.instance_url = self.fixed_instance or str(data.get("instance_url") or self.instance_url)
        try:
            issued = min(float(data.get("issued_at") or 0) / 1000 or time.time(), time.time())
        except (TypeError, ValueError):  # (an org clock ahead of ours never stretches the session)
            issued = time.time()
        ttl = float(data["expires_in"]) if isinstance(data.get("expires_in"), (int, float)) else self.token_ttl_s
        self._expires = issued + ttl
        self.tokens_fetched += 1

    # -- requests ---------------------------------------------------------------------------------------

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one API request; (status, JSON answer or None). Raises a :class:`SalesforceError`."""
        for attempt in range(2):
            token = await self.token(fresh=attempt > 0)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                       "Accept": "application/json"}
            url = path if path.startswith("http") else self.instance_url.rstrip("/") + path
            try:
                async with self._http().request(method, url, headers=headers,
                                                data=None if body is None else json.dumps(body)) as resp:
                    self._track(resp.headers.get("Sforce-Limit-Info"))
                    raw = await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise SalesforceUnavailable(0, [{"message": f"{type(exc).__name__}: {exc}", "errorCode": "",
                                                 "fields": []}]) from None
            if status == 401 and attempt == 0:
                continue  # INVALID_SESSION_ID: the session ended early; one new token, then as answered
            if status >= 300:
                error = parse_errors(status, raw)
                raise SalesforceAuthError(status, error.errors) if status == 401 else error
            try:
                return status, (json.loads(raw) if raw else None)
            except ValueError:
                raise SalesforceUnavailable(status, [{"message": "an answer that is not JSON", "errorCode": "",
                                                      "fields": []}]) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _track(self, header: str | None) -> None:
        if not header:
            return
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            if name == "api-usage" and "/" in value:
                used, _, most = value.partition("/")
                try:
                    self.api_usage = (int(used), int(most))
                except ValueError:
                    return

    def _data(self, path: str) -> str:
        return f"/services/data/{self.api_version}{path}"

    async def upsert(self, sobject: str, field: str, value: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create or update the ``sobject`` whose external id ``field`` is ``value``: ``{"id", "created"}``. An
        update answered 204 without a body (API versions before v46.0) gives ``"id": ""``."""
        status, data = await self.request("PATCH", self._data(f"/sobjects/{sobject}/{field}/{quote(value, safe='')}"),
                                          fields)
        data = data if isinstance(data, dict) else {}
        return {"id": str(data.get("id") or ""), "created": status == 201 or bool(data.get("created"))}

    async def create(self, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create one ``sobject``: Salesforce's ``{"id", "success", "errors"}``."""
        _, data = await self.request("POST", self._data(f"/sobjects/{sobject}"), fields)
        return data if isinstance(data, dict) else {}

    async def collections_upsert(self, sobject: str, field: str, records: list[dict[str, Any]], *,
                                 all_or_none: bool = False) -> list[dict[str, Any]]:
        """sObject Collections upsert (at most :data:`COLLECTION_LIMIT`; each record carries its ``field``):
        one result per record, ``{id, success, created, errors: [{statusCode, message, fields}]}``."""
        if len(records) > COLLECTION_LIMIT:
            raise ValueError(f"at most {COLLECTION_LIMIT} records per collection")
        body = {"allOrNone": all_or_none, "records": [{"attributes": {"type": sobject}, **r} for r in records]}
        _, data = await self.request("PATCH", self._data(f"/composite/sobjects/{sobject}/{field}"), body)
        return [r if isinstance(r, dict) else {} for r in data] if isinstance(data, list) else []

    async def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record ``soql`` selects (``nextRecordsUrl`` followed until ``done``)."""
        _, data = await self.request("GET", self._data(f"/query?q={quote(soql)}"))
        records: list[dict[str, Any]] = []
        for _ in range(10_000):
            data = data if isinstance(data, dict) else {}
            records += [r for r in data.get("records") or [] if isinstance(r, dict)]
            if data.get("done", True) or not data.get("nextRecordsUrl"):
                return records
            _, data = await self.request("GET", str(data["nextRecordsUrl"]))
        return records
