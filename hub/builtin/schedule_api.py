"""Scheduled jobs for operators: an HTTP API, ``livehub schedule`` commands, and the ``audit.note`` job.

* ``GET /api/v1/schedules`` lists pending schedules; ``POST /api/v1/schedules`` adds one from
  ``{"job_type", "args", "at" | "cron" | "interval_s", "id"?}`` (201, or 400 naming the problem);
  ``DELETE /api/v1/schedules/{id}`` removes one (204, or 404). Each answers 503 with the reason (and
  ``state``) while the scheduler is disabled, stopped or ``retrying`` (reconnecting to its database).
* ``livehub schedule add|list|remove`` call that API on a running hub, so the command line never opens
  the database behind the hub's back. ``add --show NAME [--room R] [--duration MIN]`` is short for the
  ``show.start`` job type of the show runner.
* A tenant's token (docs/scale-out.md) sees, adds and removes only schedules whose ``args.room`` is one of
  its rooms.
* ``audit.note`` writes a line to the audit log when it fires: a harmless job to try schedules with.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import click
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub.hookspecs import hookimpl
from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.scheduler_supervisor import SchedulerUnavailable
from hub.specs import JobType, WebRoute
from hub.web.common import HUB_KEY, json_error, json_response, request_tenant_rooms

TAGS = ("scheduler",)
UNAVAILABLE = "The scheduler is disabled, stopped or reconnecting to its database (retrying)"
POST_FIELDS = ("job_type", "args", "at", "cron", "interval_s", "id")
REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["job_type"],
    "additionalProperties": False,
    "properties": {
        "job_type": {"type": "string", "description": "A registered job type, e.g. audit.note"},
        "args": {"type": "object", "description": "The job type's JSON arguments"},
        "at": {"type": "string", "format": "date-time",
               "description": "Run once at this ISO 8601 time (no offset: the scheduler's time zone)"},
        "cron": {"type": "string", "description": "Crontab: 5 fields, or 6 with seconds first"},
        "interval_s": {"type": "number", "exclusiveMinimum": 0, "description": "Run every N seconds"},
        "id": {"type": "string", "description": "Your own schedule id (default: a new UUID)"},
    },
}


# -- the job type ------------------------------------------------------------------------------------


class NoteArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=2000)


async def audit_note(hub: Any, message: str) -> None:
    """Write ``message`` to the audit log (actor ``scheduler``, action ``note``)."""
    await hub.storage.audit("scheduler", "note", detail={"message": message})


@hookimpl
def livehub_register_job_types() -> list[JobType]:
    return [JobType("audit.note", audit_note, args_model=NoteArgs,
                    description="Write a note to the audit log when the job fires")]


# -- the HTTP API ------------------------------------------------------------------------------------


def running_scheduler(request: web.Request) -> Any:
    """The hub's scheduler; HTTP 503 (made JSON by the web server) when it is off.

    A scheduler that is stopped or reconnecting to its database raises :class:`SchedulerUnavailable`
    from the call itself; the handlers answer it with :func:`unavailable`.
    """
    scheduler = request.app[HUB_KEY].scheduler
    if scheduler is None:
        raise web.HTTPServiceUnavailable(text="the scheduler is disabled ([scheduler] enabled = false)")
    return scheduler


def unavailable(exc: SchedulerUnavailable) -> web.Response:
    """503 naming why, with the scheduler's state (``retrying`` while it reconnects to its database)."""
    return json_error(503, str(exc), headers={"Retry-After": "5"}, state=exc.state)


def schedule_room(schedule: dict[str, Any]) -> Any:
    """The room a schedule's job acts on (its ``args.room``), None when it names none."""
    args = schedule.get("args")
    return args.get("room") if isinstance(args, dict) else None


async def list_schedules(request: web.Request) -> web.Response:
    mine = request_tenant_rooms(request)
    try:
        schedules = await running_scheduler(request).list()
    except SchedulerUnavailable as exc:
        return unavailable(exc)
    return json_response(schedules if mine is None else [s for s in schedules if schedule_room(s) in mine])


def parse_new_schedule(body: Any) -> dict[str, Any]:
    """Keyword arguments for :meth:`hub.scheduler.Scheduler.add_described`; ValueError names the field."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    unknown = sorted(set(body) - set(POST_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(POST_FIELDS)})")
    if not isinstance(body.get("job_type"), str):
        raise ValueError("job_type: required, a string")
    at = body.get("at")
    if at is not None:
        try:
            at = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            at = None
        if at is None:
            raise ValueError("at: not an ISO 8601 date-time (e.g. 2030-01-31T20:00:00+08:00)")
    if body.get("cron") is not None and not isinstance(body["cron"], str):
        raise ValueError("cron: must be a string")
    return {"job_type": body["job_type"], "args": body.get("args"), "at": at, "cron": body.get("cron"),
            "interval_s": body.get("interval_s"), "schedule_id": body.get("id")}


async def add_schedule(request: web.Request) -> web.Response:
    scheduler = running_scheduler(request)
    try:
        body = load_json(await request.read())
    except JsonBodyError as exc:
        return json_error(400, f"the body is not acceptable JSON: {exc}", field="body")
    mine = request_tenant_rooms(request)
    if mine is not None and (not isinstance(body, dict) or schedule_room(body) not in mine):
        return json_error(403, "a tenant schedules jobs on its own rooms: name one in args.room", field="args.room")
    try:
        created = await scheduler.add_described(**parse_new_schedule(body))
    except SchedulerUnavailable as exc:
        return unavailable(exc)
    except ValueError as exc:
        return json_error(400, str(exc))
    return json_response(created, 201)


async def remove_schedule(request: web.Request) -> web.Response:
    schedule_id = request.match_info["schedule_id"]
    scheduler, mine = running_scheduler(request), request_tenant_rooms(request)
    try:
        if mine is not None:  # another tenant's schedule is no schedule at all
            found = await scheduler.get(schedule_id)
            if found is None or schedule_room(found) not in mine:
                return json_error(404, f"no schedule with id {schedule_id!r}")
        removed = await scheduler.remove(schedule_id)
    except SchedulerUnavailable as exc:
        return unavailable(exc)
    if removed:
        return web.Response(status=204)
    return json_error(404, f"no schedule with id {schedule_id!r}")


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [
        WebRoute("GET", "/api/v1/schedules", list_schedules, tags=TAGS, tenants=True,
                 summary="Pending schedules, soonest first: id, job_type, args, trigger, next_fire_time "
                         "(a tenant's token: those whose args.room is one of its rooms)",
                 responses={"200": "The schedules", "503": UNAVAILABLE}),
        WebRoute("POST", "/api/v1/schedules", add_schedule, tags=TAGS, request_schema=REQUEST_SCHEMA, tenants=True,
                 summary="Schedule a job type with JSON args: once (at), by cron, or every interval_s (a "
                         "tenant's token: only jobs whose args.room is one of its rooms)",
                 responses={"201": "The new schedule", "400": "Bad job type, args or trigger",
                            "403": "A tenant's job names none of its rooms",
                            "503": UNAVAILABLE}),
        WebRoute("DELETE", "/api/v1/schedules/{schedule_id}", remove_schedule, tags=TAGS, tenants=True,
                 summary="Remove a schedule",
                 responses={"204": "Removed", "404": "No such schedule", "503": UNAVAILABLE}),
    ]


# -- the command line --------------------------------------------------------------------------------


def call_hub(method: str, url: str, token: str | None, path: str, body: Any = None) -> Any:
    """One API request; the JSON answer, or a ClickException with the hub's error message."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(url.rstrip("/") + path, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the token goes to the hub only
    try:
        with opener.open(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error") or exc.reason
        except (ValueError, AttributeError):
            message = exc.reason
        raise click.ClickException(f"the hub answered {exc.code}: {message}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise click.ClickException(f"cannot reach the hub at {url}: {reason}") from None
    return json.loads(raw) if raw else None


def describe(schedule: dict[str, Any]) -> str:
    when = schedule.get("next_fire_time") or "(already fired)"
    args = json.dumps(schedule.get("args") or {}, ensure_ascii=False)
    return f"{schedule['id']}  {schedule['job_type']}  next {when}  {schedule['trigger']}  {args}"


hub_options = [
    click.option("--url", default="http://127.0.0.1:8080", show_default=True, help="The hub's address."),
    click.option("--token", envvar="LIVEHUB_API_TOKEN", show_envvar=True, help="The API token."),
]


def with_hub_options(func: Any) -> Any:
    for option in reversed(hub_options):
        func = option(func)
    return func


@click.group("schedule")
def schedule() -> None:
    """Add, list and remove scheduled jobs of a running hub (through its HTTP API)."""


SHOW_JOB = "show.start"
"""The job type ``--show`` schedules (registered by the show runner plugin)."""


def show_job_args(args: Any, show: str | None, room: str | None, duration_min: float | None) -> Any:
    """``args`` with the ``--show/--room/--duration`` options merged in (for :data:`SHOW_JOB`)."""
    if show is None:
        if room is not None or duration_min is not None:
            raise click.UsageError("--room and --duration go with --show")
        return args
    if not isinstance(args, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--args")
    extra = {"show": show, "room": room, "duration_min": duration_min}
    return {**args, **{k: v for k, v in extra.items() if v is not None}}


@schedule.command("add")
@click.argument("job_type", required=False)
@click.option("--args", "args_json", default="{}", show_default=True, help="The job's arguments (JSON).")
@click.option("--at", help="Run once at this ISO 8601 time.")
@click.option("--cron", help="Run by crontab (5 fields, or 6 with seconds first).")
@click.option("--every", "interval_s", type=float, help="Run every N seconds.")
@click.option("--id", "schedule_id", help="Your own schedule id.")
@click.option("--show", help=f"Schedule this show (the job type {SHOW_JOB}; no JOB_TYPE needed).")
@click.option("--room", help="With --show: the room (default: the show's own room).")
@click.option("--duration", "duration_min", type=float, help="With --show: minutes on air "
              "(default: the rundown's length).")
@with_hub_options
def add_command(job_type: str | None, args_json: str, at: str | None, cron: str | None,
                interval_s: float | None, schedule_id: str | None, show: str | None, room: str | None,
                duration_min: float | None, url: str, token: str | None) -> None:
    """Schedule JOB_TYPE (or a show with --show) once (--at), by cron (--cron) or every N seconds (--every).

    Examples: livehub schedule add audit.note --args '{"message": "hi"}' --every 60;
    livehub schedule add --show spring --room main --at 2030-01-31T20:00:00+08:00 --duration 90
    """
    try:
        args = json.loads(args_json)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--args") from None
    if show is not None and job_type not in (None, SHOW_JOB):
        raise click.UsageError(f"--show schedules the job type {SHOW_JOB}; leave out {job_type!r}")
    args = show_job_args(args, show, room, duration_min)
    job_type = SHOW_JOB if show is not None else job_type
    if job_type is None:
        raise click.UsageError("give a JOB_TYPE, or --show NAME to schedule a show")
    body = {"job_type": job_type, "args": args, "at": at, "cron": cron, "interval_s": interval_s,
            "id": schedule_id}
    created = call_hub("POST", url, token, "/api/v1/schedules", {k: v for k, v in body.items() if v is not None})
    click.echo(describe(created))


@schedule.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_hub_options
def list_command(as_json: bool, url: str, token: str | None) -> None:
    """List pending schedules, soonest first."""
    schedules = call_hub("GET", url, token, "/api/v1/schedules")
    if as_json:
        click.echo(json.dumps(schedules, ensure_ascii=False, indent=2))
        return
    for item in schedules:
        click.echo(describe(item))
    if not schedules:
        click.echo("no schedules")


@schedule.command("remove")
@click.argument("schedule_id")
@with_hub_options
def remove_command(schedule_id: str, url: str, token: str | None) -> None:
    """Remove the schedule SCHEDULE_ID."""
    call_hub("DELETE", url, token, f"/api/v1/schedules/{urllib.request.quote(schedule_id, safe='')}")
    click.echo(f"removed {schedule_id}")


@hookimpl
def livehub_register_commands(cli: click.Group) -> None:
    cli.add_command(schedule)
