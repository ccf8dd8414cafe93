"""HubSpot (``type = "hubspot"``): the hub's CRM writes as HubSpot contacts, notes and deals.

* ``upsert_contact`` → contacts upserted by a **custom unique property** holding the viewer's platform identity
  (``id_property``, default ``livehub_key``: ``"douyin:123"``), or by ``email`` for an email key; the name
  goes to ``firstname``, with ``email`` and ``phone``. Consecutive contact writes go in one ``batch/upsert``
  of up to 100 (:meth:`HubSpotCrm.batchable`); one bad input refuses a whole batch, so a refused batch is
  split in halves until each bad write has its own answer.
* ``add_note`` → a note (``hs_note_body``, ``hs_timestamp``) associated to the contact (type 202); consecutive
  notes go in one ``batch/create`` (their unknown contacts upserted together first). HubSpot has no
  idempotency key for notes, so each note carries the write's key in a property (``note_key_property``) and a
  write tried before is looked up by it first, alone: a redelivery never makes a second note.
* ``upsert_deal`` → deals upserted by ``deal_id_property`` (``dealname``, ``amount``, ``deal_currency_code``,
  ``pipeline``, ``dealstage`` from ``stages``) and associated to the contact.

The merchant's portal needs the custom properties (docs/crm/hubspot.md). The base class owns the outbox,
retries and states; a validation error is refused for good with HubSpot's message and the properties it
blamed; a 401 stops the connector in ``auth_failed``; 429s are waited out by the client.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connectors.hubspot.client import (
    BATCH_LIMIT,
    NOTE_TO_CONTACT,
    HubSpotAuthError,
    HubSpotClient,
    HubSpotError,
    HubSpotRateLimited,
    HubSpotUnavailable,
    association,
)
from hub.crm import CrmConnector, CrmRejected, CrmWrite
from hub.secrets import Secret

NOTE_BODY_MAX = 65_536
DEFAULT_STAGES = {"lead": "appointmentscheduled", "won": "closedwon", "refunded": "closedlost",
                  "lost": "closedlost"}


class HubSpotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_base: str = Field("https://api.hubapi.com", description="the API's address")
    token: Secret = Field(description="a private app's access token (scopes crm.objects.contacts.read/write, "
                                      "crm.objects.deals.read/write)")
    api_version: str = Field("v3", pattern=r"^v\d+$|^\d{4}-\d{2}$",
                             description='the objects API version segment: "v3" or a date such as "2026-03"')
    id_property: str = Field("livehub_key", min_length=1,
                             description="the contacts' custom unique property holding the platform identity")
    deal_id_property: str = Field("livehub_deal_key", min_length=1,
                                  description="the deals' custom unique property holding the hub's deal key")
    note_key_property: str = Field("livehub_write_key", min_length=1,
                                   description="the notes' custom property holding the write's idempotency key")
    pipeline: str = Field("default", description="the deals' pipeline")
    stages: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_STAGES),
                                   description="the hub's deal stages (lead, won, refunded, lost) → dealstage ids")
    timeout_s: float = Field(15.0, gt=0, le=120, description="HTTP timeout per request")


def _is_email(key: str) -> bool:
    return "@" in key and ":" not in key.split("@", 1)[0]


class HubSpotCrm(CrmConnector):
    """One HubSpot account (see the module docstring)."""

    config: HubSpotSettings
    auth_errors = (HubSpotAuthError,)

    def __init__(self, name: str, config: HubSpotSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self._contact_ids: dict[str, str] = {}

    def make_client(self) -> HubSpotClient:
        c = self.config
        return HubSpotClient(c.api_base, c.token.get(), version=c.api_version, timeout_s=c.timeout_s)

    def status(self) -> dict[str, Any]:
        out = super().status()
        if self._client is not None:
            window = self._client.window
            out["rate_limit"] = {"remaining": window.remaining, "daily": window.daily, "limited": window.limited,
                                 "waited_s": round(window.waited_s, 3)}
        return out

    # -- one write -----------------------------------------------------------------------------------

    async def send(self, write: CrmWrite) -> dict[str, Any]:
        try:
            if write.op == "upsert_contact":
                return await self._contact_alone(write)
            if write.op == "add_note":
                return await self._note(write)
            return await self._deal(write)
        except (HubSpotAuthError, HubSpotRateLimited, HubSpotUnavailable):
            raise
        except HubSpotError as exc:
            raise CrmRejected(str(exc), exc.fields) from None

    def _contact_input(self, write: CrmWrite) -> tuple[str, dict[str, Any]]:
        """(id property, batch input) of a contact write."""
        key = str(write.payload.get("external_key") or "").strip()
        fields = write.payload.get("fields") or {}
        if not key:
            raise CrmRejected("a contact write without a key", ["external_key"])
        properties: dict[str, Any] = {}
        if fields.get("name"):
            properties["firstname"] = str(fields["name"])[:200]
        for name in ("email", "phone"):
            if fields.get(name):
                properties[name] = str(fields[name])[:200]
        if _is_email(key):
            return "email", {"id": key.lower(), "properties": properties}
        return self.config.id_property, {"id": key, "properties": properties}

    async def _contact_alone(self, write: CrmWrite) -> dict[str, Any]:
        id_property, item = self._contact_input(write)
        answer = await self.client.batch_upsert("contacts", id_property, [item])
        found = self._results_by_id(answer, id_property)
        if item["id"] not in found:
            errors = answer.get("errors") or [{}]
            message = str((errors[0] or {}).get("message") or "HubSpot did not upsert the contact")
            raise HubSpotError(400, message)
        self._contact_ids[str(write.payload["external_key"])] = found[item["id"]]
        return {"id": found[item["id"]]}

    def _results_by_id(self, answer: dict[str, Any], id_property: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for result in answer.get("results") or []:
            if isinstance(result, dict):
                value = str((result.get("properties") or {}).get(id_property) or "")
                out[value.lower() if id_property == "email" else value] = str(result.get("id"))
        return out

    async def _contact_id(self, key: str) -> str:
        """The HubSpot id of the contact of ``key`` (upserted, so created if new)."""
        known = self._contact_ids.get(key)
        if known is not None:
            return known
        result = await self._contact_alone(CrmWrite(0, "", "upsert_contact", {"external_key": key, "fields": {}}))
        return str(result["id"])

    async def _note(self, write: CrmWrite) -> dict[str, Any]:
        key_property = self.config.note_key_property
        if write.attempts > 0:  # tried before: it may have been made though the answer was lost
            for found in await self.client.search("notes", key_property, write.key, limit=1):
                return {"id": str(found.get("id")), "existing": True}
        contact = await self._contact_id(str(write.payload.get("external_key") or ""))
        properties = {"hs_timestamp": int(time.time() * 1000),
                      "hs_note_body": str(write.payload.get("text") or "")[:NOTE_BODY_MAX], key_property: write.key}
        answer = await self.client.create("notes", properties, [association(contact, NOTE_TO_CONTACT)])
        return {"id": str(answer.get("id")), "contact": contact}

    async def _deal(self, write: CrmWrite) -> dict[str, Any]:
        payload = write.payload
        fields = payload.get("fields") or {}
        deal_key = str(payload.get("deal_key") or "")
        properties: dict[str, Any] = {"pipeline": self.config.pipeline}
        if fields.get("title"):
            properties["dealname"] = str(fields["title"])[:250]
        if fields.get("stage"):
            properties["dealstage"] = self.config.stages.get(str(fields["stage"]), str(fields["stage"]))
        if fields.get("amount") is not None:
            properties["amount"] = str(fields["amount"])
        if fields.get("currency"):
            properties["deal_currency_code"] = str(fields["currency"])
        answer = await self.client.batch_upsert("deals", self.config.deal_id_property,
                                                [{"id": deal_key, "properties": properties}])
        found = self._results_by_id(answer, self.config.deal_id_property)
        if deal_key not in found:
            raise HubSpotError(400, str(((answer.get("errors") or [{}])[0] or {}).get("message") or
                                        "HubSpot did not upsert the deal"))
        contact = await self._contact_id(str(payload.get("external_key") or ""))
        await self.client.associate("deals", found[deal_key], "contacts", contact)
        return {"id": found[deal_key], "contact": contact}

    # -- batches -------------------------------------------------------------------------------------

    def batchable(self, writes: list[CrmWrite], start: int) -> int:
        """Consecutive notes never tried before go in one ``batch/create``; consecutive contact writes (one id
        property, no id twice) in one ``batch/upsert``; at most 100 each."""
        notes = self._note_group(writes, start)
        return len(notes) if notes else len(self._contact_group(writes, start))

    async def send_batch(self, writes: list[CrmWrite]) -> list[Any]:
        if writes[0].op == "add_note":
            return await self._notes_batch(writes)
        return await self._contacts_batch(self._contact_group(writes, 0))

    def _note_group(self, writes: list[CrmWrite], start: int) -> list[CrmWrite]:
        """Consecutive notes never tried before (a retried one is looked up first, alone)."""
        group: list[CrmWrite] = []
        for write in writes[start:start + BATCH_LIMIT]:
            if write.op != "add_note" or write.attempts > 0 or not write.payload.get("external_key"):
                break
            group.append(write)
        return group

    async def _notes_batch(self, group: list[CrmWrite]) -> list[Any]:
        """The notes' contacts upserted together where their ids are not known, then one ``batch/create``."""
        try:
            missing = list(dict.fromkeys(str(w.payload["external_key"]) for w in group
                                         if str(w.payload["external_key"]) not in self._contact_ids))
            if missing:
                contacts = [CrmWrite(0, "", "upsert_contact", {"external_key": key, "fields": {}}) for key in missing]
                for outcome in await self.send_many(contacts):
                    if isinstance(outcome, Exception):
                        raise outcome
            key_property = self.config.note_key_property
            now = int(time.time() * 1000)
            inputs = [{"properties": {"hs_timestamp": now, "hs_note_body": str(w.payload.get("text") or "")
                                      [:NOTE_BODY_MAX], key_property: w.key},
                       "associations": [association(self._contact_ids[str(w.payload["external_key"])],
                                                    NOTE_TO_CONTACT)]} for w in group]
            answer = await self.client.batch_create("notes", inputs)
        except (HubSpotAuthError, HubSpotRateLimited, HubSpotUnavailable) as exc:
            return [exc]
        except (HubSpotError, CrmRejected, KeyError):  # one bad note refuses them all: one by one
            return await self.send_each(group)
        made = {str((r.get("properties") or {}).get(key_property)): str(r.get("id"))
                for r in answer.get("results") or [] if isinstance(r, dict)}
        return [{"id": made[w.key]} if w.key in made else HubSpotUnavailable(0, "a note missing from the batch's "
                                                                                "results") for w in group]

    def _contact_group(self, writes: list[CrmWrite], start: int) -> list[tuple[CrmWrite, str, dict[str, Any]]]:
        group: list[tuple[CrmWrite, str, dict[str, Any]]] = []
        seen: set[str] = set()
        for write in writes[start:start + BATCH_LIMIT]:
            if write.op != "upsert_contact":
                break
            try:
                id_property, item = self._contact_input(write)
            except CrmRejected:
                break
            if (group and id_property != group[0][1]) or item["id"] in seen:
                break
            seen.add(item["id"])
            group.append((write, id_property, item))
        return group

    async def _contacts_batch(self, group: list[tuple[CrmWrite, str, dict[str, Any]]]) -> list[Any]:
        id_property = group[0][1]
        try:
            answer = await self.client.batch_upsert("contacts", id_property, [item for _, _, item in group])
        except (HubSpotAuthError, HubSpotRateLimited, HubSpotUnavailable) as exc:
            return [exc]
        except HubSpotError as exc:  # one bad input refuses the batch: halves, until each bad one has its answer
            if len(group) == 1:
                return [CrmRejected(str(exc), exc.fields)]
            half = len(group) // 2
            first = await self._contacts_batch(group[:half])
            if any(isinstance(o, Exception) and not isinstance(o, CrmRejected) for o in first):
                return first
            return first + await self._contacts_batch(group[half:])
        found = self._results_by_id(answer, id_property)
        out: list[Any] = []
        for write, _, item in group:
            if item["id"] in found:
                self._contact_ids[str(write.payload["external_key"])] = found[item["id"]]
                out.append({"id": found[item["id"]]})
                continue
            single = (await self.send_each([write]))[0]  # not in the results: its own answer says why
            out.append(single)
            if isinstance(single, Exception) and not isinstance(single, CrmRejected):
                break
        return out
