"""Tenants through the API, for the operator (docs/scale-out.md, Tenants).

* ``GET /api/v1/tenants``: every tenant with its title, rooms, connectors and prompt folder (never a token), and
  whether the running hub already serves it as it is now in its file.
* ``PUT /api/v1/tenants/{name}`` ``{"title", "token", "rooms": {...}, "connectors": {...}, "prompts_dir"}``
  writes the tenant's file ``<[hub] tenants_dir>/<name>.toml``. A ``token`` given in the body is written to
  ``<name>.token`` (readable by the hub's user only) and the file refers to it; secrets in connector tables must
  be references (``{"env": "NAME"}`` or ``{"file": "path"}``), as in any config file. The whole config, with the
  new file, is checked first: any problem answers 400 naming it, and nothing is written.
* ``DELETE /api/v1/tenants/{name}`` removes the tenant's file (and its token file), checked the same way.

Both are audited. The running hub reads tenants at start: a change applies at the next start (the answer says
``restart_required``); ``livehub check`` shows what the next start will find.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import tomli_w
from aiohttp import web

from hub.errors import ConfigError
from hub.hookspecs import hookimpl
from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.specs import WebRoute
from hub.web.common import HUB_KEY, json_error, json_response

TAGS = ("tenants",)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
FIELDS = ("title", "token", "rooms", "connectors", "prompts_dir")


def _folder(hub: Any) -> Path:
    """The tenants' folder of the running hub's config (409 when the hub has none)."""
    from hub.tenants import tenants_folder

    config = hub.config
    base = config.path.parent if config.path else None
    folder = tenants_folder(config.hub.tenants_dir, base) if base is not None else None
    if folder is None or not folder.is_dir():
        raise web.HTTPConflict(text="tenants are written to [hub] tenants_dir: set it in the hub's config file "
                                    "(a folder that exists) and start the hub again")
    return folder


def _check(hub: Any, name: str, file: Path | None) -> list[str]:
    """The problems the hub's config would have with tenant ``name``'s file replaced by ``file`` (None: gone)."""
    from hub.app import Hub
    from hub.config import load_config

    try:  # the core sections, then every plugin's and connector's table and the rooms, as a start would
        Hub(load_config(hub.config.path, tenant_files={name: file}), plugins=hub.plugins,
            web=hub.web_enabled).build()
    except ConfigError as exc:
        return list(exc.problems)
    return []


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``path`` whole or not at all (a temporary file renamed over it)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def tenant_view(name: str, tenant: Any) -> dict[str, Any]:
    return {"name": name, "title": tenant.title, "rooms": list(tenant.rooms), "connectors": list(tenant.connectors),
            "prompts_dir": str(tenant.prompts_dir) if tenant.prompts_dir else None}


async def list_tenants(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    return json_response({"tenants": [tenant_view(name, t) for name, t in sorted(hub.config.tenants.items())]})


async def put_tenant(request: web.Request) -> web.Response:
    hub, name = request.app[HUB_KEY], request.match_info["name"]
    if not NAME.match(name):
        return json_error(400, "name: letters, digits, - and _ (at most 64), starting with a letter or digit",
                          field="name")
    try:
        body = load_json(await request.read())
    except JsonBodyError as exc:
        return json_error(400, f"the body is not acceptable JSON: {exc}", field="body")
    if not isinstance(body, dict):
        return json_error(400, "the body must be a JSON object", field="body")
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        return json_error(400, f"unknown field(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})", field=unknown[0])
    folder = _folder(hub)
    file, token_file = folder / f"{name}.toml", folder / f"{name}.token"
    token = body.get("token")
    if token is not None and (not isinstance(token, str) or len(token) < 16):
        return json_error(400, "token: a string of at least 16 characters", field="token")
    if token is None and not token_file.exists():
        return json_error(400, "token: a new tenant needs one", field="token")
    data: dict[str, Any] = {"token": {"file": token_file.name}}
    for key in ("title", "prompts_dir", "rooms", "connectors"):
        if body.get(key) is not None:
            data[key] = body[key]
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError) as exc:
        return json_error(400, f"not writable as TOML: {exc}", field="body")
    created = not file.exists()
    with tempfile.TemporaryDirectory(dir=folder, prefix=".check-") as scratch:
        candidate = Path(scratch) / f"{name}.toml"
        candidate.write_text(text, encoding="utf-8")
        had_token = token_file.exists()
        if token is not None and not had_token:  # the check reads the token through its reference
            _write(token_file, token, 0o600)
        problems = _check(hub, name, candidate)
        if problems and token is not None and not had_token:
            token_file.unlink(missing_ok=True)
    if problems:
        return json_error(400, f"the config would not start: {problems[0]}", problems=problems)
    if token is not None:
        _write(token_file, token, 0o600)
    _write(file, text)
    await hub.storage.audit("api", "tenant.create" if created else "tenant.update", name,
                            {"rooms": sorted(data.get("rooms") or {}), "connectors": sorted(data.get("connectors") or {})})
    return json_response({"tenant": name, "file": str(file), "restart_required": True}, 201 if created else 200)


async def delete_tenant(request: web.Request) -> web.Response:
    hub, name = request.app[HUB_KEY], request.match_info["name"]
    folder = _folder(hub)
    file = folder / f"{name}.toml"
    if not NAME.match(name) or not file.exists():
        return json_error(404, f"no tenant file {name}.toml in {folder}")
    problems = _check(hub, name, None)
    if problems:
        return json_error(400, f"the config would not start without it: {problems[0]}", problems=problems)
    file.unlink()
    (folder / f"{name}.token").unlink(missing_ok=True)
    await hub.storage.audit("api", "tenant.delete", name, {})
    return json_response({"deleted": name, "restart_required": True})


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [
        WebRoute("GET", "/api/v1/tenants", list_tenants, tags=TAGS,
                 summary="The tenants: title, rooms, connectors, prompt folder (never a token)"),
        WebRoute("PUT", "/api/v1/tenants/{name}", put_tenant, tags=TAGS,
                 summary="Write a tenant's file in [hub] tenants_dir, checked with the whole config first; "
                         "applies at the next start",
                 responses={"201": "Created", "200": "Replaced", "400": "The config would not start (problems)",
                            "409": "No [hub] tenants_dir"}),
        WebRoute("DELETE", "/api/v1/tenants/{name}", delete_tenant, tags=TAGS,
                 summary="Remove a tenant's file (and token file); applies at the next start",
                 responses={"200": "Removed", "404": "No such tenant file", "400": "The config would not start"}),
    ]
