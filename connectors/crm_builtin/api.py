"""The built-in CRM's contacts over HTTP: ``GET /api/v1/contacts[?q=&limit=]`` (people, newest first, with their
accounts) and ``GET /api/v1/contacts/{id}`` (a person with accounts and timeline; a merged id answers the person
it was merged into); ``PUT /api/v1/contacts/consent {"key", "consent", "source"}`` records a person's consent
(the CRM policy of docs/crm.md reads it before anything about them is sent).

Tenants (hub/tenants.py): a tenant's token reads and writes only its own people and segments. The operator's
token reads everyone's, or one tenant's with ``?tenant=<name>`` (``?tenant=``: the operator's own), and writes the
operator's own, or a tenant's with ``?tenant=<name>``."""

from __future__ import annotations

from aiohttp import web

from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.storage import people_store
from hub.web.common import HUB_KEY, TENANT, json_error, json_response

MAX_LIMIT = 500


def _named_tenant(request: web.Request) -> str | None:
    """The tenant a request is about: its token's, else the operator's ``?tenant=`` (None: not named)."""
    tenant = request.get(TENANT)
    if tenant is not None:
        return tenant
    named = request.query.get("tenant")  # "": the operator's own
    if named and named not in request.app[HUB_KEY].config.tenants:
        raise web.HTTPBadRequest(text=f"tenant: no tenant named {named!r}")
    return named


def read_scope(request: web.Request) -> str | None:
    """Whose people a read shows: a tenant's, or (the operator, no ``?tenant=``) everyone's (None)."""
    return _named_tenant(request)


def write_scope(request: web.Request) -> str:
    """Whose people and segments a write (or a segment's name) is about: a tenant's, else the operator's ("")."""
    return _named_tenant(request) or ""


async def list_contacts(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return json_error(400, "limit: not a whole number", field="limit")
    if not 1 <= limit <= MAX_LIMIT:
        return json_error(400, f"limit: 1 to {MAX_LIMIT}", field="limit")
    hub = request.app[HUB_KEY]
    people = await people_store.list_people(hub.storage, query=request.query.get("q", ""), limit=limit,
                                            tenant=read_scope(request))
    return json_response({"contacts": people})


async def get_contact(request: web.Request) -> web.Response:
    try:
        person_id = int(request.match_info["id"])
    except ValueError:
        return json_error(404, "no such contact")
    person = await people_store.get_person(request.app[HUB_KEY].storage, person_id, tenant=read_scope(request))
    if person is None:
        return json_error(404, "no such contact")
    return json_response(person)


async def erase_contact(request: web.Request) -> web.Response:
    from hub.storage.people_erasure import erase_person

    try:
        person_id = int(request.match_info["id"])
    except ValueError:
        return json_error(404, "no such contact")
    counts = await erase_person(request.app[HUB_KEY].storage, person_id, actor="api")
    if counts is None:
        return json_error(404, "no such contact")
    return json_response({"erased": person_id, "counts": counts})


async def put_consent(request: web.Request) -> web.Response:
    try:
        body = load_json(await request.read())
    except JsonBodyError as exc:
        return json_error(400, str(exc))
    if not isinstance(body, dict):
        return json_error(400, "the body must be a JSON object {key, consent, source}")
    key, consent, source = body.get("key"), body.get("consent"), body.get("source") or "api"
    if not isinstance(key, str) or not isinstance(source, str):
        return json_error(400, "key: an account (platform:user) or an email", field="key")
    if consent not in people_store.CONSENTS:
        return json_error(400, f"consent: one of {', '.join(people_store.CONSENTS)}", field="consent")
    try:
        person = await people_store.set_consent(request.app[HUB_KEY].storage, key, consent, source[:200],
                                                tenant=write_scope(request))
    except ValueError as exc:
        return json_error(400, str(exc), field="key")
    return json_response({"id": person, "consent": consent})


# -- segments ---------------------------------------------------------------------------------------------

async def list_segments(request: web.Request) -> web.Response:
    from connectors.crm_builtin import segments

    rows = await segments.listed(request.app[HUB_KEY].storage, tenant=read_scope(request))
    return json_response({"segments": rows})


async def put_segment(request: web.Request) -> web.Response:
    from pydantic import ValidationError

    from connectors.crm_builtin import segments

    name = request.match_info["name"]
    if not 1 <= len(name) <= 80:
        return json_error(400, "name: 1 to 80 characters", field="name")
    try:
        definition = segments.Definition.model_validate(load_json(await request.read()))
    except JsonBodyError as exc:
        return json_error(400, str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return json_error(400, f"{where}: {first['msg']}", field=where)
    await segments.save(request.app[HUB_KEY].storage, name, definition, tenant=write_scope(request))
    return json_response({"name": name, "definition": definition.model_dump(exclude_none=True)})


async def get_segment(request: web.Request) -> web.Response:
    from connectors.crm_builtin import segments

    storage, tenant = request.app[HUB_KEY].storage, write_scope(request)
    row = await segments.get(storage, request.match_info["name"], tenant=tenant)
    if row is None:
        return json_error(404, "no such segment")
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return json_error(400, "limit: not a whole number", field="limit")
    people = await segments.members(storage, segments.Definition.model_validate(row["definition"]), tenant=tenant)
    return json_response({**row, "count": len(people), "members": people[:max(0, min(limit, MAX_LIMIT))]})


async def delete_segment(request: web.Request) -> web.Response:
    from connectors.crm_builtin import segments

    if not await segments.delete(request.app[HUB_KEY].storage, request.match_info["name"],
                                 tenant=write_scope(request)):
        return json_error(404, "no such segment")
    return json_response({"deleted": request.match_info["name"]})
