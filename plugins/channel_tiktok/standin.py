"""``livehub standin tiktok_posting``: TikTok's Content Posting API for the TikTok channel.

``/v2/post/publish/creator_info/query/``, ``/v2/post/publish/video/init/`` and ``.../inbox/video/init/``
(``FILE_UPLOAD``: ``video_size``, ``chunk_size``, ``total_chunk_count`` checked by TikTok's rules, with the
smallest chunk ``min_chunk`` bytes instead of 5 MB so tests stay small), the upload URL taking the chunks in
order (``Content-Range``; 206 until the last, then 201), and ``/v2/post/publish/status/fetch/`` (processing,
then ``PUBLISH_COMPLETE`` or ``SEND_TO_USER_INBOX``). A bearer token; inits limited to ``inits_per_minute``
(429 ``rate_limit_exceeded``); errors in TikTok's envelope ``{"data": {}, "error": {"code", "message",
"log_id"}}``. :meth:`posts` gives what was posted (caption, privacy, the video's bytes)."""

from __future__ import annotations

import itertools
import re
import secrets
import time
from collections import deque
from typing import Any

from aiohttp import web

from hub.events import Event
from hub.jsonbody import JsonBodyError
from hub.jsonbody import loads as load_json
from hub.standin import Standin, _json, _toml_value

RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
PRIVACY = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]


def _answer(data: dict[str, Any] | None = None, *, code: str = "ok", message: str = "", status: int = 200
            ) -> web.Response:
    return _json({"data": data or {}, "error": {"code": code, "message": message,
                                                 "log_id": secrets.token_hex(8)}}, status=status)


class TikTokPostingStandin(Standin):
    system = "tiktok_posting"
    secret_env = {"access_token": "TIKTOK_ACCESS_TOKEN"}
    room_bound = False

    def __init__(self, *, min_chunk: int = 5_000_000, inits_per_minute: int = 6, audited: bool = False,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.token = "act." + secrets.token_hex(12)
        self.min_chunk, self.inits_per_minute, self.audited = min_chunk, inits_per_minute, audited
        self.uploads: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._inits: deque[float] = deque()

    def connector_settings(self) -> dict[str, Any]:
        return {"api_base": self.url, "access_token": self.token}

    def connector_table(self, name: str | None = None, *, room: str = "main") -> str:
        """Not a connector: the channel backend's table (``[backends.channel.tiktok]``) pointing at it."""
        return (f"[backends.channel.tiktok]\napi_base = {_toml_value(self.url)}\n"
                f"access_token = {{env = {_toml_value(self.secret_env['access_token'])}}}\n")

    async def deliver(self, event: Event) -> Any:
        raise ValueError("the Content Posting API carries no viewer events")

    def posts(self) -> list[dict[str, Any]]:
        """Every post whose video arrived whole: caption, privacy, mode and the video's bytes."""
        return [{"publish_id": pid, **{k: u[k] for k in ("title", "privacy_level", "inbox", "chunks")},
                 "video": bytes(u["data"])} for pid, u in self.uploads.items() if u["complete"]]

    def setup_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v2/post/publish/creator_info/query/", self._creator)
        router.add_post("/v2/post/publish/video/init/", self._init)
        router.add_post("/v2/post/publish/inbox/video/init/", self._init)
        router.add_put("/upload/{id}", self._upload)
        router.add_post("/v2/post/publish/status/fetch/", self._status)

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    async def _body(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = load_json(await request.read() or b"{}")
        except JsonBodyError:
            return None
        return body if isinstance(body, dict) else None

    async def _creator(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _answer(code="access_token_invalid", message="The access token is invalid or not found.",
                           status=401)
        options = PRIVACY if self.audited else ["SELF_ONLY"]
        return _answer({"creator_username": "standin_shop", "creator_nickname": "Stand-in Shop",
                        "privacy_level_options": options, "comment_disabled": False, "duet_disabled": False,
                        "stitch_disabled": False, "max_video_post_duration_sec": 600})

    async def _init(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _answer(code="access_token_invalid", message="The access token is invalid or not found.",
                           status=401)
        now = time.monotonic()
        while self._inits and now - self._inits[0] > 60:
            self._inits.popleft()
        if len(self._inits) >= self.inits_per_minute:
            return _answer(code="rate_limit_exceeded", message="API rate limit was exceeded.", status=429)
        self._inits.append(now)
        body = await self._body(request)
        source = (body or {}).get("source_info") or {}
        problem = self._check_source(source)
        inbox = request.path.endswith("/inbox/video/init/")
        post = (body or {}).get("post_info") or {}
        if problem is None and not inbox:
            if post.get("privacy_level") not in (PRIVACY if self.audited else ["SELF_ONLY"]):
                problem = "privacy_level_option_mismatch"
        if problem is not None:
            return _answer(code=problem if "_" in problem else "invalid_params", message=problem, status=400)
        publish_id = f"v_pub_file~v2-1.{next(self._ids)}"
        self.uploads[publish_id] = {"size": int(source["video_size"]), "data": bytearray(), "chunks": 0,
                                    "expected": int(source["total_chunk_count"]), "title": post.get("title", ""),
                                    "privacy_level": post.get("privacy_level"), "inbox": inbox,
                                    "complete": False, "done_at": None}
        self.record("api", op="video.init", publish_id=publish_id, inbox=inbox)
        return _answer({"publish_id": publish_id, "upload_url": f"{self.url}/upload/{publish_id}"})

    def _check_source(self, source: dict[str, Any]) -> str | None:
        if source.get("source") != "FILE_UPLOAD":
            return "invalid_params: source must be FILE_UPLOAD here"
        try:
            size, chunk, count = (int(source[k]) for k in ("video_size", "chunk_size", "total_chunk_count"))
        except (KeyError, TypeError, ValueError):
            return "invalid_params: video_size, chunk_size and total_chunk_count are required"
        if size <= 0 or chunk <= 0 or not 1 <= count <= 1000:
            return "invalid_params: sizes must be positive, 1 to 1000 chunks"
        if size < self.min_chunk and (chunk != size or count != 1):
            return "invalid_params: a video smaller than a chunk goes whole"
        if size >= self.min_chunk and (chunk < self.min_chunk or count != max(1, size // chunk)):
            return "invalid_params: total_chunk_count must be video_size // chunk_size"
        return None

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["id"])
        if upload is None or upload["complete"]:
            return web.Response(status=404, text="unknown upload")
        match = RANGE.match(request.headers.get("Content-Range", ""))
        data = await request.read()
        if match is None:
            return web.Response(status=400, text="Content-Range: bytes first-last/total")
        first, last, total = (int(g) for g in match.groups())
        if total != upload["size"] or first != len(upload["data"]) or last - first + 1 != len(data):
            return web.Response(status=416, text="chunks go in order, each as its range says")
        upload["data"] += data
        upload["chunks"] += 1
        if len(upload["data"]) < upload["size"]:
            return web.Response(status=206)
        if upload["chunks"] != upload["expected"]:
            return web.Response(status=400, text="total_chunk_count does not match the chunks sent")
        upload["complete"], upload["done_at"] = True, time.monotonic() + 0.3
        self.record("api", op="video.uploaded", publish_id=request.match_info["id"], chunks=upload["chunks"])
        return web.Response(status=201)

    async def _status(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _answer(code="access_token_invalid", message="The access token is invalid or not found.",
                           status=401)
        publish_id = str(((await self._body(request)) or {}).get("publish_id") or "")
        upload = self.uploads.get(publish_id)
        if upload is None:
            return _answer(code="invalid_publish_id", message="The publish_id does not exist.", status=400)
        if not upload["complete"]:
            state = "PROCESSING_UPLOAD"
        elif time.monotonic() < upload["done_at"]:
            state = "PROCESSING_DOWNLOAD"
        else:
            state = "SEND_TO_USER_INBOX" if upload["inbox"] else "PUBLISH_COMPLETE"
        return _answer({"status": state, "uploaded_bytes": len(upload["data"]),
                        **({"publicaly_available_post_id": [7_300_000_000 + len(self.uploads)]}
                           if state == "PUBLISH_COMPLETE" and upload["privacy_level"] != "SELF_ONLY" else {})})
