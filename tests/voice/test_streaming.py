"""Speech that streams (#12 item 5): a sentence goes on air with its first piece, resampled and faded as it
arrives, with marks placed when their word arrives; the whole utterance still reaches the cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.errors import BackendError
from hub.media.frames import SAMPLE_RATE, TimingEvent
from hub.media.pcm import FADE_SECONDS, StreamResampler, resample
from hub.media.playback import Line, Playback
from hub.media.speech import RawSpeech, VoiceBackend, VoiceSettings
from hub.media.speech_stream import SpeechShaper
from hub.media.timeline import RoomTimeline
from hub.media.voice_chain import VoiceChain
from hub.testing import StepClock, wait_for
from plugins.avatar_sprite.backend import SpriteAvatar
from plugins.scene_studio.compositor import Compositor

try:
    from tests.media.helpers import Recorder
except ImportError:  # pytest put tests/ itself on sys.path
    from media.helpers import Recorder  # type: ignore[no-redef]

RATE = 24_000
FADE = int(SAMPLE_RATE * FADE_SECONDS)


def steady_tone(seconds: float, rate: int = RATE, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 300 * t) * amplitude).astype(np.int16)


class GatedVoice(VoiceBackend):
    """Streams a sentence in ``pieces`` pieces of 24 kHz tone, one word per piece; each piece after the
    first waits until the test opens ``gate``. ``fail_after``: raise after that many pieces."""

    name = "gated"
    default_voices = {"en": "tone", "zh": "tone"}

    def __init__(self, pieces: int = 4, seconds: float = 1.2, fail_after: int | None = None, **kw) -> None:
        super().__init__(VoiceSettings(cache=kw.pop("cache", False), **kw))
        self.pieces, self.seconds, self.fail_after = pieces, seconds, fail_after
        self.gate = asyncio.Event()
        self.sent = 0
        self.requests = 0

    async def _synthesize(self, text: str, voice: str) -> AsyncIterator[RawSpeech]:
        self.requests += 1
        return self._pieces(text)

    async def _pieces(self, text: str) -> AsyncIterator[RawSpeech]:
        audio = steady_tone(self.seconds)
        words = text.split() or [text]
        size = -(-audio.size // self.pieces)
        for i in range(self.pieces):
            if i:
                await self.gate.wait()
            if self.fail_after is not None and i == self.fail_after:
                raise ConnectionResetError("the voice service hung up")
            start = i * size / RATE
            timing = [TimingEvent("word", start, start + 0.1, words[i])] if i < len(words) else []
            self.sent += 1
            yield RawSpeech(audio[i * size:(i + 1) * size], RATE, timing)


def test_resampling_in_pieces_matches_resampling_whole() -> None:
    audio = steady_tone(1.0)
    whole = resample(audio, RATE, SAMPLE_RATE)
    stream = StreamResampler(RATE)
    pieces = [stream.feed(audio[i:i + 977]) for i in range(0, audio.size, 977)]
    joined = np.concatenate([*pieces, stream.flush()])
    assert joined.size == whole.size == 2 * audio.size
    assert np.max(np.abs(joined.astype(int) - whole.astype(int))) <= 2  # same filter, same state


def test_the_shaper_fades_only_the_true_ends_and_places_marks_when_their_word_arrives() -> None:
    text = "alpha beta gamma"
    shaper = SpeechShaper(text, [(text.index("gamma"), "sku:B")])
    audio = steady_tone(0.9)
    thirds = np.array_split(audio, 3)
    parts = [shaper.push(thirds[0], RATE, [TimingEvent("word", 0.0, 0.2, "alpha")]),
             shaper.push(thirds[1], RATE, [TimingEvent("word", 0.3, 0.5, "beta")])]
    assert not [e for p in parts for e in p.timing if e.kind == "mark"]  # "gamma" has not arrived yet
    parts.append(shaper.push(thirds[2], RATE, [TimingEvent("word", 0.6, 0.8, "gamma")]))
    assert [(e.value, e.start) for e in parts[-1].timing if e.kind == "mark"] == [("sku:B", 0.6)]
    parts.append(shaper.finish())
    out = np.concatenate([p.audio for p in parts])
    assert out.size == 2 * audio.size
    whole = resample(audio, RATE, SAMPLE_RATE).astype(float)
    assert abs(out[0]) < 50 and abs(out[-1]) < 50  # faded in and out
    middle = slice(FADE, out.size - FADE)
    assert np.max(np.abs(out[middle] - whole[middle])) <= 2  # no fade where the pieces join


async def test_the_first_piece_is_playable_before_the_voice_sends_the_rest(tmp_path) -> None:
    voice = GatedVoice(cache=True, cache_dir=tmp_path)
    stream = await voice.open_stream("one two three four", locale="en")
    assert voice.sent == 1 and not stream.finished  # returned with the first piece, the rest still pending
    first = await anext(aiter(stream))
    assert first.audio.size > 0.2 * SAMPLE_RATE
    voice.gate.set()
    utterance = await stream.whole()
    assert utterance.duration == pytest.approx(voice.seconds, abs=0.001)
    assert [e.value for e in utterance.timing if e.kind == "word"] == ["one", "two", "three", "four"]
    cached = await voice.open_stream("one two three four", locale="en")
    assert cached.finished and voice.requests == 1  # the whole sentence went to the cache


async def test_a_voice_failing_before_audio_lets_the_chain_fall_back() -> None:
    broken, spare = GatedVoice(fail_after=0), GatedVoice(pieces=1)
    spare.name = "spare"
    stream = await VoiceChain([broken, spare]).open_stream("hello", locale="en")
    assert stream.voice == "spare:tone" and (await stream.whole()).duration > 1.0


async def test_a_stream_that_breaks_midway_keeps_what_arrived_and_says_why() -> None:
    voice = GatedVoice(fail_after=2)
    voice.gate.set()
    stream = await voice.open_stream("one two three four", locale="en")
    parts = [part async for part in stream]
    heard = sum(p.audio.size for p in parts) / SAMPLE_RATE
    assert 0.55 < heard < 0.65  # two of four pieces, the last one faded out
    assert abs(parts[-1].audio[-1]) < 50
    assert isinstance(stream.error, BackendError) and stream.error.retryable
    with pytest.raises(BackendError, match="hung up"):
        await stream.whole()


def test_an_open_segment_that_runs_dry_plays_silence_not_the_next_sentence() -> None:
    playback = Playback(25, lambda utterance, fps: [0.5] * (1 + utterance.audio.size * fps // SAMPLE_RATE))
    line, spf = Line("a. b."), SAMPLE_RATE // 25
    segment = playback.open(line, "a.")
    playback.extend(segment, np.full(spf // 2, 1000, dtype=np.int16), [])
    playback.end_line(line)
    frame = playback.step(0)
    assert line.state == "speaking" and frame.speaking
    assert np.all(frame.audio[:spf // 2] == 1000) and np.all(frame.audio[spf // 2:] == 0)
    assert playback.idle and not playback.step(1).audio.any()  # starved: silence, the line still on
    playback.extend(segment, np.full(spf, 2000, dtype=np.int16), [])
    playback.close(segment)
    assert np.all(playback.step(2).audio == 2000) and line.state == "spoken"


async def test_the_timeline_puts_the_first_piece_on_air_while_the_rest_streams() -> None:
    voice = GatedVoice()
    timeline = RoomTimeline("test", avatar=SpriteAvatar(), scene=Compositor((320, 180)),
                            voice_chain=VoiceChain([voice]), clock=StepClock(), size=(320, 180), locale="en")
    recorder = Recorder(timeline)  # keep it: the loop holds its task weakly
    frames = recorder.frames
    await timeline.start()
    try:
        line = timeline.say("one two three four")
        await wait_for(lambda: line.first_frame is not None, timeout=20)
        assert voice.sent == 1  # on air with one piece of four
        voice.gate.set()
        assert await asyncio.wait_for(line.done, 20) == "spoken"
        heard = np.concatenate([f.audio for f in frames if f.index >= line.first_frame])
        assert np.count_nonzero(np.abs(heard) > 1000) / SAMPLE_RATE > 0.8 * voice.seconds
    finally:
        await timeline.stop()


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=7200), max_size=12))
def test_however_the_voice_cuts_its_audio_the_sentence_sounds_the_same(cuts: list[int]) -> None:
    """Pieces of any size (empty ones too) give the same audio as the whole, faded only at its ends."""
    audio = steady_tone(0.3)
    bounds = [0, *sorted(cuts), audio.size]
    shaper = SpeechShaper("x")
    out = np.concatenate([*(shaper.push(audio[a:b], RATE, []).audio for a, b in zip(bounds, bounds[1:], strict=False)),
                          shaper.finish().audio])
    whole = resample(audio, RATE, SAMPLE_RATE).astype(int)
    assert out.size == whole.size
    assert np.max(np.abs(out[FADE:-FADE] - whole[FADE:-FADE])) <= 2
    assert abs(int(out[0])) < 50 and abs(int(out[-1])) < 50
