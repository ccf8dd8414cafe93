"""A started hub takes what it loaded out of the cyclic collector's way (``gc.freeze``), and gives it back
when it stops."""

from __future__ import annotations

import gc
from typing import Any

from hub.hookspecs import hookimpl
from hub.testing import running_hub


class StartupProbe:
    """Records how many objects were frozen while the plugins started."""

    frozen_at_startup: int | None = None

    @hookimpl
    def livehub_startup(self, hub: Any) -> None:
        self.frozen_at_startup = gc.get_freeze_count()


async def test_the_hub_freezes_once_started_and_unfreezes_when_stopped() -> None:
    gc.unfreeze()
    probe = StartupProbe()
    async with running_hub(plugins=[("probe", probe)], builtins=("hub.builtin.recorder",)) as hub:
        assert probe.frozen_at_startup == 0  # startup is not over: nothing frozen yet
        assert hub.ready and gc.get_freeze_count() > 1000  # modules, plugins, config: all of it
    assert gc.get_freeze_count() == 0


async def test_a_hub_stopped_twice_unfreezes_once() -> None:
    async with running_hub(builtins=()) as hub:
        assert gc.get_freeze_count() > 0
    gc.freeze()  # someone else's freeze, after the hub stopped
    try:
        await hub.stop()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
