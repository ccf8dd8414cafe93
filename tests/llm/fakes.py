"""A scripted answer backend for tests: yields, waits, blocks or raises exactly as told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from hub.answers import AnswerBackend, AnswerBackendSettings, AnswerRequest


class Scripted(AnswerBackend):
    """Runs ``script``: a str is yielded, a float slept, an Event awaited, an exception raised."""

    name: ClassVar[str] = "scripted"

    def __init__(self, script: list[Any], hub: Any = None, *, name: str = "scripted", **settings: Any) -> None:
        super().__init__(AnswerBackendSettings(**settings), hub)
        self.name = name  # type: ignore[misc]
        self.script = script
        self.closed = 0
        self.requests: list[AnswerRequest] = []

    async def _stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        self.requests.append(request)
        try:
            for step in self.script:
                if isinstance(step, float):
                    await asyncio.sleep(step)
                elif isinstance(step, asyncio.Event):
                    await step.wait()
                elif isinstance(step, BaseException):
                    raise step
                else:
                    yield step
        finally:
            self.closed += 1
