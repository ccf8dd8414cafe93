"""What registration hooks return: small, immutable descriptions of things a plugin provides.

Registration hooks are synchronous and do no I/O; they return these specs, and the hub builds the
runtime objects from them when it starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from aiohttp import web

    from hub.app import Hub
    from hub.connector import Connector

ConnectorKind = Literal["platform", "crm", "catalog"]
BackendKind = Literal["llm", "voice", "asr", "avatar", "scene", "output", "content", "channel"]


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """A connector type. Instances are configured as ``[connectors.<name>] type = "<type>"``.

    ``factory(name, config, hub)`` builds the :class:`hub.connector.Connector`; ``config_model`` validates
    the instance's table (the ``type`` key excluded).
    """

    type: str
    kind: ConnectorKind
    factory: type[Connector]
    config_model: type[BaseModel]
    description: str = ""


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """An interchangeable backend (``kind`` llm, voice, asr, avatar, scene, output, content or channel) named
    ``name``.

    ``factory(config, hub)`` builds it; ``config_model`` validates ``[backends.<kind>.<name>]``. A scene's
    factory also takes ``size=`` (None: the scene's preferred size) and ``fps=`` and returns a
    :class:`hub.media.scene.Scene`.
    ``extra`` names the pip extra the backend needs, if any, for error messages.
    """

    kind: BackendKind
    name: str
    factory: Callable[..., Any]
    config_model: type[BaseModel] | None = None
    description: str = ""
    extra: str | None = None
    default: bool = False
    """The default of its kind when ``[backends.<kind>] default`` names none (the offline voice, the
    built-in avatar, the landscape scene). When several backends of a kind say so, the first registered wins."""
    final: bool = False
    """A last resort every chain of its kind ends with (the catalog answer backend): it never needs a
    network and always answers something."""


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What a plugin needs from others (``livehub_plugin_dependencies``).

    ``requires``: plugin names or interface names (:mod:`hub.interfaces`, e.g. ``"AnswerQueue"``) that
    must be loaded; they start before this plugin and stop after it. A required plugin that is disabled
    or not installed stops the hub at start with a clear error; one that failed marks this plugin failed
    too. ``after``: plugins or interfaces to start before this one when they are present (optional).
    ``provides``: the interface names this plugin puts in ``hub.slots`` at startup.
    """

    requires: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StandinSpec:
    """A protocol-faithful stand-in of an outside system, run by ``livehub standin <system>``.

    ``factory(**options)`` builds a :class:`hub.standin.Standin` (an aiohttp server speaking the system's
    wire protocol plus the shared ``/_standin`` control API). ``connector_type`` is the connector type
    whose ``[connectors.x]`` table the stand-in prints.
    """

    system: str
    factory: Callable[..., Any]
    connector_type: str = ""
    description: str = ""


Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


@dataclass(frozen=True, slots=True)
class WebRoute:
    """An HTTP route the web server mounts.

    ``auth`` True means the bearer token is required (through :func:`hub.hookspecs.livehub_authorize`).
    ``tenants`` True lets a tenant's token call it too: the handler shows and changes only that tenant's data
    (:func:`hub.web.common.request_tenant_rooms`); routes about one ``{room}`` allow tenants anyway, each its
    own rooms. Any other ``auth`` route answers a tenant's token 403.
    ``summary`` and ``responses`` go into the OpenAPI document; paths under ``/api/v1`` are listed there.
    """

    method: str
    path: str
    handler: Handler
    auth: bool = True
    summary: str = ""
    tags: tuple[str, ...] = ()
    request_schema: dict[str, Any] | None = None
    responses: dict[str, str] = field(default_factory=lambda: {"200": "OK"})
    tenants: bool = False


JobFunc = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class JobType:
    """A kind of scheduled job, referenced by ``name`` with JSON arguments.

    ``func(hub, **args)`` runs the job; ``args_model`` (optional) validates the arguments when a job is
    scheduled, so a bad job fails at ``add`` time, not at fire time.
    """

    name: str
    func: JobFunc
    description: str = ""
    args_model: type[BaseModel] | None = None

    def validate_args(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return ``args`` checked (and normalised to JSON types) against ``args_model``."""
        if self.args_model is None:
            return dict(args)
        return self.args_model.model_validate(args).model_dump(mode="json")


if TYPE_CHECKING:  # re-exported for annotations in hookspecs
    HubT = Hub
