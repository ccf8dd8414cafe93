"""Stand-ins that deliver webhooks (shops, CRMs): timed POSTs, redelivery of failures, a log for duplicates.

A shop stand-in builds each delivery's headers (its system's names and signature) and hands it to
:class:`WebhookSender`: a delivery not answered 2xx within :data:`ACK_TIMEOUT_S` (or not answered, or answered
5xx) is a failure and is sent again later with the same headers — the same delivery id, as real shops
redeliver — up to :data:`MAX_ATTEMPTS` times. ``state()`` reports deliveries, failures, redeliveries and the
slowest acknowledgement (shops drop a subscription whose acknowledgements are too slow).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

__all__ = ["WebhookSender", "ACK_TIMEOUT_S"]

ACK_TIMEOUT_S = 5.0
RETRY_AFTER_S = 1.0
MAX_ATTEMPTS = 5


class WebhookSender:
    """Sends deliveries; counts and times the acknowledgements."""

    def __init__(self, system: str, *, concurrency: int = 16) -> None:
        self.system = system
        self.sent = self.failed = self.redelivered = 0
        self.slowest_ack_s = 0.0
        self.log: list[tuple[str, dict[str, str], bytes]] = []  # (url, headers, body) of every delivery sent
        self._tasks: set[asyncio.Task[Any]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._limit = asyncio.Semaphore(concurrency)

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ACK_TIMEOUT_S * 2))
        return self._http

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def post(self, url: str, headers: dict[str, str], body: bytes, *, retry: bool = True) -> int:
        """Send one delivery; returns the status (0: no answer). A failure is redelivered later if ``retry``."""
        self.log.append((url, headers, body))
        started = time.monotonic()
        status = 0
        async with self._limit:
            try:
                async with self.http().post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
        took = time.monotonic() - started
        self.slowest_ack_s = max(self.slowest_ack_s, took)
        self.sent += 1
        slow = took > ACK_TIMEOUT_S
        if not 200 <= status < 300 or slow:
            self.failed += 1
            if retry and (status == 0 or status >= 500 or slow):
                self._later(url, headers, body, 1)
        return status

    def _later(self, url: str, headers: dict[str, str], body: bytes, attempt: int) -> None:
        async def again() -> None:
            await asyncio.sleep(RETRY_AFTER_S * attempt)
            self.redelivered += 1
            status = await self.post(url, headers, body, retry=False)
            if (status == 0 or status >= 500) and attempt < MAX_ATTEMPTS:
                self._later(url, headers, body, attempt + 1)

        task = asyncio.get_running_loop().create_task(again(), name=f"{self.system} stand-in: redelivery")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def state(self) -> dict[str, Any]:
        return {"deliveries": self.sent, "failed": self.failed, "redelivered": self.redelivered,
                "slowest_ack_s": round(self.slowest_ack_s, 3)}
