"""Protobuf message classes from field tables written in Python, parsed by the ``protobuf`` library's C
core (upb): no ``.proto`` file, no ``protoc``, no generated code to keep in step.

Platforms that speak protobuf publish no schema one may ship; their field numbers are facts. A connector
writes the fields it reads as a table and gets real message classes::

    SCHEMA = build("douyin", {
        "User": {"id": (1, "uint64"), "nickname": (3, "string")},
        "Chat": {"user": (2, "User"), "content": (3, "string"), "tags": (4, "repeated string")},
    })
    chat = parse(SCHEMA["Chat"], payload)      # WireError on malformed input
    chat.user.nickname, chat.content

Types: the scalar names of protobuf (``string``, ``bytes``, ``bool``, ``uint64``, ``int64``, ``sint64``,
``uint32``, ``int32``, ``sint32``, ``fixed64``, ``fixed32``, ``double``, ``float``), another message of the
same table by name, ``repeated <type>``, and ``map`` (a string-to-string map, as repeated {key 1, value 2}
entries on the wire). Fields not in the table are kept as unknown fields and cost nothing to skip; proto3
rules apply (a string that is not UTF-8 is a decode error). This module imports nothing of the hub
except :class:`hub.protowire.WireError`.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError
from google.protobuf.message import Message as ProtoMessage

from hub.protowire import WireError

__all__ = ["build", "parse", "ProtoMessage"]

_FD = descriptor_pb2.FieldDescriptorProto
_SCALARS = {name: getattr(_FD, "TYPE_" + name.upper()) for name in (
    "string", "bytes", "bool", "uint64", "int64", "sint64", "uint32", "int32", "sint32", "fixed64", "fixed32",
    "double", "float")}
_POOL = descriptor_pool.DescriptorPool()  # one pool: every package's file is added once


def build(package: str, messages: dict[str, dict[str, tuple[int, str]]]) -> dict[str, type[ProtoMessage]]:
    """The message classes of ``messages`` (name → {field: (number, type)}) in protobuf package
    ``package`` (a package is built once per process: a second call with it returns the same classes)."""
    file_name = f"livehub/{package}.proto"
    try:
        _POOL.FindFileByName(file_name)
    except KeyError:
        _POOL.Add(_file(package, messages, file_name))
    return {name: message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{package}.{name}"))
            for name in messages}


def _file(package: str, messages: dict[str, dict[str, tuple[int, str]]], file_name: str) -> Any:
    proto = descriptor_pb2.FileDescriptorProto(name=file_name, package=package, syntax="proto3")
    for name, fields in messages.items():
        message = proto.message_type.add(name=name)
        for field_name, (number, kind) in fields.items():
            field = message.field.add(name=field_name, number=number, json_name=field_name)
            repeated = kind.startswith("repeated ") or kind == "map"
            field.label = _FD.LABEL_REPEATED if repeated else _FD.LABEL_OPTIONAL
            kind = kind.removeprefix("repeated ")
            if kind == "map":
                entry = message.nested_type.add(name=f"{field_name.title().replace('_', '')}Entry")
                entry.options.map_entry = True
                for key_name, key_number in (("key", 1), ("value", 2)):
                    entry.field.add(name=key_name, number=key_number, type=_FD.TYPE_STRING, label=_FD.LABEL_OPTIONAL)
                field.type, field.type_name = _FD.TYPE_MESSAGE, f".{package}.{name}.{entry.name}"
            elif kind in _SCALARS:
                field.type = _SCALARS[kind]
            elif kind in messages:
                field.type, field.type_name = _FD.TYPE_MESSAGE, f".{package}.{kind}"
            else:
                raise ValueError(f"{name}.{field_name}: unknown type {kind!r}")
    return proto


def parse(cls: type[ProtoMessage], data: bytes) -> Any:
    """``data`` parsed as ``cls``; :class:`hub.protowire.WireError` for anything malformed."""
    try:
        return cls.FromString(data)
    except (DecodeError, RuntimeError, ValueError, TypeError) as exc:
        raise WireError(f"not a valid {cls.DESCRIPTOR.name}: {exc}") from None
