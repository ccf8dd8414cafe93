"""``liveChatMessages.streamList``: the server-streaming gRPC call of the official proto
(``youtube.api.v3.V3DataLiveChatMessageService/StreamList``, :mod:`connectors.youtube.stream_list_pb2`).

:class:`StreamReader` opens the call on ``target`` (TLS, or plaintext for the stand-in) with the
credentials as metadata (``authorization: Bearer …`` or ``x-goog-api-key``) and yields each response's
raw bytes: they are parsed here (:func:`decode_response`), not by gRPC, so that one malformed response is
skipped and counted instead of ending the stream. YouTube closes these streams after a while; the
connector opens the next one from the last ``next_page_token``.

:func:`grpc_frames` reads gRPC's length-prefixed message framing (1-byte compressed flag, 4-byte
big-endian length, the message, gzip'd when flagged) out of a byte string; on a live connection gRPC's
core does this, the benchmark and the fuzz tests use it to run the whole decode in Python.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from connectors.youtube import stream_list_pb2 as pb

METHOD = "/youtube.api.v3.V3DataLiveChatMessageService/StreamList"
PARTS = ("id", "snippet", "authorDetails")
MAX_MESSAGE = 4 * 1024 * 1024  # gRPC's default receive limit
_HEADER = struct.Struct(">BI")


class StreamFormatError(ValueError):
    """A streamList response or gRPC frame that cannot be read."""


def decode_response(data: bytes) -> Any:
    """A ``LiveChatMessageListResponse`` from its bytes; :class:`StreamFormatError` when malformed."""
    try:
        return pb.LiveChatMessageListResponse.FromString(data)
    except (DecodeError, RuntimeError, ValueError, TypeError) as exc:
        raise StreamFormatError(f"not a LiveChatMessageListResponse: {exc}") from None


def grpc_frame(payload: bytes, *, compress: bool = False) -> bytes:
    """One gRPC length-prefixed message (gzip'd when ``compress``)."""
    if compress:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    return _HEADER.pack(1 if compress else 0, len(payload)) + payload


def grpc_frames(data: bytes) -> Iterator[bytes]:
    """The messages of a run of gRPC length-prefixed frames, decompressed; :class:`StreamFormatError` for
    a truncated frame, a wrong length, an unknown flag or a bad gzip body."""
    view, offset, end = memoryview(data), 0, len(data)
    while offset < end:
        if end - offset < 5:
            raise StreamFormatError("a truncated gRPC frame header")
        flag, length = _HEADER.unpack_from(view, offset)
        offset += 5
        if flag > 1 or length > MAX_MESSAGE:
            raise StreamFormatError(f"bad gRPC frame (flag {flag}, length {length})")
        if end - offset < length:
            raise StreamFormatError(f"a gRPC frame of {length} bytes has {end - offset}")
        body = bytes(view[offset:offset + length])
        offset += length
        if flag:
            try:
                body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
            except zlib.error as exc:
                raise StreamFormatError(f"bad gzip body: {exc}") from None
            if len(body) > MAX_MESSAGE:
                raise StreamFormatError("a gzip body too large")
        yield body


def request(chat_id: str, page_token: str | None, *, hl: str = "", profile_image_size: int = 0) -> Any:
    message = pb.LiveChatMessageListRequest(live_chat_id=chat_id, part=list(PARTS))
    if page_token:
        message.page_token = page_token
    if hl:
        message.hl = hl
    if profile_image_size:
        message.profile_image_size = profile_image_size
    return message


class StreamReader:
    """One gRPC channel to ``target``; :meth:`open` starts a StreamList call and yields response bytes."""

    def __init__(self, target: str, *, tls: bool = True) -> None:
        options = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.enable_retries", 0)]
        self.channel = (grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(), options=options) if tls
                        else grpc.aio.insecure_channel(target, options=options))
        self._stream_list = self.channel.unary_stream(METHOD, request_serializer=pb.LiveChatMessageListRequest.SerializeToString,
                                                      response_deserializer=None)  # raw bytes: parsed by us
        self.call: Any = None

    async def open(self, chat_id: str, page_token: str | None, metadata: list[tuple[str, str]],
                   on_open: Callable[[], None] | None = None, **options: Any) -> AsyncIterator[bytes]:
        """The responses of one StreamList call, as bytes, until YouTube ends it (``grpc.aio.AioRpcError``
        for a failed call). ``on_open`` is called once the server has accepted the call (its headers came)."""
        self.call = call = self._stream_list(request(chat_id, page_token, **options), metadata=metadata)
        try:
            await call.initial_metadata()
            if on_open is not None and not call.done():
                on_open()
            async for data in call:
                yield data
        finally:
            call.cancel()
            self.call = None

    async def close(self) -> None:
        await self.channel.close(grace=None)


def status_of(exc: BaseException) -> grpc.StatusCode | None:
    """The gRPC status code of a failed call (None for other errors)."""
    code = getattr(exc, "code", None)
    if isinstance(exc, grpc.aio.AioRpcError) and callable(code):
        return code()
    return None
