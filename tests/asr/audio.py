"""Sounds and a stand-in fixture shared by the ASR tests."""

from __future__ import annotations

import numpy as np


def speech(seconds: float = 1.0, rate: int = 48_000, amplitude: int = 6000) -> np.ndarray:
    """A 220 Hz tone, loud enough not to count as silence."""
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 220 * t) * amplitude).astype(np.int16)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio / 32768.0))))
