"""Lip-sync: how open the host's mouth is (0 closed … 1 wide open) in each video frame of an utterance.

Three sources, best first:

1. **Phoneme timing** (backends that report phonemes): open vowels (a, ɑ, æ) open wide, mid vowels (e, ə, o) less, close vowels
   (i, u) little, other consonants barely, and the bilabials m, b, p close the lips completely.
2. **Word timing** (backends that report word boundaries): inside each word the mouth opens and closes once per syllable (a Hanzi is a
   syllable; elsewhere a run of vowel letters is).
3. **Audio envelope** (no timing at all): openness follows the loudness of each frame.

Timing-based tracks are gated by the loudness of the audio, so the mouth is shut in every pause even where
the timing is approximate, and are smoothed over three frames: lips do not jump between frames, and a
bilabial still closes them.
"""

from __future__ import annotations

import math
import re

import numpy as np

from hub.media.frames import DEFAULT_FPS, SAMPLE_RATE, TimingEvent, Utterance
from hub.media.pcm import frame_rms

OPEN_VOWELS = set("aɑæɐɒʌä")
MID_VOWELS = set("eɛəɘɜɞoɔøœɤɵɚ")
CLOSE_VOWELS = set("iɪyʏuʊɯɨʉ")
BILABIALS = set("mbpɓ")
LABIODENTALS = set("fvɱ")
ROUNDED = set("wʍɥ")
SILENCE_GATE = 0.15
"""Frames quieter than this share of the speech's typical loudness are treated as silence."""
SYLLABLE = re.compile(r"[aeiouyäöü]+", re.IGNORECASE)
HANZI = re.compile(r"[\u3400-\u9fff]")


class MouthTrack(list[float]):
    """A list of openness values, one per frame, that also knows its frame rate."""

    def __init__(self, values: list[float] | np.ndarray = (), fps: float = DEFAULT_FPS) -> None:
        super().__init__(float(v) for v in values)
        self.fps = fps


def phoneme_openness(phoneme: str) -> float:
    """Target openness of one phoneme (IPA, as voice backends report phonemes)."""
    letters = [c for c in phoneme if c.isalpha() or c in "ɚə"]
    if not letters:
        return 0.0
    vowels = [1.0 if c in OPEN_VOWELS else 0.7 if c in MID_VOWELS else 0.45
              for c in letters if c in OPEN_VOWELS | MID_VOWELS | CLOSE_VOWELS]
    if vowels:
        return max(vowels)
    first = letters[0]
    if first in BILABIALS:
        return 0.0
    if first in LABIODENTALS:
        return 0.15
    if first in ROUNDED:
        return 0.2
    return 0.3


def mouth_track(utterance: Utterance, fps: float = DEFAULT_FPS) -> MouthTrack:
    """Openness 0..1 for each frame ``i`` covering ``[i / fps, (i + 1) / fps)`` of ``utterance``."""
    audio_frames = int(math.ceil(len(utterance.audio) * fps / SAMPLE_RATE - 1e-9))
    phonemes = [e for e in utterance.timing if e.kind == "phoneme"]
    words = [e for e in utterance.timing if e.kind == "word"]
    timed_end = max((e.end for e in phonemes + words), default=0.0)
    count = audio_frames or int(math.ceil(timed_end * fps))
    if count == 0:
        return MouthTrack([], fps)
    envelope = _relative_loudness(utterance.audio, fps, count)
    if phonemes:
        track = _smooth(_from_phonemes(phonemes, fps, count))
        track = np.where(_bilabial_share(phonemes, fps, count) >= 0.4, np.minimum(track, 0.05), track)
    elif words:
        track = _smooth(_from_words(words, fps, count))
    else:
        return MouthTrack(np.clip(_smooth(np.sqrt(np.clip(envelope - SILENCE_GATE, 0, None))
                                          / math.sqrt(1 - SILENCE_GATE)), 0.0, 1.0), fps)
    if envelope is not None and audio_frames:
        track = track * np.clip(envelope / SILENCE_GATE, 0.0, 1.0)
    return MouthTrack(np.clip(track, 0.0, 1.0), fps)


def mouth_at(track: list[float], t: float, fps: float | None = None) -> float:
    """Openness at ``t`` seconds, interpolated between frame centres; 0 outside the track."""
    rate = fps or getattr(track, "fps", None) or DEFAULT_FPS
    position = t * rate - 0.5
    if not track or t < 0 or t >= len(track) / rate:
        return 0.0
    low = min(max(int(math.floor(position)), 0), len(track) - 1)
    high = min(low + 1, len(track) - 1)
    weight = min(max(position - low, 0.0), 1.0)
    return float(track[low] * (1 - weight) + track[high] * weight)


def _relative_loudness(audio: np.ndarray, fps: float, count: int) -> np.ndarray:
    """Per-frame RMS divided by the speech's typical (95th percentile) level; zeros if silent."""
    rms = np.zeros(count)
    levels = frame_rms(audio, fps)[:count]
    rms[:levels.size] = levels
    reference = float(np.percentile(rms, 95)) if rms.size else 0.0
    return rms / reference if reference > 1e-6 else np.zeros(count)


def _overlap(event: TimingEvent, fps: float, count: int) -> list[tuple[int, float]]:
    """``(frame, share of the frame the event covers)`` for each frame the event touches."""
    first = max(int(event.start * fps), 0)
    last = min(int(math.ceil(event.end * fps)), count)
    out = []
    for i in range(first, last):
        share = (min(event.end, (i + 1) / fps) - max(event.start, i / fps)) * fps
        if share > 0:
            out.append((i, share))
    return out


def _from_phonemes(phonemes: list[TimingEvent], fps: float, count: int) -> np.ndarray:
    track = np.zeros(count)
    for phoneme in phonemes:
        target = phoneme_openness(phoneme.value)
        for i, share in _overlap(phoneme, fps, count):
            track[i] += target * share
    return track


def _bilabial_share(phonemes: list[TimingEvent], fps: float, count: int) -> np.ndarray:
    share = np.zeros(count)
    for phoneme in phonemes:
        letters = [c for c in phoneme.value if c.isalpha()]
        if letters and letters[0] in BILABIALS:
            for i, part in _overlap(phoneme, fps, count):
                share[i] += part
    return share


def syllables(word: str) -> int:
    """Rough syllable count: one per Hanzi, else one per run of vowel letters (at least one)."""
    return max(len(HANZI.findall(word)) or len(SYLLABLE.findall(word)), 1)


def _from_words(words: list[TimingEvent], fps: float, count: int) -> np.ndarray:
    track = np.zeros(count)
    for word in words:
        span = word.end - word.start
        if span <= 0:
            continue
        beats = syllables(word.value)
        for i, share in _overlap(word, fps, count):
            t = (max(word.start, i / fps) + min(word.end, (i + 1) / fps)) / 2
            track[i] += share * (0.25 + 0.6 * abs(math.sin(math.pi * beats * (t - word.start) / span)))
    return track


def _smooth(track: np.ndarray) -> np.ndarray:
    if track.size < 3:
        return track
    padded = np.concatenate([[0.0], track, [0.0]])
    return 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]
