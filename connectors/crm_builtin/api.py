"""The built-in CRM's contacts over HTTP: ``GET /api/v1/contacts[?q=&limit=]`` (people, newest first, with their
accounts) and ``GET /api/v1/contacts/{id}`` (a person with accounts and timeline; a merged id answers the person
it was merged into); ``PUT /api/v1/contacts/consent {"key", "consent", "source"}`` records a person's consent
(the CRM policy of docs/crm.md reads it before anything about them is sent)."""

from __future__ import annotations

from aiohttp import web

from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.storage import people_store
from hub.web.common import HUB_KEY, json_error, json_response

MAX_LIMIT = 500


async def list_contacts(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError:
        return json_error(400, "limit: not a whole number", field="limit")
    if not 1 <= limit <= MAX_LIMIT:
        return json_error(400, f"limit: 1 to {MAX_LIMIT}", field="limit")
    hub = request.app[HUB_KEY]
    people = await people_store.list_people(hub.storage, query=request.query.get("q", ""), limit=limit)
    return json_response({"contacts": people})


async def get_contact(request: web.Request) -> web.Response:
    try:
        person_id = int(request.match_info["id"])
    except ValueError:
        return json_error(404, "no such contact")
    person = await people_store.get_person(request.app[HUB_KEY].storage, person_id)
    if person is None:
        return json_error(404, "no such contact")
    return json_response(person)


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
        person = await people_store.set_consent(request.app[HUB_KEY].storage, key, consent, source[:200])
    except ValueError as exc:
        return json_error(400, str(exc), field="key")
    return json_response({"id": person, "consent": consent})
