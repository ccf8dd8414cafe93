"""Parsing JSON that comes from outside (HTTP bodies, trace lines) without letting it crash the parser.

:func:`loads` is :func:`json.loads` with limits: a size cap, a nesting cap (:data:`MAX_DEPTH`), no
``NaN``/``Infinity`` literals (not JSON, and refused by every database) and no deep recursion escaping
as :class:`RecursionError`. Anything wrong raises :class:`JsonBodyError`, a :class:`ValueError` whose
message never quotes the input (a message that echoed input through the secret redactor would tell a
caller whether a guess was a secret).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted (events and comments need 4)."""
MAX_BYTES = 16 * 1024 * 1024


class JsonBodyError(ValueError):
    """Input that is not acceptable JSON; the message says why, without quoting it."""


def _no_constants(name: str) -> Any:
    raise JsonBodyError(f"{name} is not a JSON value")


_decoder = json.JSONDecoder(parse_constant=_no_constants)


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """The nesting depth of ``value`` (a scalar is 0), counting at most to ``limit + 1``; iterative."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level) for child in children)
    return deepest


def loads(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """The JSON value of ``data`` (UTF-8 bytes or text); raises :class:`JsonBodyError`."""
    if len(data) > max_bytes:
        raise JsonBodyError(f"the JSON is larger than {max_bytes} bytes")
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise JsonBodyError("the body is not UTF-8 text") from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = _decoder.decode(text)
    except RecursionError:
        raise JsonBodyError(f"the JSON is nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise JsonBodyError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except ValueError as exc:  # JsonBodyError from parse_constant, or the decoder's own limits
        raise JsonBodyError(str(exc) if isinstance(exc, JsonBodyError) else "not valid JSON") from None
    if depth(value, max_depth) > max_depth:
        raise JsonBodyError(f"the JSON is nested deeper than {max_depth} levels")
    return value


def encodable(value: Any) -> bool:
    """False if any string in ``value`` (dict keys included) holds a lone surrogate, which no UTF-8 text,
    JSON file or database can hold. Iterative: any depth is fine."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return True
