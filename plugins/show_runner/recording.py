"""Shows are recorded by default: while a show runs, its room's frames also go to a ``file`` output (an MP4
beside its captions, registered in ``recordings``: see hub/recordings.py), which is finished when the show
ends, so clips can be cut from it later (the ``live_clip`` content kind).

``[plugins.show_runner] record = false`` turns it off; ``record_path`` says where files go. A room whose
configured outputs already record to a file is not recorded twice, and a hub without the ``file`` output
backend shows run unrecorded (logged). A hub started without a config file records only to an absolute
``record_path`` (a relative one would land in whatever folder the process runs in).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hub.errors import ConfigError

log = logging.getLogger("livehub.show")


def _records_already(media: Any) -> bool:
    return any(getattr(output, "name", "") == "file" and output.task is not None and not output.task.done()
               for output in getattr(media, "outputs", []))


async def start_recording(hub: Any, live: Any, path: str) -> Any:
    """Start recording ``live``'s room for its show; the output, or None (not recorded)."""
    from hub.media.output import output_from_entry

    if live.recorder is not None and live.recorder.task is not None and not live.recorder.task.done():
        return live.recorder
    if _records_already(live.media):
        return None
    if getattr(hub.config, "path", None) is None and not Path(path).expanduser().is_absolute():  # noqa: ASYNC240
        log.info("show on room %s not recorded: no config file to put %s beside", live.name, path)
        return None
    try:
        output = output_from_entry(hub, {"type": "file", "name": "show-recording", "path": path},
                                   where="plugins.show_runner.record_path")
    except ConfigError as exc:
        log.warning("show on room %s not recorded: %s", live.name, exc)
        return None
    output.start(live.timeline)
    return output


async def finish_recording(live: Any) -> None:
    """Finish the show's recording (the file gets its index and its row its track)."""
    recorder, live.recorder = live.recorder, None
    if recorder is not None:
        await recorder.finish(grace=15.0)
