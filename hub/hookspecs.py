"""The contract between the hub and its plugins. Every hook is here, prefixed ``livehub_``.

Three rules hold for all of them:

* **Registration hooks are synchronous** and do no I/O: they return classes or specs
  (:mod:`hub.specs`), and the hub builds runtime objects from them when it starts.
* **Lifecycle and event hooks may return an awaitable**; the hub awaits it. Each implementation is called
  on its own, so one plugin's failure is logged and reported and never stops another.
* **Decision hooks are ``firstresult``**: the first non-``None`` answer wins, in pluggy's call order
  (last registered first; ``tryfirst``/``trylast`` adjust it).

``docs/hooks.md`` is generated from these docstrings' content and checked against them by a test.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from aiohttp import web
    from pydantic import BaseModel

    from hub.app import Hub
    from hub.events import Event
    from hub.review import ReviewContext, ReviewResult
    from hub.specs import BackendSpec, ConnectorSpec, Dependencies, JobType, StandinSpec, WebRoute

PROJECT = "livehub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- registration (sync) -------------------------------------------------------------------------


@hookspec
def livehub_config_models() -> dict[str, type[BaseModel]]:
    """Declare the plugin's settings.

    Return ``{section: Model}``: each pydantic model validates the table ``[plugins.<section>]`` of
    ``livehub.toml`` when the hub starts. Unknown keys and wrong types fail with the file, key path and
    reason. The validated object is available as ``hub.plugin_config(section)``. The key ``enabled`` is
    reserved in every ``[plugins.<name>]`` table (``enabled = false`` disables that plugin).
    """


@hookspec
def livehub_room_models() -> list[type[BaseModel]]:
    """Declare the room-level settings the plugin reads from ``[rooms.<name>]``.

    Return pydantic models whose fields are keys of a room table (``size``, ``outputs``, ...). Every key
    of ``[rooms.<name>]`` must belong to at least one model (the core's :class:`hub.rooms.RoomSettings`
    or a plugin's); an unknown key or a refused value stops the hub with the file, key path and reason.
    Several models may read the same key. Read the validated values as ``hub.rooms[name].settings(Model)``.
    """


@hookspec
def livehub_plugin_dependencies() -> Dependencies:
    """Declare what the plugin needs: a :class:`hub.specs.Dependencies` of plugin or interface names.

    The hub starts plugins in dependency order (a plugin after everything it ``requires`` or comes
    ``after``) and shuts them down in reverse. A required plugin that is disabled or not installed is a
    start-up error naming both; one that failed to load or start marks the dependent failed too. A
    plugin never imports another plugin's modules: it reaches a shared interface through
    ``hub.slots.require(Interface)`` (:mod:`hub.interfaces`).
    """


@hookspec
def livehub_register_standins() -> list[StandinSpec]:
    """Return the stand-ins of the outside systems the plugin connects to.

    A stand-in speaks the system's real wire protocol on a local port and shares the control API
    ``/_standin/events|sent|faults`` (:mod:`hub.standin`); ``livehub standin <system>`` runs it and prints
    the ``[connectors.x]`` table pointing at it, and ``hub.testing`` exposes it as a fixture.
    """


@hookspec
def livehub_register_connectors() -> list[ConnectorSpec]:
    """Return the connector types the plugin provides (platforms, CRMs, catalogs).

    Each :class:`hub.specs.ConnectorSpec` names a ``type``; operators create instances with
    ``[connectors.<name>] type = "<type>"`` and the spec's ``config_model`` validates the rest of the table.
    """


@hookspec
def livehub_register_backends() -> list[BackendSpec]:
    """Return the backends the plugin provides: LLM, voice, ASR, avatar, scene (the on-screen design around
    the host, :class:`hub.media.scene.Scene`, picked per room with ``[rooms.<room>] scene``), output, content
    (outbound content generators, :class:`hub.outbound.ContentGenerator`) or channel
    (:class:`hub.outbound_channels.Channel`).

    Each :class:`hub.specs.BackendSpec` has a ``kind`` and a ``name`` unique within that kind; a
    backend's settings live in ``[backends.<kind>.<name>]``.
    """


@hookspec
def livehub_register_routes() -> list[WebRoute]:
    """Return HTTP routes to mount on the hub's web server.

    Handlers reach the hub as ``request.app[hub.web.HUB_KEY]``. Routes with ``auth=True`` need the API
    token (see :func:`livehub_authorize`). Routes under ``/api/v1`` appear in ``/api/v1/openapi.json``.
    """


@hookspec
def livehub_register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``livehub`` command line by calling ``cli.add_command`` or
    ``@cli.command()``. Called once when the CLI is built; do no I/O here."""


@hookspec
def livehub_register_job_types() -> list[JobType]:
    """Return scheduler job types.

    A scheduled job is stored as the job type's ``name`` plus JSON arguments, so schedules survive
    restarts and code changes; ``func(hub, **args)`` is awaited when the job fires.
    """


@hookspec
def livehub_register_prompt_dirs() -> list[Path]:
    """Return folders of prompt templates and word lists (laid out as ``<locale>/<name>``).

    A user's own folder (``[hub] prompts_dir``) comes first, then plugins' folders, then the built-in
    ``prompts/``: a file of the same name in an earlier folder overrides a later one.
    """


# -- lifecycle (may return an awaitable) -----------------------------------------------------------


@hookspec
def livehub_startup(hub: Hub) -> Awaitable[None] | None:
    """Called once when the hub starts, after config, storage, bus and scheduler are up and before
    connectors and the web server start. Open resources and subscribe to the bus here.

    A plugin whose startup raises is reported (log, ``livehub check``, ``/api/v1/status``) and
    unregistered; the hub keeps running without it.
    """


@hookspec
def livehub_shutdown(hub: Hub) -> Awaitable[None] | None:
    """Called once when the hub stops, in reverse order of startup, after the web server and
    connectors have stopped and before the bus drains. Release what :func:`livehub_startup` opened."""


@hookspec
def livehub_room_acquired(room: str, hub: Hub) -> Awaitable[None] | None:
    """In a cluster (``[cluster] enabled``), this process now runs ``room``: it holds the room's lease and
    its platform connectors were just started here. Start what serves the room (the show runner resumes its
    live broadcast where the schedule says). Called in a task of its own, so however long starting takes, the
    process renews its leases on time. Not called in a single process, which runs every room from the start.
    An exception is reported; the room stays here.
    """


@hookspec
def livehub_room_released(room: str, reason: str, hub: Hub) -> Awaitable[None] | None:
    """In a cluster, this process stops running ``room`` (``reason``: its lease was taken over or could not
    be renewed, the process drains or stops). Stop what serves the room **at once**, outputs first (another
    process may start the room within seconds: two hosts must never push to one stream key), without ending
    its show (its next owner resumes it). Its platform connectors are stopped after this returns; an
    implementation still running after ``lease_s / 3`` is logged as too slow.
    """


# -- events (may return an awaitable) ----------------------------------------------------------------


@hookspec
def livehub_on_event(event: Event, hub: Hub) -> Awaitable[None] | None:
    """See every event that passes through the hub's bus: platform events (comments, gifts, ...) and the
    hub's own (replies, stage and state changes).

    Called from one bus subscriber, in bus order, after the event was accepted. It must be quick; start
    long work as a task with ``hub.create_task``. An exception is logged and counted, never propagated.
    """


# -- review (every implementation, in order) --------------------------------------------------------


@hookspec
def livehub_review_output(text: str, context: ReviewContext, hub: Hub) -> ReviewResult | None:
    """Review a line the host is about to say (``context.channel`` "voice") or post ("chat"),
    whatever produced it: an LLM, a template, a script, an operator.

    Return None to pass ``text`` unchanged, ``ReviewResult(text=new, reasons=[...])`` to rewrite it, or
    ``ReviewResult(text=None, reasons=[...])`` to block it. Implementations run one after another, each
    seeing the previous one's output, until one blocks. Every rewrite and block is written to the audit
    log with its reasons by the core (:func:`hub.review.review_output`). An implementation that raises
    blocks the line (fail closed) and is reported.
    """


# -- decisions (firstresult) ------------------------------------------------------------------------


@hookspec(firstresult=True)
def livehub_authorize(request: web.Request, hub: Hub) -> bool | None:
    """Decide whether a request to a route with ``auth=True`` may proceed.

    Return True to allow, False to refuse (401), None to leave the decision to the next plugin. The
    built-in ``token_auth`` plugin checks ``Authorization: Bearer <token>`` (or ``?token=`` for
    WebSockets) against the configured API token. With no plugin answering, the request is refused.
    """


@hookspec(firstresult=True)
def livehub_handle_exception(error: BaseException, where: str, hub: Hub) -> bool | None:
    """Report an error the hub caught (a failing plugin, subscriber, job or connector).

    ``where`` says where it was caught (``"plugin:<name>:startup"``, ``"bus:<subscriber>"``,
    ``"job:<type>"``, ...). Return True when handled, so the hub does not log it again.
    """


def hook_names() -> list[str]:
    """The names of every hook in this contract, in file order."""
    return [name for name, obj in globals().items() if name.startswith("livehub_") and callable(obj)]


def hook_signature(name: str) -> dict[str, Any]:
    """``{"args": [...], "firstresult": bool}`` for the hook ``name``."""
    import inspect

    func = globals()[name]
    opts = getattr(func, f"{PROJECT}_spec", {}) or {}
    return {"args": list(inspect.signature(func).parameters), "firstresult": bool(opts.get("firstresult"))}
