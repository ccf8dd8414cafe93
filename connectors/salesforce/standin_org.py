"""The Salesforce stand-in's org: sObjects in memory with the fields, required fields and external-id fields of
the objects the connector writes, validated the way Salesforce answers (an array of ``{message, errorCode,
fields}``), a SOQL subset and query pages."""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

SCHEMAS: dict[str, dict[str, Any]] = {
    "Contact": {"prefix": "003", "required": ("LastName",), "external": ("LiveHub_Key__c",),
                "fields": {"FirstName": 40, "LastName": 80, "Email": 80, "Phone": 40, "HasOptedOutOfEmail": None,
                           "LiveHub_Key__c": 255, "AccountId": 18}},
    "Lead": {"prefix": "00Q", "required": ("LastName", "Company"), "external": ("LiveHub_Key__c",),
             "fields": {"FirstName": 40, "LastName": 80, "Company": 255, "Email": 80, "Phone": 40,
                        "HasOptedOutOfEmail": None, "LiveHub_Key__c": 255, "Status": 40}},
    "Task": {"prefix": "00T", "required": ("Status",), "external": ("LiveHub_Write_Key__c",),
             "fields": {"Subject": 255, "Description": 32000, "Status": 40, "WhoId": 18, "WhatId": 18,
                        "ActivityDate": 10, "Priority": 40, "LiveHub_Write_Key__c": 255}},
    "Opportunity": {"prefix": "006", "required": ("Name", "StageName", "CloseDate"),
                    "external": ("LiveHub_Deal_Key__c",),
                    "fields": {"Name": 120, "StageName": 40, "CloseDate": 10, "Amount": None, "ContactId": 18,
                               "Description": 32000, "LiveHub_Deal_Key__c": 255}},
}
REFERENCES = {"WhoId": ("Contact", "Lead"), "WhatId": ("Opportunity",), "ContactId": ("Contact",),
              "AccountId": ("Account",)}
"""Reference fields and the objects each may point at."""
RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SOQL = re.compile(r"^\s*SELECT\s+(?P<fields>[\w\s,]+?)\s+FROM\s+(?P<object>\w+)"
                  r"(?:\s+WHERE\s+(?P<field>\w+)\s*=\s*'(?P<value>(?:[^'\\]|\\.)*)')?\s*$", re.IGNORECASE)


class OrgError(Exception):
    """A request the org refuses: ``status`` and Salesforce's error array."""

    def __init__(self, status: int, message: str, code: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = [{"message": message, "errorCode": code, "fields": fields or []}]


class Org:
    """The org's records by object and id."""

    def __init__(self, page_size: int = 2000) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SCHEMAS}
        self.page_size = page_size
        self._ids = itertools.count(1)
        self._cursors: dict[str, list[dict[str, Any]]] = {}

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.objects.items()}

    def records(self, sobject: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.objects[sobject].values()]

    def _schema(self, sobject: str) -> dict[str, Any]:
        if sobject not in SCHEMAS:
            raise OrgError(404, f"The requested resource does not exist: sObject type '{sobject[:40]}' is not "
                           "supported", "NOT_FOUND")
        return SCHEMAS[sobject]

    def _validate(self, sobject: str, fields: Any, existing: dict[str, Any] | None) -> dict[str, Any]:
        schema = self._schema(sobject)
        if not isinstance(fields, dict):
            raise OrgError(400, "Cannot deserialize instance of sObject from the request body", "JSON_PARSER_ERROR")
        known = schema["fields"]
        for name, value in fields.items():
            if name in ("Id", "id"):
                raise OrgError(400, "The Id field should not be specified in the sobject data.", "INVALID_FIELD")
            if name not in known:
                raise OrgError(400, f"No such column '{str(name)[:60]}' on sobject of type {sobject}", "INVALID_FIELD",
                               [str(name)[:60]])
            limit = known[name]
            if isinstance(value, str) and limit is not None and len(value) > limit:
                raise OrgError(400, f"{name}: data value too large: {value[:20]}... (max length={limit})",
                               "STRING_TOO_LONG", [name])
            if name == "Email" and value and not EMAIL.match(str(value)):
                raise OrgError(400, f"Email: invalid email address: {str(value)[:80]}", "INVALID_EMAIL_ADDRESS",
                               ["Email"])
            if name in REFERENCES and value not in (None, ""):
                self._reference(name, str(value))
        merged = {**(existing or {}), **fields}
        missing = [name for name in schema["required"] if merged.get(name) in (None, "")]
        if missing:
            raise OrgError(400, f"Required fields are missing: [{', '.join(missing)}]", "REQUIRED_FIELD_MISSING",
                           missing)
        return merged

    def _reference(self, name: str, value: str) -> None:
        if not RECORD_ID.match(value):
            raise OrgError(400, f"{name}: invalid ID field: {value[:20]}", "MALFORMED_ID", [name])
        target = next((obj for obj, rows in self.objects.items() if value in rows), None)
        if target is None:
            raise OrgError(400, "invalid cross reference id", "INVALID_CROSS_REFERENCE_KEY", [name])
        if target not in REFERENCES[name]:
            raise OrgError(400, f"{name}: id value of incorrect type: {value[:20]}", "FIELD_INTEGRITY_EXCEPTION",
                           [name])

    def create(self, sobject: str, fields: Any) -> str:
        record = self._validate(sobject, fields, None)
        rid = f"{self._schema(sobject)['prefix']}{next(self._ids):015d}"
        self.objects[sobject][rid] = {"Id": rid, **{k: v for k, v in record.items() if k != "Id"}}
        return rid

    def _by_external(self, sobject: str, field: str, value: str) -> list[dict[str, Any]]:
        if field not in self._schema(sobject)["external"]:
            raise OrgError(404, f"Provided external ID field does not exist or is not accessible: {field[:60]}",
                           "NOT_FOUND")
        return [r for r in self.objects[sobject].values() if r.get(field) == value]

    def upsert(self, sobject: str, field: str, value: str, fields: Any) -> tuple[str, bool]:
        """(id, created) of the record whose ``field`` is ``value``."""
        found = self._by_external(sobject, field, value)
        if isinstance(fields, dict) and field in fields and fields[field] != value:
            raise OrgError(400, f"The external ID field {field} in the body does not match the URL",
                           "INVALID_FIELD", [field])
        if len(found) > 1:
            raise OrgError(300, f"More than one record found for external id field {field}", "MULTIPLE_CHOICES")
        if found:
            record = found[0]
            merged = self._validate(sobject, fields, record)
            record.update({k: v for k, v in merged.items() if k != "Id"})
            return record["Id"], False
        return self.create(sobject, {**(fields if isinstance(fields, dict) else {}), field: value}), True

    def collection_upsert(self, sobject: str, field: str, body: Any) -> list[dict[str, Any]]:
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            raise OrgError(400, "records: a non-empty list", "INVALID_FIELD", ["records"])
        if len(records) > 200:
            raise OrgError(400, "Number of records in the request exceeds the limit of 200", "EXCEEDED_ID_LIMIT")
        self._by_external(sobject, field, "")  # an unknown external-id field refuses the whole request
        all_or_none = bool(body.get("allOrNone"))
        before = copy.deepcopy(self.objects) if all_or_none else None
        out = []
        for item in records:
            item = dict(item) if isinstance(item, dict) else {}
            attributes = item.pop("attributes", {}) or {}
            try:
                if attributes.get("type") not in (None, sobject):
                    raise OrgError(400, "attributes.type does not match the URL", "INVALID_TYPE")
                value = str(item.get(field) or "")
                if not value:
                    raise OrgError(400, f"Required fields are missing: [{field}]", "REQUIRED_FIELD_MISSING", [field])
                rid, created = self.upsert(sobject, field, value, item)
                out.append({"id": rid, "success": True, "errors": [], "created": created})
            except OrgError as exc:
                out.append({"success": False, "errors": [{"statusCode": e["errorCode"], "message": e["message"],
                                                          "fields": e["fields"]} for e in exc.errors]})
        if before is not None and not all(r["success"] for r in out):  # allOrNone: nothing is kept
            self.objects = before
            rolled = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "fields": [],
                      "message": "Record rolled back because not all records were valid and the request was using "
                                 "AllOrNone header"}
            out = [r if not r["success"] else {"success": False, "errors": [dict(rolled)]} for r in out]
        return out

    def get(self, sobject: str, rid: str) -> dict[str, Any]:
        self._schema(sobject)
        record = self.objects[sobject].get(rid)
        if record is None:
            raise OrgError(404, "The requested resource does not exist", "NOT_FOUND")
        return {"attributes": {"type": sobject}, **record}

    def query(self, soql: str, base: str) -> dict[str, Any]:
        match = SOQL.match(soql)
        if match is None:
            raise OrgError(400, "unexpected token in the query (this org reads SELECT <fields> FROM <object> "
                           "[WHERE <field> = '<value>'])", "MALFORMED_QUERY")
        sobject = match["object"]
        schema = self._schema(sobject)
        names = [n.strip() for n in match["fields"].split(",") if n.strip()]
        unknown = [n for n in names + ([match["field"]] if match["field"] else [])
                   if n != "Id" and n not in schema["fields"]]
        if unknown:
            raise OrgError(400, f"No such column '{unknown[0][:60]}' on entity '{sobject}'", "INVALID_FIELD",
                           unknown[:1])
        rows = list(self.objects[sobject].values())
        if match["field"]:
            wanted = re.sub(r"\\(.)", r"\1", match["value"])
            rows = [r for r in rows if str(r.get(match["field"]) or "") == wanted]
        selected = [{"attributes": {"type": sobject, "url": f"{base[:-6]}/sobjects/{sobject}/{r['Id']}"},
                     **{n: r.get(n) for n in names}} for r in rows]
        return self._page(selected, base)

    def _page(self, rows: list[dict[str, Any]], base: str) -> dict[str, Any]:
        page, rest = rows[:self.page_size], rows[self.page_size:]
        out: dict[str, Any] = {"totalSize": len(rows), "done": not rest, "records": page}
        if rest:
            cursor = f"01gstandin{next(self._ids):08d}-{self.page_size}"
            self._cursors[cursor] = rest
            out["nextRecordsUrl"] = f"{base}/{cursor}"
        return out

    def next_page(self, cursor: str, base: str) -> dict[str, Any]:
        rest = self._cursors.pop(cursor, None)
        if rest is None:
            raise OrgError(400, "invalid query locator", "INVALID_QUERY_LOCATOR")
        out = self._page(rest, base)
        out["totalSize"] = len(rest)
        return out
