"""Acknowledged means stored (#11 item 2): 20,000 events posted, the hub killed with SIGKILL mid-stream."""

from __future__ import annotations

import pytest

from tests.faults.kill9 import run


@pytest.mark.slow
def test_no_acknowledged_event_is_lost_or_doubled_by_kill_9(tmp_path):
    result = run(tmp_path, events=20_000, clients=4, kill_after=0.4)
    assert result["acknowledged_before_kill"] >= 8_000, result
    assert result["acknowledged"] < result["events"], f"the kill came after the last answer: {result}"
    assert result["missing"] == 0, f"acknowledged events lost: {result}"
    assert result["duplicates"] == 0, result
    assert result["stored_after_resend"] == result["events"], result
    assert result["duplicates_after_resend"] == 0, result
    assert result["exit_after_sigterm"] == 0, result
