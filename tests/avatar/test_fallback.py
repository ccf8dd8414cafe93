"""An avatar that fails never stops the show: the built-in host draws meanwhile, the avatar is tried again with
capped backoff, and takes over again when it draws (one log line each way)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from hub.errors import BackendError
from hub.media.avatar import AvatarBackend, FallbackAvatar, HostState

SIZE = (16, 16)


class Painted(AvatarBackend):
    def __init__(self, value: int) -> None:
        super().__init__()
        self.value, self.broken, self.calls = value, False, 0
        self.cacheable = False

    def _draw(self, state: HostState, size: tuple[int, int]) -> np.ndarray:
        self.calls += 1
        if self.broken:
            raise BackendError("the service is down", backend="painted")
        return np.full((size[1], size[0], 4), self.value, dtype=np.uint8)


def test_the_built_in_host_draws_while_the_avatar_fails_and_the_avatar_comes_back(
        caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    primary, builtin = Painted(200), Painted(7)
    avatar = FallbackAvatar(primary, builtin, retry_s=1.0, retry_max_s=4.0, clock=lambda: now[0])
    assert avatar.frame(HostState(), SIZE)[0, 0, 0] == 200 and avatar.state == "ready"
    primary.broken = True
    with caplog.at_level(logging.INFO, logger="livehub.media.avatar"):
        assert avatar.frame(HostState(), SIZE)[0, 0, 0] == 7 and avatar.state == "fallback"
        calls = primary.calls
        for _ in range(10):  # within the backoff the avatar is not asked at all
            assert avatar.frame(HostState(), SIZE)[0, 0, 0] == 7
        assert primary.calls == calls
        now[0] = 1.1  # first retry: still down, the next wait doubles (capped)
        assert avatar.frame(HostState(), SIZE)[0, 0, 0] == 7 and primary.calls == calls + 1
        now[0] = 2.0
        assert avatar.frame(HostState(), SIZE)[0, 0, 0] == 7 and primary.calls == calls + 1
        primary.broken = False
        now[0] = 10.0
        assert avatar.frame(HostState(), SIZE)[0, 0, 0] == 200 and avatar.state == "ready"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "takes over" in lines[0] and "draws again" in lines[1]
    assert avatar.status()["failures"] == 0 and "service is down" in avatar.last_error
