"""Tenants: the merchants one hub serves (``[tenants.<name>]``, or one file each in ``[hub] tenants_dir``).

A tenant has its own API token (it reaches only the tenant's data, docs/scale-out.md), its **rooms** and its
**connectors**: the platform connectors bound to its rooms, and the shops and CRMs it names (``connectors =
[...]``; a tenant's own file's connectors are its). Connectors no tenant names are the operator's: shared
shops any room may sell from, and CRMs that take the viewers of the rooms no tenant has. A tenant's rooms
write their viewers only to the tenant's own CRMs (plugins/customers), and its built-in CRM keeps its people
apart from every other tenant's (``tenant`` column of the people tables).

A tenant may also have its own **prompts and word lists** (``prompts_dir``): its rooms' templates, answers and
guarded word lists are looked up there first (hub/prompts.py, hub/wordlists.py).

Checked at start, naming the key: each tenant's rooms and connectors exist, no room or connector has two
tenants, a tenant's room sells from its own shop or a shared one (never another tenant's), and a platform
connector bound to a tenant's room is not named by another tenant.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from hub.config import Strict, format_validation_error, parse_toml
from hub.secrets import Redactor, Secret, resolve_references

if TYPE_CHECKING:
    from hub.config import HubConfig

OPERATOR = ""
"""The tenant value of the operator's data (rooms and connectors no tenant has) in tables that hold a tenant."""


class TenantSettings(Strict):
    """``[tenants.<name>]``: a merchant served by this hub, with its own API token, rooms and connectors
    (docs/scale-out.md, Tenants). The ``[web] token`` is the operator's (admin) token and sees every tenant."""

    token: Secret = Field(description="the tenant's API token: it reaches only the tenant's rooms and data")
    rooms: list[str] = Field(min_length=1, description="the rooms of this tenant ([rooms.<name>] tables)")
    title: str = Field("", max_length=80)
    connectors: list[str] = Field(default_factory=list, description=(
        "the tenant's shops and CRMs ([connectors.<name>] tables); its rooms' platform connectors are its anyway"))
    prompts_dir: Path | None = Field(None, description=(
        "the tenant's prompt templates and word lists (<locale>/<name>, as [hub] prompts_dir): its rooms look "
        "here first, then in the hub's folders"))


TENANT_FILE_KEYS = ("token", "title", "rooms", "connectors", "prompts_dir")


def tenants_folder(raw_or_dir: Any, base_dir: Path) -> Path | None:
    """``[hub] tenants_dir`` as a path (relative to the config file's folder ``base_dir``), None when unset."""
    folder = raw_or_dir if not isinstance(raw_or_dir, dict) else (raw_or_dir.get("hub") or {}).get("tenants_dir")
    if not folder:
        return None
    return Path(folder) if Path(folder).is_absolute() else base_dir / folder


def merge_tenant_files(raw: dict[str, Any], base_dir: Path, redactor: Redactor, problems: list[str],
                       replaced: dict[str, Path | None] | None = None) -> None:
    """``[hub] tenants_dir``: each ``<name>.toml`` there is a tenant (its token, title, rooms and connectors,
    references resolved from that folder), merged into ``raw``; a room or connector defined twice, or a
    connector bound to another tenant's room, is a problem naming the file. ``replaced`` swaps (a path) or
    leaves out (None) tenants' files by name."""
    folder = tenants_folder(raw, base_dir)
    if folder is None:
        return
    if not folder.is_dir():
        problems.append(f"hub.tenants_dir: no folder {folder}")
        return
    tenants, rooms, connectors = (raw.setdefault(key, {}) for key in ("tenants", "rooms", "connectors"))
    files: dict[str, Path | None] = {file.stem: file for file in folder.glob("*.toml")}
    files.update(replaced or {})
    for name, file in sorted(files.items()):
        if file is None:
            continue
        shown = folder / f"{name}.toml"  # (a replacement is checked under the name it will have)
        try:
            data = resolve_references(parse_toml(file), base_dir=folder, redactor=redactor, problems=problems,
                                      path=f"{name}.toml")
        except Exception as exc:  # hub.errors.ConfigError: the file is not TOML
            problems.append(f"{shown}: {exc}")
            continue
        mine = data.get("rooms") or {}
        unknown = sorted(set(data) - set(TENANT_FILE_KEYS))
        if unknown:
            problems.append(f"{shown}: unknown key(s) {', '.join(unknown)} (known: {', '.join(TENANT_FILE_KEYS)})")
        if name in tenants:
            problems.append(f"{shown}: tenant {name!r} is defined twice")
        for room, table in mine.items():
            if room in rooms:
                problems.append(f"{shown}: rooms.{room}: a room of that name is defined already")
            rooms[room] = table
        own = data.get("connectors") or {}
        for connector, table in own.items():
            bound = table.get("room") if isinstance(table, dict) else None
            if connector in connectors:
                problems.append(f"{shown}: connectors.{connector}: a connector of that name is defined already")
            elif bound is not None and bound not in mine:
                problems.append(f"{shown}: connectors.{connector}.room: {bound!r} is not a room of this tenant")
            connectors[connector] = table
        tenants[name] = {"token": data.get("token"), "title": data.get("title", ""), "rooms": list(mine),
                         "connectors": list(own)}
        if data.get("prompts_dir"):  # relative to the tenants' folder
            tenants[name]["prompts_dir"] = str(folder / str(data["prompts_dir"]))


def validate_tenants(cfg: HubConfig, table: Any) -> list[str]:
    """Validate ``[tenants.<name>]`` into ``cfg.tenants``; the problems found."""
    if not isinstance(table, dict) or any(not isinstance(v, dict) for v in table.values()):
        return ["tenants: must be a table of tables ([tenants.<name>])"]
    problems: list[str] = []
    room_owner: dict[str, str] = {}
    connector_owner: dict[str, str] = {}
    for name, data in table.items():
        try:
            tenant = cfg.tenants[name] = TenantSettings.model_validate(data)
        except ValidationError as exc:
            problems.extend(format_validation_error(exc, f"tenants.{name}"))
            continue
        for room in tenant.rooms:
            if room not in cfg.rooms:
                problems.append(f"tenants.{name}.rooms: no [rooms.{room}] table")
            elif room in room_owner:
                problems.append(f"tenants.{name}.rooms: room {room!r} belongs to tenant {room_owner[room]!r} already")
            room_owner[room] = name
        folder = tenant.prompts_dir
        base = cfg.path.parent if cfg.path else Path.cwd()
        if folder is not None and not (folder if folder.is_absolute() else base / folder).is_dir():
            problems.append(f"tenants.{name}.prompts_dir: no folder {folder}")
        for connector in tenant.connectors:
            if connector not in cfg.raw_connectors:
                problems.append(f"tenants.{name}.connectors: no [connectors.{connector}] table")
            elif connector in connector_owner:
                problems.append(f"tenants.{name}.connectors: {connector!r} belongs to tenant "
                                f"{connector_owner[connector]!r} already")
            connector_owner[connector] = name
    for connector, data in cfg.raw_connectors.items():
        bound = data.get("room")
        if isinstance(bound, str) and bound in room_owner and connector_owner.get(connector, room_owner[bound]) \
                != room_owner[bound]:
            problems.append(f"connectors.{connector}.room: {bound!r} is tenant {room_owner[bound]!r}'s room, but "
                            f"the connector is tenant {connector_owner[connector]!r}'s")
    for room, data in cfg.rooms.items():
        shop = data.get("shop") if isinstance(data, dict) else None
        if isinstance(shop, str) and shop in connector_owner and connector_owner[shop] != room_owner.get(room):
            whose = f"tenant {room_owner[room]!r}'s room" if room in room_owner else "the operator's room"
            problems.append(f"rooms.{room}.shop: {shop!r} is tenant {connector_owner[shop]!r}'s shop; "
                            f"{room!r} is {whose}")
    tokens: dict[str, str] = {}
    if cfg.web.token is not None:
        tokens[cfg.web.token.get()] = "the [web] token (the operator's)"
    for name, tenant in cfg.tenants.items():
        if tenant.token.get() in tokens:
            problems.append(f"tenants.{name}.token: the same as {tokens[tenant.token.get()]}: each needs its own")
        tokens.setdefault(tenant.token.get(), f"tenant {name!r}'s")
    if cfg.tenants and cfg.web.token is None:
        problems.append("tenants: a [web] token (the operator's) is needed once tenants have tokens")
    return problems


def tenant_of_room(cfg: HubConfig, room: str) -> str | None:
    """The tenant ``room`` belongs to (None: the operator's)."""
    return next((name for name, tenant in cfg.tenants.items() if room in tenant.rooms), None)


def same_tenant(cfg: HubConfig, room: str, other: str) -> bool:
    """Whether rooms ``room`` and ``other`` have the same tenant (or are both the operator's)."""
    return tenant_of_room(cfg, room) == tenant_of_room(cfg, other)


def tenant_of_connector(cfg: HubConfig, connector: str) -> str | None:
    """The tenant connector ``connector`` belongs to: named by the tenant, or bound to one of its rooms (None:
    the operator's)."""
    for name, tenant in cfg.tenants.items():
        if connector in tenant.connectors:
            return name
    bound = (cfg.raw_connectors.get(connector) or {}).get("room")
    return tenant_of_room(cfg, bound) if isinstance(bound, str) else None


def prompt_scope(cfg: HubConfig | None, room: str | None) -> str:
    """Whose prompts and word lists ``room`` uses: its tenant's name when the tenant has a ``prompts_dir``, else
    "" (the hub's): a key for what is built from them once."""
    if cfg is None or not room or tenant_prompts_dir(cfg, room) is None:
        return ""
    return tenant_of_room(cfg, room) or ""


def tenant_prompts_dir(cfg: HubConfig, room: str | None) -> Path | None:
    """The prompt folder of ``room``'s tenant (relative paths from the config file's folder), None without."""
    tenant = tenant_of_room(cfg, room) if room else None
    folder = cfg.tenants[tenant].prompts_dir if tenant is not None else None
    if folder is None:
        return None
    base = cfg.path.parent if cfg.path else Path.cwd()
    return folder if folder.is_absolute() else base / folder
