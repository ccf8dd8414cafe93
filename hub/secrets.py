"""Secrets by reference: ``{env = "NAME"}`` or ``{file = "path"}``, resolved at start, never printed.

A config value written as one of those inline tables becomes a :class:`SecretValue`. Its ``repr``,
``str`` and JSON form are masked; only :meth:`SecretValue.get` gives the value. Every resolved value is
also added to a :class:`Redactor`, a logging filter that masks it in any log line or traceback text.
Fields that hold secrets are typed :data:`Secret`; a literal string there is refused.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic_core import PydanticCustomError, core_schema

MASK = "**********"


class SecretValue:
    """A resolved secret. ``source`` says where it came from (``env:NAME`` or ``file:path``)."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"SecretValue({MASK}, source={self.source!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        def check(value: Any) -> SecretValue:
            if isinstance(value, SecretValue):
                return value
            raise PydanticCustomError(
                "secret_reference",
                'secrets must be a reference, {env = "NAME"} or {file = "path"}, not a literal value',
            )

        return core_schema.no_info_plain_validator_function(
            check, serialization=core_schema.plain_serializer_function_ser_schema(lambda v: MASK))


Secret = Annotated[SecretValue, "secret"]


class Redactor(logging.Filter):
    """Masks every known secret value in log records (message, arguments and exception text)."""

    def __init__(self) -> None:
        super().__init__("livehub-redactor")
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        if value and len(value) >= 3 and value not in self._values:
            self._values.add(value)
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))

    def redact(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redact(message), None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True

    def install(self) -> None:
        """Attach to the root logger's handlers (and to new records through a record factory)."""
        root = logging.getLogger()
        for handler in root.handlers:
            if self not in handler.filters:
                handler.addFilter(self)


def _is_reference(value: Any) -> bool:
    return (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("env", "file")
            and isinstance(next(iter(value.values())), str))


def resolve_references(data: Any, *, base_dir: Path, redactor: Redactor | None, path: str = "",
                       problems: list[str] | None = None) -> Any:
    """Return ``data`` with every ``{env=…}``/``{file=…}`` table replaced by a :class:`SecretValue`.

    Problems (unset variable, unreadable file) are appended to ``problems`` as ``key.path: reason``.
    """
    problems = problems if problems is not None else []
    if _is_reference(data):
        kind, ref = next(iter(data.items()))
        if kind == "env":
            value = os.environ.get(ref)
            if value is None:
                problems.append(f"{path}: environment variable {ref} is not set")
                return None
        else:
            file = Path(ref).expanduser()
            file = file if file.is_absolute() else base_dir / file
            try:
                value = file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                problems.append(f"{path}: cannot read secret file {ref}: {exc.strerror}")
                return None
        if redactor is not None:
            redactor.add(value)
        return SecretValue(value, f"{kind}:{ref}")
    if isinstance(data, dict):
        return {k: resolve_references(v, base_dir=base_dir, redactor=redactor,
                                      path=f"{path}.{k}" if path else str(k), problems=problems)
                for k, v in data.items()}
    if isinstance(data, list):
        return [resolve_references(v, base_dir=base_dir, redactor=redactor, path=f"{path}[{i}]",
                                   problems=problems) for i, v in enumerate(data)]
    return data
