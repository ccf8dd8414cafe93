"""Lip-sync: the mouth follows the sound, closes on m/b/p and in pauses, with fallbacks when timing is thin."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hub.media.frames import SAMPLE_RATE, TimingEvent, Utterance
from hub.media.lipsync import MouthTrack, mouth_at, mouth_track, phoneme_openness, syllables
from hub.media.pcm import frame_rms

FPS = 25


def correlation(track: list[float], audio: np.ndarray) -> float:
    return float(np.corrcoef(np.asarray(track), frame_rms(audio, FPS))[0, 1])


def without(utterance: Utterance, *kinds: str) -> Utterance:
    return Utterance(utterance.text, utterance.audio, [e for e in utterance.timing if e.kind not in kinds],
                     utterance.voice)


@pytest.mark.parametrize(("text", "locale"), [
    ("1号链接现在只要128元，大家抓紧时间下单。这款绿茶来自杭州，口感清香。", "zh-CN"),
    ("Hello everyone. This green tea is fresh, and today it costs only nine dollars.", "en"),
])
async def test_mouth_follows_the_audio_envelope(espeak, text, locale):
    utterance = await espeak.synthesize(text, locale=locale)
    track = mouth_track(utterance, FPS)
    assert len(track) == math.ceil(utterance.duration * FPS) and track.fps == FPS
    assert all(0.0 <= v <= 1.0 for v in track) and max(track) > 0.8
    assert correlation(track, utterance.audio) > 0.6  # phoneme timing
    assert correlation(mouth_track(without(utterance, "phoneme"), FPS), utterance.audio) > 0.5  # words
    assert correlation(mouth_track(without(utterance, "phoneme", "word"), FPS), utterance.audio) > 0.8  # sound
    rms = frame_rms(utterance.audio, FPS)
    silent = rms < 0.02 * rms.max()
    assert silent.any() and max(np.asarray(track)[silent]) < 0.1  # shut in the pauses


async def test_bilabials_close_the_mouth(espeak):
    utterance = await espeak.synthesize("mama ma mama", locale="en")
    track = mouth_track(utterance, FPS)
    closed = [e for e in utterance.timing if e.kind == "phoneme" and e.value == "m" and e.end - e.start >= 0.06]
    opened = [e for e in utterance.timing if e.kind == "phoneme" and phoneme_openness(e.value) >= 0.7]
    assert closed and opened
    assert max(mouth_at(track, (e.start + e.end) / 2) for e in closed) < 0.15
    assert np.mean([mouth_at(track, (e.start + e.end) / 2) for e in opened]) > 0.5


def test_phoneme_classes():
    assert phoneme_openness("a") == phoneme_openness("ɑu") == 1.0
    assert phoneme_openness("ə") == 0.7 and phoneme_openness("i") == 0.45
    assert phoneme_openness("m") == phoneme_openness("p") == phoneme_openness("b") == 0.0
    assert 0 < phoneme_openness("s") < 0.45 and phoneme_openness("") == 0.0
    assert syllables("元") == 1 and syllables("链接") == 2 and syllables("banana") == 3 and syllables("128") == 1


def test_word_timing_without_audio_opens_per_syllable():
    words = [TimingEvent("word", 0.0, 0.8, "banana"), TimingEvent("word", 1.2, 1.6, "tea")]
    utterance = Utterance("banana tea", np.zeros(0, dtype=np.int16), words)
    track = mouth_track(utterance, FPS)
    assert len(track) == 40
    values = np.asarray(track)
    assert values[21:29].max() == 0.0 and values[30:].min() > 0.2  # shut between the words, open in "tea"
    inner = values[1:19]  # three syllables in "banana": three peaks
    peaks = [i for i in range(1, len(inner) - 1) if inner[i] > inner[i - 1] and inner[i] >= inner[i + 1]]
    assert len(peaks) == 3


def test_envelope_fallback_and_empty():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    audio = (12000 * np.sin(2 * np.pi * 200 * t) * (t < 0.5)).astype(np.int16)
    track = mouth_track(Utterance("x", audio), FPS)
    assert len(track) == 25 and min(track[2:11]) > 0.8 and max(track[14:]) == 0.0
    assert mouth_track(Utterance("", np.zeros(0, dtype=np.int16)), FPS) == []


def test_mouth_at_interpolates_between_frame_centres():
    track = MouthTrack([0.0, 1.0, 0.0, 0.5], fps=10)
    assert mouth_at(track, 0.15) == 1.0  # centre of frame 1
    assert mouth_at(track, 0.10) == pytest.approx(0.5)
    assert mouth_at(track, 0.01) == 0.0 and mouth_at(track, 0.39) == 0.5
    assert mouth_at(track, -0.1) == 0.0 and mouth_at(track, 0.4) == 0.0
    assert mouth_at([0.0, 1.0], 0.06, fps=25) == pytest.approx(1.0)
