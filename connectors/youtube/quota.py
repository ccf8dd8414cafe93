"""The YouTube Data API quota as a budget: every call has a price in units, a project has a number of
units a day (10,000 by default), and the day starts at midnight Pacific time.

:class:`QuotaBudget` is the connector's side: it counts what was spent today (:meth:`QuotaBudget.spend`),
says how long to wait before the next read so that reading lasts until the reset
(:meth:`QuotaBudget.read_delay`), and whether a chat message may still be posted without putting
reading at risk (:meth:`QuotaBudget.can_post`). The stand-in uses :func:`day_of` and :data:`COSTS` for
its own accounting. Both take the time from an injectable wall clock (Unix seconds), so that a whole
YouTube day can be simulated.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger("livehub.connector.youtube")
PACIFIC = ZoneInfo("America/Los_Angeles")
COSTS: dict[str, int] = {"list": 5, "stream": 5, "insert": 20, "videos": 1, "broadcasts": 1}
"""Units per call: liveChatMessages.list and .streamList 5, .insert 20, videos.list and liveBroadcasts.list 1."""


def day_of(wall: float) -> date:
    """The quota day (a date in Pacific time) of the Unix time ``wall``."""
    return datetime.fromtimestamp(wall, PACIFIC).date()


def next_reset(wall: float) -> float:
    """The Unix time of the next midnight in Pacific time after ``wall`` (daylight saving included)."""
    tomorrow = day_of(wall) + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=PACIFIC).timestamp()


class QuotaBudget:
    """Today's units: spent, left, and what they allow. The day's units are two shares: ``chat_units``
    for posting (20 units a message) and the rest for reading (5 units a call).

    * Reading goes at the platform's pace while less than ``slow_from`` of its share is spent; past
      that (one warning line), calls are spread so that reading's units left last until the reset; with
      none left, reading waits for the reset. Chat's unspent units are never counted as reading's.
    * Posting is allowed while chat's share has room for the message: what chat spends is chat's, so
      answering never takes units reading needs, and chat stops first.
    """

    def __init__(self, limit: int = 10_000, *, chat_units: int = 2_000, slow_from: float = 0.5,
                 wall: Callable[[], float] = time.time, name: str = "youtube") -> None:
        self.limit, self.chat_units, self.slow_from = limit, min(chat_units, limit), slow_from
        self.wall, self.name = wall, name
        self.day = day_of(wall())
        self._used = self._chat_used = 0
        self.calls: Counter[str] = Counter()  # today's calls by kind
        self.total_units = 0  # every unit spent since start (all days)
        self.warned = False
        self.on_spend: Callable[[str, int], None] | None = None  # metrics hook

    def _roll(self) -> None:
        today = day_of(self.wall())
        if today != self.day:
            if self._used:
                log.info("youtube %s: quota day %s ended with %d of %d units used", self.name, self.day, self._used,
                         self.limit)
            self.day, self._used, self._chat_used, self.warned = today, 0, 0, False
            self.calls.clear()

    @property
    def used(self) -> int:
        """Units spent today."""
        self._roll()
        return self._used

    @property
    def left(self) -> int:
        self._roll()
        return max(0, self.limit - self._used)

    @property
    def chat_left(self) -> int:
        """Chat's units not spent today (kept from reading)."""
        self._roll()
        return max(0, min(self.chat_units - self._chat_used, self.limit - self._used))

    @property
    def read_left(self) -> int:
        """Reading's units left today."""
        return max(0, self.left - self.chat_left)

    def spend(self, call: str) -> int:
        """Count one call of kind ``call`` (a key of :data:`COSTS`); returns its cost."""
        self._roll()
        cost = COSTS[call]
        self._used += cost
        if call == "insert":
            self._chat_used += cost
        self.total_units += cost
        self.calls[call] += 1
        if self.on_spend is not None:
            self.on_spend(call, cost)
        if not self.warned and self.slowed:
            self.warned = True
            log.warning("youtube %s: %d of %d quota units used today; reading slows down to last until the reset "
                        "(%s Pacific); %d units left for chat", self.name, self._used, self.limit,
                        datetime.fromtimestamp(next_reset(self.wall()), PACIFIC).strftime("%Y-%m-%d %H:%M"),
                        self.chat_left)
        return cost

    def exhausted(self) -> None:
        """The platform said ``quotaExceeded``: count the day as spent (its count and ours differ)."""
        self._roll()
        self._used = max(self._used, self.limit)

    @property
    def slowed(self) -> bool:
        """True once ``slow_from`` of reading's share is spent."""
        share = self.limit - self.chat_units
        return self.read_left <= (1 - self.slow_from) * share

    def read_delay(self, asked: float, call: str = "list") -> float:
        """Seconds to wait before the next read: ``asked`` (the platform's pollingIntervalMillis, or 0
        to reopen a stream) while the budget allows it, more when it is tight, until the reset when empty."""
        left, now = self.read_left, self.wall()
        to_reset = max(1.0, next_reset(now) - now)
        cost = COSTS[call]
        if left < cost:
            return to_reset + 1.0
        if not self.slowed:
            return asked
        return max(asked, to_reset * cost / left)

    def can_post(self) -> bool:
        """True while chat's share has room for one more message (20 units)."""
        return self.chat_left >= COSTS["insert"]

    def status(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "limit": self.limit, "used": self.used, "left": self.left,
                "read_left": self.read_left, "chat_left": self.chat_left, "chat_units": self.chat_units,
                "calls": dict(self.calls), "total_units": self.total_units, "slowed": self.slowed,
                "chat_paused": not self.can_post(), "resets_at": next_reset(self.wall())}


def quota_metrics(hub: Any, connector: str, budget: QuotaBudget, call: str, cost: int) -> None:
    """/metrics: ``livehub_youtube_quota_units_used{connector}`` (today) and
    ``livehub_youtube_quota_units_total{connector, call}`` (since start), on the hub's registry."""
    metric = getattr(hub, "metric", None)
    if metric is None:
        return
    from prometheus_client import Counter as MetricCounter
    from prometheus_client import Gauge

    metric(Gauge, "livehub_youtube_quota_units_used", "YouTube Data API units used today",
           ["connector"]).labels(connector).set(budget.used)
    metric(MetricCounter, "livehub_youtube_quota_units", "YouTube Data API units spent, by call",
           ["connector", "call"]).labels(connector, call).inc(cost)
