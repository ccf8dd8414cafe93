"""``livehub.toml``: one file, validated at start by typed models, with file, key path and reason.

Top-level sections:

* ``[hub]`` — name, database URL, log level, prompts folder, shutdown timeout (:class:`HubSettings`);
* ``[web]`` — host, port, API token, allowed hosts and origins, trusted proxies (:class:`WebSettings`);
* ``[scheduler]`` — on/off, timezone (:class:`SchedulerSettings`);
* ``[plugins.<name>]`` — ``enabled`` plus the plugin's own model (``livehub_config_models``);
* ``[connectors.<instance>]`` — ``type`` plus that connector type's model;
* ``[backends.<kind>]`` — ``default`` and ``fallback`` chain (``breaker_*``: :class:`BackendChoice`), and
  ``[backends.<kind>.<name>]`` settings;
* ``[rooms.<room>]`` — one hub room each: the core's keys (:class:`hub.rooms.RoomSettings`) and those of the
  room models plugins declare (``livehub_room_models``).

The core sections are validated by :func:`load_config`; the plugin-owned ones by
:func:`hub.registry.validate_plugin_sections` and :func:`hub.rooms.build_rooms` once plugins are loaded. Environment variables
``LIVEHUB_DATABASE_URL`` and ``LIVEHUB_API_TOKEN`` override the file.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hub.errors import ConfigError
from hub.secrets import Redactor, Secret, SecretValue, resolve_references

if TYPE_CHECKING:
    from hub.tenants import TenantSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./livehub.db"
CORE_SECTIONS = ("hub", "web", "scheduler", "cluster", "tenants", "plugins", "connectors", "backends", "rooms")


class Strict(BaseModel):
    """Base for config models: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class HubSettings(Strict):
    name: str = "LiveHub"
    database_url: str | Secret = DEFAULT_DATABASE_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    prompts_dir: Path | None = None
    tenants_dir: Path | None = None  # one file per tenant, <name>.toml: token, title, [rooms.*], [connectors.*]
    locale: str = "zh-CN"
    shutdown_timeout: float = Field(30.0, gt=0)


class WebSettings(Strict):
    """``[web]``. ``allowed_hosts`` and ``allowed_origins`` widen the drive-by guard (docs/security.md):

    * ``allowed_hosts`` — extra names a request's ``Host`` may carry (any port), beyond the loopback names
      and ``host``; ``"*"`` accepts any name (only behind a proxy that checks it);
    * ``allowed_origins`` — extra ``scheme://host[:port]`` origins whose pages may POST to the hub and open
      its WebSockets, beyond the hub's own;
    * ``trusted_proxies`` — addresses and CIDR networks of reverse proxies whose ``X-Forwarded-For`` names
      the client (:func:`hub.web.common.client_address`, for per-client limits); empty: the header is
      ignored. Stored normalised (``127.0.0.1`` → ``127.0.0.1/32``).
    """

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    token: Secret | None = None
    allowed_hosts: list[str] = Field(default_factory=list)
    allowed_origins: list[str] = Field(default_factory=list)
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        names = []
        for name in value:
            name = name.strip().lower()
            if not name or "/" in name or " " in name:
                raise ValueError(f"{name!r} is not a host name (write hub.example, not a URL)")
            names.append(name)
        return names

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        origins = []
        for origin in value:
            origin = origin.strip().rstrip("/").lower()
            scheme, sep, rest = origin.partition("://")
            if scheme not in ("http", "https") or not sep or not rest or "/" in rest:
                raise ValueError(f"{origin!r} is not an origin (write https://console.example[:port])")
            origins.append(origin)
        return origins

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        networks = []
        for entry in value:
            text = entry.strip()
            try:
                network = ipaddress.ip_network(text)  # strict: 10.0.0.1/8 (host bits set) is a mistake
            except ValueError as exc:
                raise ValueError(f"{text!r} is not an IP address or CIDR network "
                                 f"(write 127.0.0.1 or 10.0.0.0/8): {exc}") from None
            mapped = network.network_address.ipv4_mapped if network.version == 6 else None
            if mapped is not None and network.prefixlen >= 96:
                network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
            if network.prefixlen == 0:
                raise ValueError(f"{text!r} trusts every address: any client could then choose its own "
                                 "address; list only your proxies")
            networks.append(str(network))
        return networks


class SchedulerSettings(Strict):
    enabled: bool = True
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from None
        return value


class ClusterSettings(Strict):
    """``[cluster]``: several hub processes sharing one database, each room run by one of them at a time
    (docs/scale-out.md). Off by default: one process runs every room."""

    enabled: bool = Field(False, description="share rooms with other processes on the same database")
    role: Literal["all", "worker", "api"] = Field("all", description=(
        "worker: runs rooms; api: serves the API and console only (runs no room); all: both"))
    node: str = Field("", max_length=128, description="this process's name in the cluster (default host:pid)")
    capacity: int = Field(8, ge=0, le=10_000, description="rooms this process runs at most")
    lease_s: float = Field(6.0, ge=1.0, le=120.0, description=(
        "a room's lease: another process takes the room once it has not been renewed this long "
        "(renewed every lease_s / 3)"))
    advertise_url: str = Field("", max_length=300, description=(
        "how the other processes reach this one's web server (for viewers of its rooms); default its own "
        "address"))
    redis_url: str | Secret = Field("", description=(
        "redis://host:6379/0: the streams that hand webhooks to the process running their room "
        "(hub/cluster/streams.py); empty: webhooks reach only the process that runs the room"))

    def redis(self) -> str:
        return self.redis_url.get() if isinstance(self.redis_url, SecretValue) else self.redis_url


class BackendChoice(Strict):
    """``[backends.<kind>]``: the chain to try, and (read by the answer chain, ``[backends.llm]``) the circuit
    breaker that makes it skip a backend that keeps failing (see docs/conversation.md, Circuit breaker)."""

    default: str | None = Field(None, description="the backend to try first")
    fallback: list[str] = Field(default_factory=list, description="the backends to try next, in order")
    breaker_failures: int = Field(3, ge=0, le=1000, description=(
        "failures in a row (errors, missed deadlines, empty answers) after which the chain skips a backend "
        "at once for a cool-down; 0 turns the breaker off"))
    breaker_cooldown_s: float = Field(30.0, gt=0, le=86400, description=(
        "seconds an open breaker skips its backend before letting one probe call through"))
    breaker_cooldown_max_s: float = Field(300.0, gt=0, le=86400, description=(
        "the cool-down doubles (with jitter) each time the probe fails, up to this many seconds"))

    @model_validator(mode="after")
    def _cooldown_cap(self) -> BackendChoice:
        if self.breaker_cooldown_max_s < self.breaker_cooldown_s:
            raise ValueError(f"breaker_cooldown_max_s ({self.breaker_cooldown_max_s:g}) must not be below "
                             f"breaker_cooldown_s ({self.breaker_cooldown_s:g})")
        return self


@dataclass
class HubConfig:
    """The validated configuration. Plugin-owned parts are filled in by the registry at start."""

    hub: HubSettings = field(default_factory=HubSettings)
    web: WebSettings = field(default_factory=WebSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    tenants: dict[str, TenantSettings] = field(default_factory=dict)  # hub/tenants.py
    raw_plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw_connectors: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw_backends: dict[str, dict[str, Any]] = field(default_factory=dict)
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None
    redactor: Redactor = field(default_factory=Redactor)

    @property
    def source(self) -> str:
        return str(self.path) if self.path else "<defaults>"

    @property
    def database_url(self) -> str:
        url = self.hub.database_url
        return url.get() if isinstance(url, SecretValue) else url

    def plugin_enabled(self, name: str) -> bool:
        table = self.raw_plugins.get(name) or {}
        return bool(table.get("enabled", True))


def format_validation_error(exc: ValidationError, prefix: str) -> list[str]:
    """One ``key.path: reason`` line per error. Input values are never shown (they may be secrets)."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"] if p != "__root__")
        key = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{key}: {msg}")
    return lines


def parse_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found (run `livehub init` to write one): {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start} "
                          "(save the file as UTF-8)", file=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from None


def _apply_env_overrides(data: dict[str, Any]) -> None:
    if url := os.environ.get("LIVEHUB_DATABASE_URL"):
        data.setdefault("hub", {})["database_url"] = url
    if token := os.environ.get("LIVEHUB_API_TOKEN"):
        data.setdefault("web", {})["token"] = SecretValue(token, "env:LIVEHUB_API_TOKEN")


def load_config(path: str | Path | None = None, *, data: dict[str, Any] | None = None,
                env: bool = True, tenant_files: dict[str, Path | None] | None = None) -> HubConfig:
    """Read, resolve and validate the core sections of a config file (or of ``data``).

    ``tenant_files`` replaces (a path) or leaves out (None) tenant files of ``[hub] tenants_dir`` by tenant name:
    a tenant changed through the API is checked with the rest before it is written (hub/builtin/tenants_api.py).
    Raises :class:`ConfigError` listing every problem with its key path. ``env`` False ignores the
    ``LIVEHUB_*`` environment overrides (tests).
    """
    file = Path(path) if path is not None else None
    raw = parse_toml(file) if file is not None else dict(data or {})
    base_dir = file.parent if file is not None else Path.cwd()
    redactor = Redactor()
    problems: list[str] = []
    for section in raw:
        if section not in CORE_SECTIONS:
            problems.append(f"{section}: unknown section (known sections: {', '.join(CORE_SECTIONS)})")
    raw = resolve_references(raw, base_dir=base_dir, redactor=redactor, problems=problems)
    from hub.tenants import merge_tenant_files, validate_tenants

    merge_tenant_files(raw, base_dir, redactor, problems, tenant_files or {})
    if env:
        _apply_env_overrides(raw)
        token = raw.get("web", {}).get("token")
        if isinstance(token, SecretValue):
            redactor.add(token.get())
    cfg = HubConfig(path=file, redactor=redactor)
    for name, model in (("hub", HubSettings), ("web", WebSettings), ("scheduler", SchedulerSettings),
                        ("cluster", ClusterSettings)):
        try:
            setattr(cfg, name, model.model_validate(raw.get(name, {})))
        except ValidationError as exc:
            problems.extend(format_validation_error(exc, name))
    for name in ("plugins", "connectors", "backends", "rooms"):
        table = raw.get(name, {})
        if not isinstance(table, dict) or any(not isinstance(v, dict) for v in table.values()):
            problems.append(f"{name}: must be a table of tables ([{name}.<name>])")
            continue
        setattr(cfg, "raw_" + name if name != "rooms" else name, table)
    problems += validate_tenants(cfg, raw.get("tenants", {}))
    _register_url_password(cfg, redactor)
    if problems:
        raise ConfigError(problems, file=cfg.source)
    return cfg


def _register_url_password(cfg: HubConfig, redactor: Redactor) -> None:
    from sqlalchemy.engine import make_url

    try:
        password = make_url(cfg.database_url).password
    except Exception:
        return
    if password:
        redactor.add(str(password))


def safe_database_url(url: str) -> str:
    """The URL with its password masked, for display."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"
