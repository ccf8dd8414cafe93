"""Time as the hub's parts see it. Live runs use :class:`RealClock`; ``livehub replay --fast`` swaps in a
simulated clock so that windows, expiry and speaking budgets behave as live, only faster.

Anything that waits or stamps times in the conversation and media pipelines takes a :class:`Clock`
instead of calling ``time`` or ``asyncio.sleep`` directly.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on this clock (monotonic; only differences mean anything)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


class RealClock:
    """The wall clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
