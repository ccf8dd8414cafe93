"""The ``edge-tts`` voice: Microsoft Edge's online neural voices (needs ``pip install 'livehub[edge-tts]'``
and internet). Audio is decoded as it streams in and each piece goes on air at once (the base class resamples and fades
it as it goes); word boundaries give the timing (no phonemes:
lip-sync falls back to word timing). Marks are placed by the base class at the following word.

**Endpoint override.** edge-tts has no option for its service URL: it reads the module constant
``edge_tts.communicate.WSS_URL`` when it connects. The ``endpoint`` setting (a ``ws://`` or ``wss://`` URL,
used by tests against a local stand-in, or to go through a relay) therefore sets that constant right
before each request, and a backend without ``endpoint`` sets it back to the real service. The constant is
process-wide; since it is read before the request's first suspension point, concurrent requests of
backends with different endpoints still each reach their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from pydantic import Field

from hub.errors import BackendError, require_extra
from hub.media.frames import TimingEvent
from hub.media.speech import RawSpeech, VoiceBackend, VoiceSettings
from plugins.voice_edge.client import EdgeSpeech, EdgeStreamIncomplete, iter_speech

if TYPE_CHECKING:
    from hub.app import Hub


class EdgeSettings(VoiceSettings):
    """``[backends.voice.edge-tts]``."""

    endpoint: str | None = Field(None, pattern=r"^wss?://",
                                 description="service URL override (tests, relays); default: Microsoft's")
    rate: str = Field("+0%", pattern=r"^[+-]\d+%$")
    pitch: str = Field("+0Hz", pattern=r"^[+-]\d+Hz$")
    volume: str = Field("+0%", pattern=r"^[+-]\d+%$")
    connect_timeout: int = Field(10, ge=1)
    receive_timeout: int = Field(30, ge=1)


def point_edge_tts_at(endpoint: str | None) -> None:
    """Make edge-tts connect to ``endpoint`` (None: the real service). See the module docstring."""
    import edge_tts.communicate as communicate
    import edge_tts.constants as constants

    if endpoint is None:
        communicate.WSS_URL = constants.WSS_URL
        return
    separator = "&" if "?" in endpoint else "?"
    communicate.WSS_URL = f"{endpoint}{separator}TrustedClientToken={constants.TRUSTED_CLIENT_TOKEN}"


class EdgeBackend(VoiceBackend):
    """Online neural voices; retryable errors when the service or the network fails."""

    name = "edge-tts"
    version = "1"
    settings_model = EdgeSettings
    default_voices = {"zh-CN": "zh-CN-XiaoxiaoNeural", "zh": "zh-CN-XiaoxiaoNeural",
                      "zh-TW": "zh-TW-HsiaoChenNeural", "zh-HK": "zh-HK-HiuGaaiNeural",
                      "en": "en-US-AriaNeural", "en-GB": "en-GB-SoniaNeural"}
    settings: EdgeSettings

    def __init__(self, settings: EdgeSettings | None = None, hub: Hub | None = None) -> None:
        require_extra("edge_tts", extra="edge-tts", feature="The edge-tts voice")
        super().__init__(settings, hub)

    def cache_fingerprint(self) -> str:
        s = self.settings
        return f"rate={s.rate} pitch={s.pitch} volume={s.volume}"

    async def _synthesize(self, text: str, voice: str) -> AsyncIterator[RawSpeech]:
        s = self.settings
        point_edge_tts_at(s.endpoint)
        return self._pieces(iter_speech(text, voice, rate=s.rate, pitch=s.pitch, volume=s.volume,
                                        connect_timeout=s.connect_timeout, receive_timeout=s.receive_timeout))

    async def _pieces(self, speech: AsyncIterator[EdgeSpeech]) -> AsyncIterator[RawSpeech]:
        """The decoded pieces as they stream in, the service's errors as BackendErrors."""
        import aiohttp
        import av.error
        import edge_tts.exceptions

        heard = False
        try:
            async for piece in speech:
                heard = heard or piece.pcm.size > 0
                yield RawSpeech(piece.pcm, piece.sample_rate,
                                [TimingEvent("word", w.start, w.end, w.text) for w in piece.words])
        except (TimeoutError, edge_tts.exceptions.EdgeTTSException, aiohttp.ClientError, EdgeStreamIncomplete,
                OSError) as exc:
            raise BackendError(f"voice 'edge-tts': {type(exc).__name__}: {exc}", retryable=True,
                               backend=self.name) from exc
        except av.error.FFmpegError as exc:  # (a ValueError) the service sent audio that does not decode
            raise BackendError(f"voice 'edge-tts': the audio stream does not decode: {exc}", retryable=True,
                               backend=self.name) from exc
        except (ValueError, TypeError) as exc:  # a malformed voice name or option: trying again won't help
            raise BackendError(f"voice 'edge-tts': {exc}", backend=self.name) from exc
        if not heard:
            raise BackendError("voice 'edge-tts': the stream carried no decodable audio", retryable=True,
                               backend=self.name)
