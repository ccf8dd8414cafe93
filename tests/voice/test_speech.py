"""The voice base class and chain: resampling, cache, timeouts, errors, marks, fallback, prefetch."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from hub.app import Hub
from hub.config import load_config
from hub.errors import BackendError
from hub.media.frames import SAMPLE_RATE
from hub.media.speech import VoiceChain, build_voice_chain, mark, parse_marks
from hub.media.voice_cache import VoiceCache, default_cache_dir
from hub.testing import config_for_tests


async def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


async def test_raw_speech_is_resampled_to_48khz_and_faded(make_fake):
    fake = make_fake(cache=False)
    utterance = await fake.synthesize("abcd efgh")  # 0.9 s at 16 kHz
    assert utterance.audio.dtype == np.int16
    assert len(utterance.audio) == round(0.9 * SAMPLE_RATE)
    assert utterance.voice == "fake:fake-zh"  # the hub's default locale is zh-CN
    assert utterance.audio[0] == 0 and abs(int(utterance.audio[-1])) < 200  # no step at either end
    spectrum = np.abs(np.fft.rfft(utterance.audio.astype(np.float64)))
    assert np.argmax(spectrum) * SAMPLE_RATE / len(utterance.audio) == pytest.approx(220, abs=3)
    assert [(e.value, e.start) for e in utterance.timing] == [("abcd", 0.0), ("efgh", pytest.approx(0.5))]


async def test_second_request_comes_from_the_disk_cache(make_fake, tmp_path):
    fake = make_fake()
    first = await fake.synthesize("今天 特价", locale="zh-CN")
    again = await make_fake().synthesize("今天 特价", locale="zh-CN")  # a new process would see the same
    second = await fake.synthesize("今天 特价", locale="zh-CN")
    assert len(fake.calls) == 1
    assert np.array_equal(first.audio, second.audio) and np.array_equal(first.audio, again.audio)
    assert second.timing == first.timing and second.voice == first.voice
    await fake.synthesize("今天 特价", locale="en")  # another voice: another entry
    await fake.synthesize("今天 特价!", locale="zh-CN")  # another text
    assert len(fake.calls) == 3
    assert len(list((tmp_path / "voice").glob("*/*.npz"))) == 3


async def test_a_corrupt_cache_entry_is_a_miss(make_fake, tmp_path):
    fake = make_fake()
    await fake.synthesize("hello")
    [entry] = (tmp_path / "voice").glob("*/*.npz")
    entry.write_bytes(b"not a cache entry")
    assert (await fake.synthesize("hello")).duration == pytest.approx(0.5)
    assert len(fake.calls) == 2


def test_cache_prunes_least_recently_used(tmp_path, make_fake):
    import os

    cache = VoiceCache(tmp_path, max_bytes=1)
    utterance = asyncio.run(make_fake(cache=False).synthesize("abc"))
    for i, key in enumerate(["aa1", "bb2", "cc3"]):
        cache.put(key, utterance)
        os.utime(cache.path(key), (1000 + i, 1000 + i))
    cache.max_bytes = cache.path("cc3").stat().st_size * 2
    assert cache.prune() == 2 and cache.get("cc3") is not None and cache.get("aa1") is None


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LIVEHUB_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "voice"
    monkeypatch.delenv("LIVEHUB_CACHE_DIR")
    assert str(default_cache_dir()) == ".cache/livehub/voice"


async def test_slow_backend_times_out_as_retryable(make_fake):
    fake = make_fake(timeout=0.05)
    fake.gates["hello"] = asyncio.Event()  # never set
    with pytest.raises(BackendError, match="no speech within") as caught:
        await fake.synthesize("hello")
    assert caught.value.retryable and caught.value.backend == "fake"


async def test_unexpected_errors_become_backend_errors(make_fake):
    with pytest.raises(BackendError, match="ConnectionResetError") as caught:
        await make_fake(fail=ConnectionResetError("peer gone")).synthesize("hello")
    assert caught.value.retryable
    with pytest.raises(BackendError) as caught:
        await make_fake(fail=KeyError("bug")).synthesize("hello")
    assert not caught.value.retryable


async def test_missing_locale_is_reported(make_fake):
    with pytest.raises(BackendError, match="no voice for locale 'fr-FR'"):
        await make_fake().synthesize("bonjour", locale="fr-FR")


def test_marks_are_parsed_out_of_the_text():
    text = f"{mark('card:A')}买一送一，{mark('card:B')}只要9.9元"
    assert parse_marks(text) == ("买一送一，只要9.9元", [(0, "card:A"), (5, "card:B")])
    with pytest.raises(ValueError):
        mark("bad}name")


async def test_marks_are_placed_at_the_following_word_for_backends_without_marks(make_fake):
    fake = make_fake(cache=False)
    utterance = await fake.synthesize(f"buy {mark('sku:A')}green tea{mark('end')}")
    assert fake.calls == [("buy green tea", "fake-zh")]  # the backend never sees placeholders
    assert utterance.text == "buy green tea"
    events = [(e.kind, e.value, round(e.start, 3)) for e in utterance.timing]
    assert events == [("word", "buy", 0.0), ("mark", "sku:A", 0.4), ("word", "green", 0.4),
                      ("word", "tea", 1.0), ("mark", "end", round(utterance.duration, 3))]


async def test_empty_text_gives_an_empty_utterance_without_the_backend(make_fake):
    fake = make_fake()
    utterance = await fake.synthesize(f"  {mark('x')} ")
    assert utterance.duration == 0 and fake.calls == []
    assert [(e.kind, e.value) for e in utterance.timing] == [("mark", "x")]


async def test_chain_falls_back_to_the_next_voice(make_fake):
    broken = make_fake("broken", fail=BackendError("service down", retryable=True))
    good = make_fake("good")
    chain = VoiceChain([broken, good], {"good": {"en": "good-en-special"}})
    utterance = await chain.synthesize("hello", locale="en")
    assert utterance.voice == "good:good-en-special"
    assert len(broken.calls) == 1 and len(good.calls) == 1
    await chain.synthesize("again", locale="en")  # the broken voice rests instead of costing a failure
    assert len(broken.calls) == 1 and len(good.calls) == 2


async def test_chain_raises_when_every_voice_fails(make_fake):
    chain = VoiceChain([make_fake("a", fail=BackendError("no", retryable=True)),
                        make_fake("b", fail=BackendError("bad voice"))])
    with pytest.raises(BackendError, match="every voice failed: no; bad voice") as caught:
        await chain.synthesize("hello")
    assert caught.value.retryable  # one of them may work next time


async def test_stream_prefetches_the_next_sentence_while_one_is_consumed(make_fake):
    fake = make_fake(cache=False)
    chain = VoiceChain([fake])
    sentences = ["one a", "two b", "three c", "four d"]
    received = []
    async for utterance in chain.stream(sentences, "en"):
        received.append(utterance.text)
        following = len(received)  # index of the sentence after the one we hold
        if following < len(sentences):  # while we hold a sentence, the next one is synthesised…
            await wait_until(lambda i=following: sentences[i] in fake.finished)
            for _ in range(20):
                await asyncio.sleep(0)
            if following + 1 < len(sentences):  # …but not the one after: at most one ahead
                assert sentences[following + 1] not in fake.started
    assert received == sentences


async def test_stream_takes_sentences_as_they_arrive(make_fake):
    fake = make_fake(cache=False)
    arrived = asyncio.Queue()

    async def source():
        while (sentence := await arrived.get()) is not None:
            yield sentence

    stream = VoiceChain([fake]).stream(source(), "en")
    await arrived.put("first one")
    assert (await anext(stream)).text == "first one"  # not held back waiting for the second
    await arrived.put("")  # blank lines are skipped
    await arrived.put("second")
    await arrived.put(None)
    assert [u.text async for u in stream] == ["second"]


async def test_stream_reports_or_skips_a_sentence_no_voice_can_speak(make_fake):
    class Picky(type(make_fake())):
        async def _synthesize(self, text, voice):
            if "bad" in text:
                raise BackendError("cannot say that")
            return await super()._synthesize(text, voice)

    picky = Picky(make_fake(cache=False).settings)
    assert [u.text async for u in VoiceChain([picky]).stream(["ok 1", "bad", "ok 2"], skip_failed=True)] == \
        ["ok 1", "ok 2"]
    got = []
    with pytest.raises(BackendError, match="cannot say that"):
        async for utterance in VoiceChain([picky]).stream(["ok 1", "bad", "ok 2"]):
            got.append(utterance.text)
    assert got == ["ok 1"]


async def test_closing_the_stream_cancels_the_prefetch(make_fake):
    fake = make_fake(cache=False)
    fake.gates["two"] = asyncio.Event()  # never set: "two" is still being synthesised when we stop
    stream = VoiceChain([fake]).stream(["one", "two", "three"], "en")
    assert (await anext(stream)).text == "one"
    await wait_until(lambda: fake.started == ["one", "two"])
    await stream.aclose()
    prefetch = [t for t in asyncio.all_tasks() if t.get_name().startswith("voice:prefetch:")]
    assert prefetch == [] and fake.finished == ["one"] and fake.started == ["one", "two"]


def build_hub(backends: dict | None = None) -> Hub:
    data = config_for_tests({"backends": backends} if backends else None)
    return Hub(load_config(data=data, env=False), autoload=False,
               builtins=("plugins.voice_espeak", "plugins.voice_edge")).build()


def test_default_chain_is_espeak(espeak):
    chain = build_voice_chain(build_hub())
    assert [b.name for b in chain.backends] == ["espeak"] and chain.locale == "zh-CN"


def test_configured_chain_with_settings(espeak, tmp_path):
    pytest.importorskip("edge_tts")
    hub = build_hub({"voice": {"default": "edge-tts", "fallback": ["espeak"],
                               "espeak": {"rate": 210, "voices": {"en": "en-us"}, "cache_dir": str(tmp_path)},
                               "edge-tts": {"endpoint": "ws://127.0.0.1:9/x"}}})
    chain = build_voice_chain(hub)
    assert [b.name for b in chain.backends] == ["edge-tts", "espeak"]
    espeak_backend = chain.backends[1]
    assert espeak_backend.settings.rate == 210 and espeak_backend.voice_for("en-GB") == "en-us"
    assert [b.name for b in build_voice_chain(hub, ["espeak"]).backends] == ["espeak"]
    with pytest.raises(BackendError, match="no voice backend named 'nope'"):
        build_voice_chain(hub, ["nope"])


def test_a_voice_that_cannot_be_built_is_reported_and_left_out(espeak, monkeypatch, caplog):
    import sys

    monkeypatch.setitem(sys.modules, "edge_tts", None)  # the extra is not installed
    hub = build_hub({"voice": {"default": "edge-tts", "fallback": ["espeak"]}})
    chain = build_voice_chain(hub)
    assert [b.name for b in chain.backends] == ["espeak"]
    assert "livehub[edge-tts]" in caplog.text
    with pytest.raises(BackendError, match=r"no voice backend could be built: edge-tts: .*livehub\[edge-tts\]"):
        build_voice_chain(hub, ["edge-tts"])


async def test_metrics_count_requests_by_result(espeak, tmp_path):
    from plugins.voice_espeak.backend import EspeakBackend, EspeakSettings

    hub = build_hub()
    backend = EspeakBackend(EspeakSettings(cache_dir=tmp_path), hub)
    await backend.synthesize("你好")
    await backend.synthesize("你好")
    value = hub.metrics.get_sample_value
    assert value("livehub_voice_requests_total", {"backend": "espeak", "result": "ok"}) == 1
    assert value("livehub_voice_requests_total", {"backend": "espeak", "result": "cached"}) == 1
    assert value("livehub_voice_audio_seconds_total", {"backend": "espeak"}) > 0.3
