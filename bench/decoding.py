"""What every platform's decode benchmark shares: run a decoder over the same frames a few times on
process CPU time (one thread; the runner pins the process to one core) and report messages a second."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def measure(frames: list[bytes], decode: Callable[[list[bytes]], int | tuple[int, int]], *, repeats: int = 3,
            warm_up: int = 50) -> dict[str, Any]:
    """``decode(frames)`` returns how many messages it decoded, or ``(messages, hub events built)``;
    ``value`` is the median rate of ``repeats`` runs (after one run over the first ``warm_up`` frames)."""
    decode(frames[:warm_up])
    rates: list[float] = []
    decoded, events = 0, 0
    for _ in range(max(1, repeats)):
        started = time.process_time()
        result = decode(frames)
        elapsed = max(time.process_time() - started, 1e-9)
        decoded, events = result if isinstance(result, tuple) else (result, result)
        rates.append(decoded / elapsed)
    return {"value": round(statistics.median(rates)), "rates": [round(r) for r in rates], "messages": decoded,
            "hub_events": events, "frames": len(frames),
            "bytes_per_frame": round(sum(map(len, frames)) / max(1, len(frames))),
            "clock": "process CPU time, one thread", "goal": ">= 50000"}
