"""The TikTok channel: each approved item with a video (a pitch video, a live clip) posted once to the
merchant's TikTok account through the official Content Posting API — directly (``mode = "direct"``, with the
privacy level the creator allows: an unaudited app may only post ``SELF_ONLY``) or as a draft in the creator's
inbox (``mode = "inbox"``) — uploaded by chunks, then followed until TikTok says it is posted (or sent to the
inbox). The item's text is the caption. An item without a video is refused for good."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import Field

from hub.outbound_channels import Channel, ChannelRejected, ChannelSettings, OutboundMessage
from hub.secrets import Secret
from plugins.channel_tiktok.client import TikTokPostError, TikTokPostingClient

DONE = ("PUBLISH_COMPLETE", "SEND_TO_USER_INBOX")


class TikTokPostingSettings(ChannelSettings):
    api_base: str = Field("https://open.tiktokapis.com", description="the Content Posting API's address")
    access_token: Secret = Field(description="the creator's user access token (video.publish or video.upload)")
    mode: str = Field("direct", pattern="^(direct|inbox)$", description="direct post, or a draft in the inbox")
    privacy_level: str = Field("SELF_ONLY", description="PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, "
                                                        "FOLLOWER_OF_CREATOR or SELF_ONLY (unaudited apps)")
    chunk_size: int = Field(10_000_000, ge=1024, description="upload chunk size in bytes (TikTok: 5-64 MB)")
    status_timeout_s: float = Field(120.0, gt=0, description="how long to follow a post's processing")
    rate_per_s: float = Field(0.1, gt=0, description="posts a second at most (TikTok: 6 inits a minute)")
    burst: int = Field(1, ge=1)


class TikTokPostingChannel(Channel):
    name = "tiktok"
    kind = "tiktok"
    address = ""
    per_person = False
    config: TikTokPostingSettings

    async def deliver(self, message: OutboundMessage) -> dict[str, Any]:
        videos = [p for p in message.data.get("media") or [] if str(p).endswith(".mp4")]
        if not videos:
            raise ChannelRejected("a TikTok post needs a video: add the pitch_video kind to the campaign")
        c = self.config
        client = TikTokPostingClient(c.api_base, c.access_token.get(), timeout_s=c.timeout_s)
        video = await asyncio.to_thread(Path(videos[0]).read_bytes)  # the first size: vertical
        try:
            if c.mode == "direct":
                allowed = (await client.creator_info()).get("privacy_level_options") or []
                if c.privacy_level not in allowed:
                    raise ChannelRejected(f"privacy level {c.privacy_level} not allowed for this account "
                                          f"(allowed: {', '.join(map(str, allowed)) or 'none'})")
            caption = f"{message.subject}\n{message.text}".strip() if message.subject else message.text
            publish_id = await client.post_video(video, title=caption[:2200], privacy_level=c.privacy_level,
                                                 chunk_size=c.chunk_size, inbox=c.mode == "inbox")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + c.status_timeout_s
            status: dict[str, Any] = {}
            while loop.time() < deadline:
                status = await client.status(publish_id)
                if status.get("status") in DONE:
                    return {"publish_id": publish_id, **status}
                if status.get("status") == "FAILED":
                    raise ChannelRejected(f"TikTok did not post it: {status.get('fail_reason') or 'failed'}")
                await asyncio.sleep(1.0)
            return {"publish_id": publish_id, "status": status.get("status", "PROCESSING")}
        except TikTokPostError as exc:
            if exc.retryable:
                raise
            raise ChannelRejected(str(exc)) from None
