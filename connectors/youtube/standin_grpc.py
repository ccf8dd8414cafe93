"""The YouTube stand-in's gRPC side: ``V3DataLiveChatMessageService/StreamList`` of the official proto,
served by ``grpc.aio`` on 127.0.0.1 without TLS.

Each call is checked like the REST API (credentials in the metadata: ``authorization: Bearer`` or
``x-goog-api-key``, else ``PERMISSION_DENIED``; 5 quota units, ``RESOURCE_EXHAUSTED`` when spent; an
unknown chat ``NOT_FOUND``; a page token that is not one of ours ``INVALID_ARGUMENT``), then streams the
chat from the page token (or the recent history) in responses of at most ``stream_batch`` messages, each
with its ``next_page_token``, and waits for more. After ``stream_close_s`` seconds the stream ends
normally, as YouTube's do; ``disconnect`` faults abort live streams (``UNAVAILABLE``), a ``reconnect``
request ends them normally at once. At the end of the live the last response carries ``offline_at``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import grpc

from connectors.youtube import stream_list_pb2 as pb
from connectors.youtube import stream_list_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from connectors.youtube.standin import YoutubeStandin


class LiveStream:
    """One open StreamList call: asked to end (``close``) or to break (``drop``)."""

    def __init__(self) -> None:
        self.close = asyncio.Event()
        self.drop = asyncio.Event()


class StreamListServicer(pb_grpc.V3DataLiveChatMessageServiceServicer):
    def __init__(self, standin: YoutubeStandin) -> None:
        self.standin = standin
        self.streams: set[LiveStream] = set()
        self.figures = {"calls": 0, "refused": 0, "closed_by_server": 0, "dropped": 0, "responses": 0}

    async def StreamList(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802 - gRPC's name
        s = self.standin
        self.figures["calls"] += 1
        if s.outage_left() > 0:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "service unavailable")
        if not s.stream_enabled:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "streamList is not enabled for this project")
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        credential = s.credential(metadata.get("authorization", ""), metadata.get("x-goog-api-key", ""))
        if credential is None:
            self.figures["refused"] += 1
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "authError: the request has no valid credentials")
        if not s.quota.charge(credential, 5):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "quotaExceeded: the request cannot be completed "
                                                                    "because you have exceeded your quota")
        log = s.chats.get(request.live_chat_id)
        if log is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "liveChatNotFound: the live chat cannot be found")
        if request.HasField("page_token"):
            offset = log.offset(request.page_token)
            if offset is None:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "pageTokenInvalid: the page token is not valid")
        else:
            offset = max(0, len(log.messages) - s.history)
        s.record("api", call="streamList", live_chat_id=log.chat_id, offset=offset)
        await context.send_initial_metadata(())
        stream = LiveStream()
        self.streams.add(stream)
        deadline = time.monotonic() + s.stream_close_s
        try:
            while True:
                if stream.drop.is_set():
                    self.figures["dropped"] += 1
                    await context.abort(grpc.StatusCode.UNAVAILABLE, "the connection was reset")
                if offset < len(log.messages):
                    end = min(len(log.messages), offset + s.stream_batch)
                    response = pb.LiveChatMessageListResponse(
                        kind="youtube#liveChatMessageListResponse", etag=f"e{end}", items=log.messages[offset:end],
                        next_page_token=log.token(end))
                    response.page_info.total_results, response.page_info.results_per_page = end - offset, end - offset
                    if log.offline_at and end == len(log.messages):
                        response.offline_at = log.offline_at
                    offset = end
                    self.figures["responses"] += 1
                    yield response
                    continue
                if log.offline_at:  # the end, also for a client that resumes after it
                    yield pb.LiveChatMessageListResponse(kind="youtube#liveChatMessageListResponse",
                                                         next_page_token=log.token(offset), offline_at=log.offline_at)
                    return
                left = deadline - time.monotonic()
                if left <= 0 or stream.close.is_set():
                    self.figures["closed_by_server"] += 1
                    return
                waits = [asyncio.ensure_future(e.wait()) for e in (log.changed, stream.close, stream.drop)]
                try:
                    await asyncio.wait(waits, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waits:
                        waiter.cancel()
        finally:
            self.streams.discard(stream)

    def drop_all(self) -> int:
        for stream in self.streams:
            stream.drop.set()
        return len(self.streams)

    def close_all(self) -> int:
        for stream in self.streams:
            stream.close.set()
        return len(self.streams)


async def serve(servicer: StreamListServicer, host: str, port: int) -> tuple[grpc.aio.Server, int]:
    """Start a plaintext gRPC server for ``servicer`` on ``host:port`` (0: a free port)."""
    server = grpc.aio.server()
    pb_grpc.add_V3DataLiveChatMessageServiceServicer_to_server(servicer, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    return server, bound
