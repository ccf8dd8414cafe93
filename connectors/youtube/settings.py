"""The ``[connectors.<name>] type = "youtube"`` settings (every URL is a setting: the stand-in's are printed
by ``livehub standin youtube``); docs/platforms/youtube.md has the table."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from hub.platform import PlatformSettings
from hub.secrets import Secret


class YoutubeSettings(PlatformSettings):
    live_chat_id: str = Field("", max_length=200, description="the live chat to read (else found from video_id)")
    video_id: str = Field("", max_length=64, description="the live video whose activeLiveChatId is read")
    api_key: Secret | None = Field(None, description="a Data API key: reading only (no chat)")
    client_id: str = Field("", max_length=200, description="the OAuth client id (chat, and reading)")
    client_secret: Secret | None = Field(None, description="the OAuth client secret")
    refresh_token: Secret | None = Field(None, description="the OAuth refresh token (scope youtube.force-ssl)")
    api_base: str = "https://www.googleapis.com/youtube/v3"
    token_url: str = "https://oauth2.googleapis.com/token"
    grpc_target: str = Field("dns:///youtube.googleapis.com:443", description="the streamList gRPC server")
    grpc_tls: bool = Field(True, description="TLS to grpc_target (false only for a local stand-in)")
    transport: Literal["stream", "poll", "auto"] = Field("auto", description="stream, poll, or auto (stream, "
                                                                             "polling when it is unavailable)")
    max_results: int = Field(500, ge=200, le=2000, description="liveChatMessages.list page size")
    stream_reopen_s: float = Field(1.0, ge=0, le=600, description="least seconds between two streamList calls")
    quota_per_day: int = Field(10_000, ge=100, description="the project's Data API units a day")
    quota_chat_units: int = Field(2_000, ge=0, description="units a day chat may spend (20 a message); "
                                                             "reading never counts on them")
    quota_slow_from: float = Field(0.5, gt=0, le=1, description="share of reading's units after which "
                                                                "reading slows down to last until the reset")
    hl: str = Field("", max_length=16, description="language of system messages (hl)")
    timeout_s: float = Field(10.0, gt=0, le=120, description="HTTP timeout")

    @model_validator(mode="after")
    def _credentials(self) -> YoutubeSettings:
        oauth = (self.client_id, self.client_secret, self.refresh_token)
        if any(oauth) and not all(oauth):
            raise ValueError("OAuth needs client_id, client_secret and refresh_token together")
        if not self.api_key and not all(oauth):
            raise ValueError("set api_key (reading only) or client_id, client_secret and refresh_token")
        if not self.live_chat_id and not self.video_id and not all(oauth):
            raise ValueError("without OAuth, set live_chat_id or video_id (finding your broadcast needs OAuth)")
        if self.quota_chat_units >= self.quota_per_day:
            raise ValueError("quota_chat_units must leave units for reading (less than quota_per_day)")
        return self
