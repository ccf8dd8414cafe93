"""A token bucket: the rate a platform allows its bots to post at, with a burst.

The bucket holds at most ``burst`` tokens and gains ``rate`` tokens a second; sending one message costs
one token. :meth:`TokenBucket.reserve` takes a token and says how long to wait before using it (0 when
one was there), so a single consumer can ``await sleep(bucket.reserve(now))`` without polling. Time is
whatever the caller passes (a :class:`hub.clock.Clock`'s ``now()``), so tests drive it by hand.
"""

from __future__ import annotations


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; it starts full."""

    def __init__(self, rate: float, burst: int = 1, *, now: float = 0.0) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self.tokens = float(self.burst)
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def available(self, now: float) -> float:
        """Tokens in the bucket at ``now`` (negative while reservations are outstanding)."""
        self._refill(now)
        return self.tokens

    def reserve(self, now: float) -> float:
        """Take one token; return the seconds to wait before it may be used (0: at once)."""
        self._refill(now)
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def empty(self, now: float) -> None:
        """Spend what is saved up: after the platform said "slow down", start again from nothing."""
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)
