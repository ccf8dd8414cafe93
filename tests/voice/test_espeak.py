"""The espeak voice against the real libespeak-ng: audio, timing events, marks, voices, serialisation."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from hub.errors import BackendError
from hub.media.frames import SAMPLE_RATE, Utterance
from hub.media.speech import mark
from plugins.voice_espeak.backend import to_ssml
from plugins.voice_espeak.client import Espeak


def check_timing(utterance: Utterance) -> None:
    """Every event lies inside the audio; words and phonemes start in order and do not overlap."""
    for event in utterance.timing:
        assert 0.0 <= event.start <= event.end <= utterance.duration + 1e-9, event
    starts = [e.start for e in utterance.timing]
    assert starts == sorted(starts)
    for kind in ("word", "phoneme"):
        events = [e for e in utterance.timing if e.kind == kind]
        assert events, f"no {kind} events"
        for before, after in zip(events, events[1:], strict=False):
            assert before.end <= after.start + 1e-9, (before, after)


def words_of(utterance: Utterance) -> list[str]:
    return [e.value for e in utterance.timing if e.kind == "word"]


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))


async def test_chinese_price_line_is_spoken_in_mandarin_with_timing(espeak):
    utterance = await espeak.synthesize("1号链接现在只要128元", locale="zh-CN")
    assert utterance.voice == "espeak:cmn-latn-pinyin"
    assert utterance.audio.dtype == np.int16 and utterance.audio.ndim == 1
    assert 1.5 < utterance.duration < 6.0  # twelve syllables
    assert rms(utterance.audio) > 1000
    check_timing(utterance)
    words = [e.value for e in utterance.timing if e.kind == "word"]
    assert words[:3] == ["1", "号", "链"] and words[-1] == "元"
    assert "".join(words) == "1号链接现在只要128元"  # 128 is spoken as two words, "1" and "28"
    phonemes = [e.value for e in utterance.timing if e.kind == "phoneme"]
    assert len(phonemes) > 20 and any("a" in p or "ɑ" in p for p in phonemes)
    sentences = [e for e in utterance.timing if e.kind == "sentence"]
    assert [s.value for s in sentences] == ["1号链接现在只要128元"]


async def test_english_is_48khz_with_words_in_order(espeak):
    utterance = await espeak.synthesize("Hello world. This tea is fresh!", locale="en")
    assert utterance.voice == "espeak:en"
    assert 1.0 < utterance.duration < 5.0
    assert len(utterance.audio) == round(utterance.duration * SAMPLE_RATE)
    assert rms(utterance.audio) > 1000
    check_timing(utterance)
    assert [e.value for e in utterance.timing if e.kind == "word"] == ["Hello", "world", "This", "tea", "is",
                                                                        "fresh"]
    assert [e.value for e in utterance.timing if e.kind == "sentence"] == ["Hello world.", "This tea is fresh!"]
    # the audio really is 48 kHz: a word's energy sits where its timing says, not 2.18x later
    fresh = [e for e in utterance.timing if e.kind == "word"][-1]
    inside = utterance.audio[int(fresh.start * SAMPLE_RATE):int(fresh.end * SAMPLE_RATE)]
    after = utterance.audio[int((fresh.end + 0.1) * SAMPLE_RATE):]
    assert rms(inside) > 5 * max(rms(after), 1.0)


async def test_marks_land_on_the_word_they_precede(espeak):
    text = f"现在{mark('sku:TEA-001')}上链接，{mark('caption:2')}快来买"
    utterance = await espeak.synthesize(text, locale="zh-CN")
    assert utterance.text == "现在上链接，快来买"
    marks = {e.value: e for e in utterance.timing if e.kind == "mark"}
    assert set(marks) == {"sku:TEA-001", "caption:2"}
    words = {e.value: e for e in utterance.timing if e.kind == "word"}
    assert marks["sku:TEA-001"].start == pytest.approx(words["上"].start, abs=0.03)
    assert marks["caption:2"].start == pytest.approx(words["快"].start, abs=0.03)
    assert words["在"].start < marks["sku:TEA-001"].start < marks["caption:2"].start
    check_timing(utterance)


async def test_markup_characters_in_plain_text_are_spoken_not_parsed(espeak):
    utterance = await espeak.synthesize('Tea & cake <b>now</b> "fresh"', locale="en")
    assert utterance.text == 'Tea & cake <b>now</b> "fresh"'
    words = [e.value for e in utterance.timing if e.kind == "word"]
    assert "cake" in words and "fresh" in words
    assert rms(utterance.audio) > 1000


def test_ssml_map_points_back_to_the_plain_text():
    ssml, plain, index = to_ssml(f"a&b{mark('x')}<c")
    assert ssml == '<speak>a&amp;b<mark name="x"/>&lt;c</speak>'
    assert plain == "a&b<c"
    assert len(index) == len(ssml)
    assert plain[index[ssml.index("&amp;")]] == "&" and plain[index[ssml.index("&lt;")]] == "<"
    assert plain[index[ssml.index("c</speak>")]] == "c"


async def test_rate_changes_the_speed_and_the_cache_key(espeak, tmp_path):
    from plugins.voice_espeak.backend import EspeakBackend, EspeakSettings

    fast = EspeakBackend(EspeakSettings(rate=320, cache_dir=tmp_path / "voice"))
    slow_u = await espeak.synthesize("This tea is fresh and green", locale="en")
    fast_u = await fast.synthesize("This tea is fresh and green", locale="en")
    assert fast_u.duration < slow_u.duration * 0.8
    assert fast.cache_fingerprint() != espeak.cache_fingerprint()


async def test_unknown_voice_is_a_clear_permanent_error(espeak):
    with pytest.raises(BackendError, match="no-such-voice.*not found") as caught:
        await espeak.synthesize("hello", "no-such-voice")
    assert caught.value.retryable is False and caught.value.backend == "espeak"


async def test_concurrent_requests_are_serialised_on_one_thread(espeak, tmp_path):
    """Two backends, four sentences at once: every library call runs on the one espeak thread, one at a
    time (never two inside the library together), and each result is the sentence asked for: the same
    voice and words as that sentence synthesised alone, and about its length.

    Not the same length to the sample: libespeak-ng carries state from one synthesis to the next, so a
    sentence's length depends on what the library said before it ("Fourth one" comes out 3 % longer
    after "第三句" than after "Second sentence"), and the order the four requests reach the queue depends
    on thread scheduling (the cached backend first looks in its cache on a thread). That, under load, is
    what broke the old 3 % comparison. Two interleaved syntheses would swap or split their audio: far
    more than 10 %, and the words would not match."""
    from plugins.voice_espeak.backend import EspeakBackend, EspeakSettings

    other = EspeakBackend(EspeakSettings(rate=200, cache=False))
    assert other.engine is espeak.engine
    engine: Espeak = espeak.engine
    threads: set[str] = set()
    ran: list[str] = []
    inside = most_inside = 0
    lock = threading.Lock()
    original = engine._synthesize

    def spy(text, *args, **kwargs):
        nonlocal inside, most_inside
        with lock:
            inside += 1
            most_inside = max(most_inside, inside)
        threads.add(threading.current_thread().name)
        try:
            time.sleep(0.02)  # a second call let into the library meanwhile would be seen inside
            return original(text, *args, **kwargs)
        finally:
            with lock:
                inside -= 1
            ran.append(text)

    engine._synthesize = spy  # type: ignore[method-assign]
    try:
        jobs = [(espeak, "第一句话"), (other, "Second sentence"), (espeak, "第三句"), (other, "Fourth one")]
        together = await asyncio.gather(*(b.synthesize(t, locale="zh-CN" if b is espeak else "en")
                                          for b, t in jobs))
    finally:
        del engine._synthesize
    assert len(ran) == 4 and most_inside == 1  # all four went into the library, one after the other
    [thread] = threads
    assert thread.startswith("espeak") and thread != threading.current_thread().name
    for (backend, text), utterance in zip(jobs, together, strict=True):
        backend.cache = None
        alone = await backend.synthesize(text, locale="zh-CN" if backend is espeak else "en")
        assert utterance.voice == alone.voice
        assert words_of(utterance) == words_of(alone), text
        assert utterance.duration == pytest.approx(alone.duration, rel=0.10), text


def test_missing_library_names_the_package():
    from plugins.voice_espeak.backend import EspeakBackend, EspeakSettings

    with pytest.raises(BackendError, match="apt-get install espeak-ng"):
        EspeakBackend(EspeakSettings(library="libespeak-ng-does-not-exist.so.9"))
