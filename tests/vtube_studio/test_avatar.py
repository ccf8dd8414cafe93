"""The ``vtube_studio`` avatar in a hub, against the stand-in: every frame's mouth goes to VTube Studio as
MouthOpen and the hub draws no host (OBS captures VTube Studio); until it is reached, and while it is away, the
built-in sprite stands in (a plugin the user has not allowed yet, VTube Studio gone mid-show), and the model
takes over again when it can; a product coming on stage runs the model's hotkey for that cue."""

from __future__ import annotations

import asyncio
from pathlib import Path

from connectors.vtube_studio.avatar import VtsAvatar
from connectors.vtube_studio.standin import VtsStandin
from hub.media.avatar import FallbackAvatar, HostState
from hub.media.rooms import build_avatar
from hub.testing import running_hub, wait_for

SIZE = (240, 320)


async def test_the_model_moves_with_each_frame_and_the_sprite_stands_in_while_vtube_studio_is_away(
        tmp_path: Path) -> None:
    standin = await VtsStandin().start()
    config = {"backends": {"avatar": {"vtube_studio": {"url": standin.ws_url, "token_file": str(tmp_path / "token"),
                                                       "timeout_s": 1.0, "cues": {"product": "Smile"}}}}}
    try:
        async with running_hub(config=config) as hub:
            avatar = build_avatar(hub, "vtube_studio")
            assert isinstance(avatar, FallbackAvatar) and isinstance(avatar.primary, VtsAvatar)
            avatar.retry_s = avatar.retry_max_s = 0.05  # (the test does not wait for the production backoff)

            async def frame(mouth: float, sku: str | None = None):
                picture = await asyncio.to_thread(avatar.frame, HostState(mouth=mouth, speaking=True, sku=sku), SIZE)
                await asyncio.sleep(0.04)  # 25 fps
                return picture

            standin.allow = False  # the user has not allowed the plugin yet: the sprite is the host meanwhile
            for _ in range(50):
                first = await frame(0.3)
                if "denied" in avatar.last_error:
                    break
            assert avatar.state == "fallback" and first[..., 3].max() > 0 and "denied" in avatar.last_error
            standin.allow = True
            for _ in range(100):
                await frame(0.3)
                if avatar.state == "ready":
                    break
            assert avatar.primary.healthy and avatar.state == "ready"
            mouths = [round(0.1 * (n % 10), 1) for n in range(40)]
            pictures = [await frame(m) for m in mouths]
            assert avatar.state == "ready" and pictures[-1][..., 3].max() == 0  # the hub draws no host now
            got = [v for _, v in standin.values("MouthOpen")]
            in_order = iter(got)
            assert all(m in in_order for m in [m for m in mouths if m in got])  # sent in the frames' order
            # every frame sends its mouth, or is skipped while the previous one is still travelling (never queued)
            assert len(set(got) & set(mouths)) >= 5 and avatar.primary.sent >= 10

            smile = next(h["hotkeyID"] for h in standin.hotkeys if h["name"] == "Smile")
            for sku in ("TEA-1", "TEA-1", "TEA-1"):  # a product on stage: the model smiles, once per product
                await frame(0.0, sku)
            await wait_for(lambda: avatar.primary.cues == 1, timeout=5)
            assert [h for _, h in standin.triggered] == [smile]

            await standin.stop()  # VTube Studio goes away mid-show: the sprite again, within a few frames
            for _ in range(10):
                picture = await frame(0.5)
                if avatar.state == "fallback":
                    break
            assert avatar.state == "fallback" and picture[..., 3].max() > 0 and "VTube Studio" in avatar.last_error
            await standin.start()  # back: the model takes over again (the kept token, no new request)
            for _ in range(100):
                picture = await frame(0.2)
                if avatar.state == "ready":
                    break
            assert avatar.state == "ready" and picture[..., 3].max() == 0
            assert standin.token_requests >= 2 and standin.authentications == 2  # asked until allowed, then kept
            await avatar.primary.close()
    finally:
        await standin.stop()


async def test_a_thank_you_line_plays_the_thanks_hotkey_once_as_it_starts(tmp_path: Path) -> None:
    from hub.media.playback import Line, Playback

    standin = await VtsStandin().start()
    config = {"backends": {"avatar": {"vtube_studio": {"url": standin.ws_url, "token_file": str(tmp_path / "token"),
                                                       "cues": {"thanks": "Thanks"}}}},
              "rooms": {"main": {"avatar": "vtube_studio"}}}
    try:
        async with running_hub(config=config) as hub:
            from hub.media.rooms import build_timeline

            timeline = build_timeline(hub, "main", size=(320, 180))
            avatar = timeline.drawer.avatar
            playback = Playback(25, lambda utterance, fps: [0.5] * 10)
            import numpy as np

            from hub.media.frames import Utterance

            playback.add(Line("谢谢大家的礼物！", kind="thanks"), Utterance(text="谢谢", audio=np.ones(19200, np.int16)))
            states = [playback.step(i) for i in range(12)]
            cues = [timeline.drawer.host_state(s).cue for s in states]
            assert cues[0] == "thanks" and not any(cues[1:])  # only the line's first frame carries the cue
            for state in states:
                await asyncio.to_thread(avatar.frame, timeline.drawer.host_state(state), SIZE)
                await asyncio.sleep(0.04)
            thanks = next(h["hotkeyID"] for h in standin.hotkeys if h["name"] == "Thanks")
            await wait_for(lambda: avatar.primary.cues == 1, timeout=5)
            assert [h for _, h in standin.triggered] == [thanks]
            await avatar.primary.close()
    finally:
        await standin.stop()
