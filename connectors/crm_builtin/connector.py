"""The built-in CRM (``type = "builtin_crm"``): contacts in the hub's own database, through the CRM outbox.

Its one method, :meth:`BuiltinCrm.send`, makes each outbox write in the ``people`` tables
(:mod:`hub.storage.people_store`): ``upsert_contact`` finds the person by account (``"douyin:123"``) or email,
creates or updates them, links further accounts and merges people an email shows to be one (never two people
with different addresses); ``add_note`` and ``upsert_deal`` go on the person's timeline.

A built-in CRM connector named by a tenant (``[tenants.<name>] connectors``, hub/tenants.py) keeps that tenant's
people and segments; one no tenant names keeps the operator's.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from hub.crm import CrmConnector, CrmRejected, CrmWrite
from hub.storage import people_store
from hub.tenants import OPERATOR, tenant_of_connector


class BuiltinCrmSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BuiltinCrm(CrmConnector):
    """The hub's own CRM (see the module docstring)."""

    @property
    def tenant(self) -> str:
        """Whose people this CRM keeps ("": the operator's)."""
        return tenant_of_connector(self.hub.config, self.name) or OPERATOR

    async def segment(self, name: str) -> list[dict[str, Any]]:
        from connectors.crm_builtin import segments

        row = await segments.get(self.hub.storage, name, tenant=self.tenant)
        if row is None:
            raise LookupError(f"no segment {name!r}")
        return await segments.members(self.hub.storage, segments.Definition.model_validate(row["definition"]),
                                      tenant=self.tenant)

    async def send(self, write: CrmWrite) -> dict[str, Any]:
        storage = self.hub.storage
        payload = write.payload
        tenant = self.tenant
        try:
            key = str(payload.get("external_key") or "")
            if write.op == "upsert_contact":
                person = await people_store.upsert_person(storage, key, dict(payload.get("fields") or {}),
                                                          tenant=tenant)
            elif write.op == "add_note":
                extra = {k: v for k, v in payload.items() if k not in ("external_key", "text")}
                person = await people_store.add_activity(storage, key, "note", str(payload.get("text") or ""),
                                                         extra or None, tenant=tenant)
            else:
                fields = dict(payload.get("fields") or {})
                person = await people_store.add_activity(storage, key, "deal", str(fields.get("title") or
                                                                                   payload.get("deal_key")),
                                                         {"deal_key": payload.get("deal_key"), **fields},
                                                         tenant=tenant)
        except ValueError as exc:  # a key that is neither an account nor an email: refused for good
            raise CrmRejected(str(exc), ["external_key"]) from None
        return {"id": person}
