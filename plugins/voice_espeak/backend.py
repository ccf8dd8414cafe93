"""The ``espeak`` voice: offline speech from libespeak-ng with phoneme, word, mark and sentence timing.

Text is always sent as SSML: plain text is XML-escaped, and ``{{mark:NAME}}`` placeholders (see
:func:`hub.media.speech.mark`) become ``<mark name="NAME"/>``, which the library reports with its audio
position. Word events point into that SSML by character; :func:`to_ssml` keeps the map back to the plain
text so each word event carries the word as written.

Chinese uses the ``cmn-latn-pinyin`` voice: it reads Hanzi correctly, while ``cmn``/``zh`` read the
dictionary's tone digits aloud as English.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from pydantic import Field

from hub.errors import BackendError
from hub.media.frames import TimingEvent
from hub.media.speech import MARK_PATTERN, RawSpeech, VoiceBackend, VoiceSettings
from plugins.voice_espeak.client import LIBRARY, Espeak, EspeakError, EspeakEvent, EspeakMissing

if TYPE_CHECKING:
    from hub.app import Hub


class EspeakSettings(VoiceSettings):
    """``[backends.voice.espeak]``."""

    rate: int = Field(175, ge=80, le=450, description="words per minute")
    pitch: int = Field(50, ge=0, le=100)
    volume: int = Field(100, ge=0, le=200)
    library: str = Field(LIBRARY, description="the shared library to load")


def to_ssml(text: str) -> tuple[str, str, list[int]]:
    """``(ssml, plain text, index map)``: for each SSML character, the plain-text offset it stands for."""
    parts: list[str] = ["<speak>"]
    index: list[int] = [0] * len("<speak>")
    plain: list[str] = []
    last = 0

    def add_text(chunk: str) -> None:
        for char in chunk:
            escaped = escape(char)
            parts.append(escaped)
            index.extend([len(plain)] * len(escaped))
            plain.append(char)

    for found in MARK_PATTERN.finditer(text):
        add_text(text[last:found.start()])
        tag = f"<mark name={quoteattr(found.group(1).strip())}/>"
        parts.append(tag)
        index.extend([len(plain)] * len(tag))
        last = found.end()
    add_text(text[last:])
    parts.append("</speak>")
    index.extend([len(plain)] * len("</speak>"))
    return "".join(parts), "".join(plain), index


def events_to_timing(events: list[EspeakEvent], duration: float, plain: str, index: list[int]) -> list[TimingEvent]:
    """Library events → timing: phonemes end where the next phoneme (or pause) starts, words end with their
    last phoneme, sentences where the next begins."""

    def text_of(event: EspeakEvent, stop: int | None) -> str:
        """The plain text of a word; cut where the next word starts (``128`` is spoken as two words)."""
        length = event.length if stop is None or stop <= event.text_position else \
            min(event.length, stop - event.text_position)
        if length <= 0 or not index:
            return ""
        first = index[min(max(event.text_position - 1, 0), len(index) - 1)]
        last = index[min(max(event.text_position + length - 2, 0), len(index) - 1)]
        return plain[first:last + 1]

    out: list[TimingEvent] = []
    phones = [e for e in events if e.kind == "phoneme"]
    spoken: list[TimingEvent] = []
    for i, phone in enumerate(phones):
        end = phones[i + 1].seconds if i + 1 < len(phones) else duration
        if phone.value and end > phone.seconds:
            spoken.append(TimingEvent("phoneme", phone.seconds, end, phone.value))
    words = [e for e in events if e.kind == "word" and e.length > 0]  # the library adds empty ones at times
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        following = nxt.seconds if nxt else duration
        ends = [p.end for p in spoken if word.seconds <= p.start < following]
        end = min(max(ends), following) if ends else following
        out.append(TimingEvent("word", word.seconds, end, text_of(word, nxt.text_position if nxt else None)))
    sentences = [e for e in events if e.kind == "sentence"]
    for i, sentence in enumerate(sentences):
        nxt = sentences[i + 1] if i + 1 < len(sentences) else None
        first = index[min(max(sentence.text_position - 1, 0), len(index) - 1)] if index else 0
        stop = index[min(max(nxt.text_position - 1, 0), len(index) - 1)] if nxt and index else len(plain)
        out.append(TimingEvent("sentence", sentence.seconds, nxt.seconds if nxt else duration,
                               plain[first:stop].strip()))
    out += [TimingEvent("mark", e.seconds, e.seconds, e.value) for e in events if e.kind == "mark"]
    out += spoken
    out.sort(key=lambda e: (e.start, e.kind != "sentence", e.kind != "mark", e.kind != "word"))
    return out


class EspeakBackend(VoiceBackend):
    """Offline voice. All library calls run on the process's one espeak thread (see the client)."""

    name = "espeak"
    version = "1"
    supports_marks = True
    settings_model = EspeakSettings
    default_voices = {"zh-CN": "cmn-latn-pinyin", "zh": "cmn-latn-pinyin", "cmn": "cmn-latn-pinyin",
                      "zh-HK": "yue", "yue": "yue", "en": "en"}
    settings: EspeakSettings

    def __init__(self, settings: EspeakSettings | None = None, hub: Hub | None = None) -> None:
        super().__init__(settings, hub)
        try:
            self.engine = Espeak.shared(self.settings.library)
        except EspeakMissing as exc:
            raise BackendError(f"voice 'espeak' unavailable: {exc}", backend=self.name) from None

    def cache_fingerprint(self) -> str:
        s = self.settings
        return f"espeak-ng {self.engine.version} rate={s.rate} pitch={s.pitch} volume={s.volume}"

    async def _synthesize(self, text: str, voice: str) -> RawSpeech:
        ssml, plain, index = to_ssml(text)
        cancel = threading.Event()
        future = self.engine.submit(ssml, voice=voice, rate=self.settings.rate, pitch=self.settings.pitch,
                                    volume=self.settings.volume, ssml=True, cancel=cancel)
        try:
            speech = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            cancel.set()  # stop the library at its next chunk; the thread is free for the next sentence
            raise
        except EspeakError as exc:
            raise BackendError(f"voice 'espeak': {exc}", backend=self.name) from None
        duration = speech.pcm.size / speech.sample_rate
        return RawSpeech(speech.pcm, speech.sample_rate, events_to_timing(speech.events, duration, plain, index))
