"""A small async client of TikTok's Content Posting API (v2). Nothing here knows the hub.

``POST /v2/post/publish/creator_info/query/`` (what the account may post), ``POST
/v2/post/publish/video/init/`` (direct post) or ``/v2/post/publish/inbox/video/init/`` (a draft in the
creator's inbox) with ``source_info`` ``FILE_UPLOAD`` (``video_size``, ``chunk_size``, ``total_chunk_count``),
then the file ``PUT`` to the returned ``upload_url`` in order, chunk by chunk, with ``Content-Range: bytes
first-last/total``, then ``POST /v2/post/publish/status/fetch/`` until the post is done. Every answer is
``{"data": ..., "error": {"code", "message", "log_id"}}``; a code other than ``ok`` raises
:class:`TikTokPostError` (``retryable`` for rate limits and server errors).

Chunks, as TikTok wants them: ``total_chunk_count = video_size // chunk_size`` (at least 1); the last chunk
takes the trailing bytes; a video smaller than a chunk goes whole.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

__all__ = ["TikTokPostingClient", "TikTokPostError", "chunks"]


class TikTokPostError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.status, self.code = status, code
        self.retryable = status == 429 or status >= 500 or code in ("rate_limit_exceeded", "internal_error")


def chunks(size: int, chunk_size: int) -> list[tuple[int, int]]:
    """The ``(first, last)`` byte ranges of a ``size``-byte video in ``chunk_size`` chunks, TikTok's way."""
    if size <= 0:
        raise ValueError("an empty video")
    if size <= chunk_size:
        return [(0, size - 1)]
    count = size // chunk_size
    ranges = [(n * chunk_size, (n + 1) * chunk_size - 1) for n in range(count)]
    ranges[-1] = (ranges[-1][0], size - 1)  # the last chunk takes the trailing bytes
    return ranges


class TikTokPostingClient:
    def __init__(self, api_base: str, token: str, *, timeout_s: float = 60.0) -> None:
        self.base, self.token = api_base.rstrip("/"), token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def _post(self, http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json; charset=UTF-8"}
        async with http.post(self.base + path, data=json.dumps(body), headers=headers) as resp:
            raw = await resp.read()
            try:
                answer = json.loads(raw) if raw else {}
            except ValueError:
                raise TikTokPostError(resp.status, "malformed", "an answer that is not JSON") from None
        error = answer.get("error") if isinstance(answer, dict) else None
        code = str((error or {}).get("code") or ("ok" if resp.status < 300 else f"http_{resp.status}"))
        if code != "ok" or resp.status >= 300:
            raise TikTokPostError(resp.status, code, str((error or {}).get("message") or "")[:300])
        data = answer.get("data")
        return data if isinstance(data, dict) else {}

    async def creator_info(self) -> dict[str, Any]:
        async with aiohttp.ClientSession(timeout=self.timeout) as http:
            return await self._post(http, "/v2/post/publish/creator_info/query/", {})

    async def post_video(self, video: bytes, *, title: str, privacy_level: str, chunk_size: int,
                         inbox: bool = False) -> str:
        """Send ``video`` and start the post (or the inbox draft); its ``publish_id``."""
        ranges = chunks(len(video), chunk_size)
        source = {"source": "FILE_UPLOAD", "video_size": len(video),
                  "chunk_size": len(video) if len(ranges) == 1 else chunk_size, "total_chunk_count": len(ranges)}
        body: dict[str, Any] = {"source_info": source}
        if not inbox:
            body["post_info"] = {"title": title, "privacy_level": privacy_level, "disable_comment": False,
                                 "disable_duet": False, "disable_stitch": False}
        path = "/v2/post/publish/inbox/video/init/" if inbox else "/v2/post/publish/video/init/"
        async with aiohttp.ClientSession(timeout=self.timeout) as http:
            started = await self._post(http, path, body)
            publish_id, upload_url = str(started.get("publish_id") or ""), str(started.get("upload_url") or "")
            if not publish_id or not upload_url:
                raise TikTokPostError(200, "malformed", "no publish_id or upload_url")
            for first, last in ranges:
                headers = {"Content-Type": "video/mp4", "Content-Range": f"bytes {first}-{last}/{len(video)}"}
                async with http.put(upload_url, data=video[first:last + 1], headers=headers) as resp:
                    if resp.status not in (200, 201, 206):
                        raise TikTokPostError(resp.status, f"upload_{resp.status}", (await resp.text())[:300])
        return publish_id

    async def status(self, publish_id: str) -> dict[str, Any]:
        async with aiohttp.ClientSession(timeout=self.timeout) as http:
            return await self._post(http, "/v2/post/publish/status/fetch/", {"publish_id": publish_id})
