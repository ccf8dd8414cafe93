"""The built-in CRM's contacts over HTTP: ``GET /api/v1/contacts[?q=&limit=]`` (people, newest first, with their
accounts) and ``GET /api/v1/contacts/{id}`` (a person with accounts and timeline; a merged id answers the person
it was merged into)."""

from __future__ import annotations

from aiohttp import web

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
