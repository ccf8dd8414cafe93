"""hub/breaker.py on a hand-driven clock: opens after N failures in a row, refuses calls while open, lets
one probe through after the cool-down, closes on its success, opens again for longer on its failure; one
log line per opening and per closing, none per call."""

from __future__ import annotations

import logging

import pytest

from hub.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def breaker(clock: FakeClock, **kw) -> CircuitBreaker:
    """A breaker with no jitter (random() = 0.5 puts every cool-down at its middle)."""
    settings = {"failures": 3, "cooldown_s": 30.0, "cooldown_max_s": 100.0, "random": lambda: 0.5, **kw}
    return CircuitBreaker("llm", clock=clock, **settings)


def test_it_opens_after_n_failures_in_a_row_and_refuses_calls_while_open() -> None:
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(2):
        assert b.allow()
        b.failure("timeout")
    assert b.state == CLOSED and b.consecutive_failures == 2
    assert b.allow()
    b.failure("timeout")
    assert b.state == OPEN and b.opens == 1
    assert [b.allow() for _ in range(5)] == [False] * 5
    assert b.short_circuited == 5
    status = b.status()
    assert status["state"] == "open" and status["failures"] == 3 and status["threshold"] == 3
    assert status["retry_in_s"] == 30.0 and status["opened_at"] is not None and status["last_error"] == "timeout"
    clock.advance(29.9)
    assert not b.allow() and b.state == OPEN
    assert b.retry_in() == pytest.approx(0.1)


def test_a_success_in_between_resets_the_count() -> None:
    b = breaker(FakeClock())
    for _ in range(5):
        b.failure()
        b.failure()
        b.success()
    assert b.state == CLOSED and b.consecutive_failures == 0 and b.opens == 0


def test_after_the_cooldown_one_probe_goes_through_and_its_success_closes() -> None:
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(3):
        b.failure()
    clock.advance(30)
    assert b.allow()  # the probe
    assert b.state == HALF_OPEN
    assert not b.allow() and not b.allow()  # the others wait for the probe's outcome
    b.success()
    assert b.state == CLOSED and b.consecutive_failures == 0
    assert b.status()["opened_at"] is None and b.status()["retry_in_s"] is None
    assert all(b.allow() for _ in range(3))


def test_a_failed_probe_opens_again_for_longer_up_to_the_cap() -> None:
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(3):
        b.failure()
    cooldowns = []
    for _ in range(4):
        cooldowns.append(b.current_cooldown)
        clock.advance(b.current_cooldown)
        assert b.allow() and b.state == HALF_OPEN
        b.failure("still down")
        assert b.state == OPEN
    cooldowns.append(b.current_cooldown)
    assert cooldowns == [30.0, 60.0, 100.0, 100.0, 100.0]  # doubled, capped at cooldown_max_s
    assert b.opens == 5
    clock.advance(100)
    assert b.allow()
    b.success()
    assert b.state == CLOSED
    for _ in range(3):
        b.failure()
    assert b.current_cooldown == 30.0  # a closed breaker starts over


def test_jitter_spreads_the_cooldown_within_its_fraction() -> None:
    clock = FakeClock()
    low = breaker(clock, random=lambda: 0.0, jitter=0.2)
    high = breaker(clock, random=lambda: 0.999999, jitter=0.2, cooldown_max_s=1000)
    for b in (low, high):
        for _ in range(3):
            b.failure()
    assert low.current_cooldown == pytest.approx(24.0)
    assert high.current_cooldown == pytest.approx(36.0, abs=1e-3)
    capped = breaker(clock, random=lambda: 0.999999, jitter=0.2, cooldown_s=30, cooldown_max_s=30)
    for _ in range(3):
        capped.failure()
    assert capped.current_cooldown == 30.0  # jitter never goes past the cap


def test_an_abandoned_probe_lets_the_next_call_probe() -> None:
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(3):
        b.failure()
    clock.advance(30)
    assert b.allow()
    b.abandon()  # the caller gave up: no verdict
    assert b.state == HALF_OPEN and b.consecutive_failures == 3
    assert b.allow()  # the next call is the probe
    b.success()
    assert b.state == CLOSED


def test_late_failures_of_calls_let_through_before_it_opened_do_not_extend_it() -> None:
    clock = FakeClock()
    b = breaker(clock)
    for _ in range(3):
        b.failure()
    retry_at = b.retry_at
    clock.advance(10)
    b.failure()
    b.failure()
    assert b.state == OPEN and b.retry_at == retry_at and b.opens == 1


def test_zero_failures_turns_it_off() -> None:
    b = breaker(FakeClock(), failures=0)
    for _ in range(10):
        assert b.allow()
        b.failure()
    assert b.state == CLOSED and b.short_circuited == 0


def test_state_changes_are_reported_and_logged_once(caplog) -> None:
    clock = FakeClock()
    changes: list[tuple[str, str]] = []
    b = breaker(clock, on_change=lambda _b, old, new: changes.append((old, new)), what="answer backend llm")
    with caplog.at_level(logging.INFO, logger="livehub.breaker"):
        for _ in range(3):
            b.failure("no first sentence within 0.5 s")
        for _ in range(10):
            b.allow()
        clock.advance(30)
        b.allow()
        b.success()
        for _ in range(10):
            b.allow()
            b.success()
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    lines = [r.getMessage() for r in caplog.records if r.name == "livehub.breaker"]
    assert len(lines) == 2, lines
    assert "answer backend llm: circuit open after 3 failures in a row" in lines[0]
    assert "no first sentence within 0.5 s" in lines[0]
    assert "answer backend llm: circuit closed" in lines[1]


def test_a_broken_on_change_hook_does_not_break_the_caller() -> None:
    def broken(*_args):
        raise RuntimeError("metrics down")

    b = breaker(FakeClock(), on_change=broken)
    for _ in range(3):
        b.failure()
    assert b.state == OPEN


@pytest.mark.parametrize("kw", [{"failures": -1}, {"cooldown_s": 0}, {"cooldown_max_s": -1}, {"jitter": 1.0}])
def test_bad_settings_are_refused(kw) -> None:
    with pytest.raises(ValueError):
        breaker(FakeClock(), **kw)
