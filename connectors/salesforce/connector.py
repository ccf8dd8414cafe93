"""Salesforce (``type = "salesforce"``): the hub's CRM writes as Contacts (or Leads), Tasks and Opportunities.

* ``upsert_contact`` → the ``contact_object`` (``Contact``, or ``Lead`` with a ``Company``) upserted by an
  external-id field (``external_id_field``, default ``LiveHub_Key__c``) holding the viewer's platform identity
  (``"douyin:123"``) or email: ``LastName`` from the name (the key when there is none), ``Email``, ``Phone``,
  ``HasOptedOutOfEmail`` for a refused consent. Consecutive contact writes go in one sObject Collections
  upsert of up to 200, and each record's ``[{statusCode, message, fields}]`` answers its own write.
* ``add_note`` → a completed ``Task`` on the contact (``WhoId``), upserted by the write's key in
  ``task_external_id_field``: a redelivered write updates the same Task, never a second.
* ``upsert_deal`` → an ``Opportunity`` (``deal_object``) upserted by ``deal_external_id_field`` (``Name``,
  ``StageName`` from ``stages``, ``CloseDate``, ``Amount``; ``ContactId`` when the contacts are Contacts: an
  Opportunity does not point at a Lead).

A refusal of the write itself (a validation error: a required field, a bad value) marks it ``failed`` with
Salesforce's codes, messages and fields; an outage, the allowance used up or a locked row is retried.

OAuth (client credentials or JWT bearer; the token URL a setting), refresh before expiry and
``Sforce-Limit-Info`` are the client's (:mod:`.client`); the outbox, retries and states are the base's. The
org needs the custom external-id fields (docs/crm/salesforce.md).
"""

from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.salesforce.client import (
    COLLECTION_LIMIT,
    SalesforceAuthError,
    SalesforceClient,
    SalesforceError,
    SalesforceUnavailable,
    error_for,
)
from hub.crm import CrmConnector, CrmRejected, CrmWrite
from hub.secrets import Secret

DEFAULT_STAGES = {"lead": "Prospecting", "won": "Closed Won", "refunded": "Closed Lost", "lost": "Closed Lost"}


class SalesforceSettings(BaseModel):
    """``[connectors.<name>] type = "salesforce"``: the org, the OAuth flow and where the hub's writes go."""

    model_config = ConfigDict(extra="forbid")

    token_url: str = Field("https://login.salesforce.com/services/oauth2/token",
                           description="the OAuth 2.0 token endpoint (login, test or the org's My Domain)")
    instance_url: str | None = Field(None, description="the org's address; default: the token answer's")
    client_id: str = Field(min_length=1, description="the connected app's consumer key")
    client_secret: Secret | None = Field(None, description="the client-credentials flow's consumer secret")
    private_key: Secret | None = Field(None, description="the JWT bearer flow's RSA private key (PEM)")
    username: str | None = Field(None, description="the JWT bearer flow's user")
    api_version: str = Field("v62.0", pattern=r"^v\d{2,3}\.\d$", description="the REST API version")
    token_ttl_s: float = Field(7200.0, gt=60, description="the org's session timeout (tokens are fetched again "
                                                          "five minutes before)")
    contact_object: str = Field("Contact", pattern="^(Contact|Lead)$", description="Contact or Lead")
    lead_company: str = Field("Live viewers", description="a Lead's Company (required by Salesforce)")
    external_id_field: str = Field("LiveHub_Key__c", description="the contacts' external-id field")
    task_external_id_field: str = Field("LiveHub_Write_Key__c", description="the Tasks' external-id field")
    deal_object: str = Field("Opportunity", pattern=r"^\w+$", description="the object deals are written as")
    deal_external_id_field: str = Field("LiveHub_Deal_Key__c", description="the deals' external-id field")
    stages: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_STAGES),
                                   description="the hub's deal stages (lead, won, refunded, lost) → StageName")
    timeout_s: float = Field(15.0, gt=0, le=120, description="HTTP timeout per request")

    @model_validator(mode="after")
    def _one_flow(self) -> SalesforceSettings:
        if self.client_secret is None and (self.private_key is None or not self.username):
            raise ValueError("client_secret (client credentials), or private_key and username (JWT bearer)")
        return self


def _rejected(exc: SalesforceError) -> CrmRejected:
    return CrmRejected(str(exc), exc.fields)


class SalesforceCrm(CrmConnector):
    """One Salesforce org (see the module docstring)."""

    config: SalesforceSettings
    auth_errors = (SalesforceAuthError,)

    def __init__(self, name: str, config: SalesforceSettings, hub: Any) -> None:
        super().__init__(name, config, hub)
        self._contact_ids: dict[str, str] = {}

    def make_client(self) -> SalesforceClient:
        c = self.config
        return SalesforceClient(
            c.token_url, c.client_id, client_secret=c.client_secret.get() if c.client_secret else None,
            private_key=c.private_key.get() if c.private_key else None, username=c.username,
            api_version=c.api_version, instance_url=c.instance_url, token_ttl_s=c.token_ttl_s,
            timeout_s=c.timeout_s)

    def status(self) -> dict[str, Any]:
        out = super().status()
        usage = self._client.api_usage if self._client is not None else None
        if usage is not None:
            out["api_usage"] = {"used": usage[0], "max": usage[1]}
        return out

    # -- one write -----------------------------------------------------------------------------------

    async def send(self, write: CrmWrite) -> dict[str, Any]:
        """One write (see the module docstring); a validation refusal → :class:`CrmRejected`."""
        try:
            if write.op == "upsert_contact":
                return await self._contact(write)
            if write.op == "add_note":
                return await self._task(write)
            return await self._opportunity(write)
        except (SalesforceAuthError, SalesforceUnavailable):
            raise
        except SalesforceError as exc:
            raise _rejected(exc) from None

    def _contact_record(self, write: CrmWrite) -> tuple[str, dict[str, Any]]:
        key = str(write.payload.get("external_key") or "").strip()
        if not key:
            raise CrmRejected("a contact write without a key", ["external_key"])
        fields = write.payload.get("fields") or {}
        record: dict[str, Any] = {}
        if fields.get("name"):
            record["LastName"] = str(fields["name"])[:80]
        if fields.get("email"):
            record["Email"] = str(fields["email"])[:80]
        if fields.get("phone"):
            record["Phone"] = str(fields["phone"])[:40]
        if fields.get("consent") in ("granted", "refused"):
            record["HasOptedOutOfEmail"] = fields["consent"] == "refused"
        if self.config.contact_object == "Lead":
            record["Company"] = self.config.lead_company
        return key, record

    async def _contact(self, write: CrmWrite) -> dict[str, Any]:
        key, record = self._contact_record(write)
        c = self.config
        try:
            result = await self.client.upsert(c.contact_object, c.external_id_field, key, record)
        except SalesforceError as exc:
            if exc.code != "REQUIRED_FIELD_MISSING" or "LastName" in record or "LastName" not in exc.fields:
                raise
            # a new contact and no name to give: named by its key (an existing one keeps its name)
            result = await self.client.upsert(c.contact_object, c.external_id_field, key,
                                              {**record, "LastName": key[:80]})
        self._remember(key, result["id"])
        return result

    def _remember(self, key: str, contact: str) -> None:
        """Keep the contact id of ``key`` (at most 10,000 kept, the oldest forgotten first)."""
        if not contact:
            return  # an update answered 204 without a body: looked up when needed
        self._contact_ids.pop(key, None)
        self._contact_ids[key] = contact
        while len(self._contact_ids) > 10_000:
            del self._contact_ids[next(iter(self._contact_ids))]

    async def _contact_id(self, payload: dict[str, Any]) -> str:
        """The Salesforce id of the write's contact; made (named by its key) when the org has none."""
        key = str(payload.get("external_key") or "").strip()
        if not key:
            raise CrmRejected("a write without the contact's key", ["external_key"])
        known = self._contact_ids.get(key)
        if known:
            return known
        c = self.config
        quoted = key.replace("\\", "\\\\").replace("'", "\\'")
        found = await self.client.query(f"SELECT Id FROM {c.contact_object} WHERE {c.external_id_field} = '{quoted}'")
        if found:
            contact = str(found[0].get("Id"))
        else:
            record: dict[str, Any] = {"LastName": key[:80]}
            if c.contact_object == "Lead":
                record["Company"] = c.lead_company
            contact = (await self.client.upsert(c.contact_object, c.external_id_field, key, record))["id"]
        if not contact:
            raise SalesforceUnavailable(200, [{"message": f"no id for the contact {key[:80]}", "errorCode": "",
                                               "fields": []}])
        self._remember(key, contact)
        return contact

    async def _task(self, write: CrmWrite) -> dict[str, Any]:
        payload = write.payload
        contact = await self._contact_id(payload)
        text = str(payload.get("text") or "")
        first = text.strip().splitlines()[0].strip() if text.strip() else ""
        subject = str(payload.get("subject") or first[:80] or "LiveHub")[:255]
        task = {"Subject": subject, "Description": text[:32000], "Status": "Completed", "WhoId": contact,
                "ActivityDate": datetime.date.today().isoformat()}
        result = await self.client.upsert("Task", self.config.task_external_id_field, write.key[:255], task)
        return {**result, "contact": contact}

    async def _opportunity(self, write: CrmWrite) -> dict[str, Any]:
        payload = write.payload
        fields = payload.get("fields") or {}
        deal_key = str(payload.get("deal_key") or "").strip()
        if not deal_key:
            raise CrmRejected("a deal write without its key", ["deal_key"])
        amount = None
        if fields.get("amount") not in (None, ""):
            try:
                amount = float(fields["amount"])
            except (TypeError, ValueError):
                raise CrmRejected(f"the amount {str(fields['amount'])[:40]!r} is not a number", ["amount"]) from None
        contact = await self._contact_id(payload)
        record: dict[str, Any] = {"CloseDate": datetime.date.today().isoformat()}
        if self.config.contact_object == "Contact":
            record["ContactId"] = contact
        if fields.get("title"):
            record["Name"] = str(fields["title"])[:120]
        if fields.get("stage"):
            record["StageName"] = self.config.stages.get(str(fields["stage"]), str(fields["stage"]))
        if amount is not None:
            record["Amount"] = amount
        result = await self.client.upsert(self.config.deal_object, self.config.deal_external_id_field, deal_key, record)
        return {**result, "contact": contact}

    # -- batches -------------------------------------------------------------------------------------

    def batchable(self, writes: list[CrmWrite], start: int) -> int:
        """Consecutive contact writes with a name (no key twice, at most 200) go in one sObject Collections
        upsert."""
        return len(self._contact_group(writes, start))

    async def send_batch(self, writes: list[CrmWrite]) -> list[Any]:
        group = self._contact_group(writes, 0)
        field = self.config.external_id_field
        try:
            results = await self.client.collections_upsert(
                self.config.contact_object, field, [{field: key, **record} for _, key, record in group])
        except (SalesforceAuthError, SalesforceUnavailable) as exc:
            return [exc]
        except SalesforceError as exc:  # the whole request refused: each write gets that answer
            return [_rejected(exc)] * len(group)
        out: list[Any] = []
        for n, (_, key, _) in enumerate(group):
            result = results[n] if n < len(results) else {}
            if result.get("success"):
                self._remember(key, str(result.get("id") or ""))
                out.append({"id": str(result.get("id") or ""), "created": bool(result.get("created"))})
                continue
            errors = [e for e in result.get("errors") or [] if isinstance(e, dict)]
            error = error_for(400, errors or [{"message": "no result for this record", "errorCode": ""}])
            if isinstance(error, SalesforceUnavailable | SalesforceAuthError) or not errors:
                out.append(error)  # a locked row, no answer: this write and the ones after it go again
                break
            out.append(_rejected(error))
        return out

    def _contact_group(self, writes: list[CrmWrite], start: int) -> list[tuple[CrmWrite, str, dict[str, Any]]]:
        group: list[tuple[CrmWrite, str, dict[str, Any]]] = []
        seen: set[str] = set()
        for write in writes[start:start + COLLECTION_LIMIT]:
            if write.op != "upsert_contact":
                break
            try:
                key, record = self._contact_record(write)
            except CrmRejected:
                break
            if key in seen or "LastName" not in record:
                break  # without a name it goes alone (named by its key only if it is new)
            seen.add(key)
            group.append((write, key, record))
        return group
