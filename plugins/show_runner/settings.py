"""``[plugins.show_runner]``: where shows are defined, which rooms open at start, how the watchdog runs.

::

    [plugins.show_runner]
    shows_dir = "shows"          # TOML rundowns, one file per show (relative to livehub.toml)
    open_rooms = ["main"]        # rooms put on air when the hub starts: answers are spoken without a show
    watchdog_s = 5               # how often failed outputs and connectors are looked for
    record = true                # record each show to a file (live clips are cut from recordings)
    record_path = "recordings/{room}-{start}.mp4"
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from hub.rooms import ROOM_NAME


def _room_name(name: str) -> str:
    if not ROOM_NAME.match(name):
        raise ValueError("room names are 1-64 letters, digits, '-' or '_'")
    return name


RoomName = Annotated[str, AfterValidator(_room_name)]


class ShowRunnerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shows_dir: Path = Field(Path("shows"), description="folder of TOML rundowns, relative to the config file")
    open_rooms: list[RoomName] = Field(default_factory=list,
                                       description="rooms whose media opens when the hub starts")
    watchdog: bool = Field(True, description="restart failed outputs and connectors (rooms are bridged anyway)")
    watchdog_s: float = Field(5.0, gt=0, le=3600, description="seconds between watchdog checks")
    watchdog_max_delay_s: float = Field(300.0, gt=0, description="longest wait before retrying a restart that "
                                                                 "keeps failing")
    tick_s: float = Field(0.2, gt=0, le=5, description="how often a running show looks for a pitch slot")
    line_timeout_s: float = Field(120.0, gt=0, description="longest wait for a line to be said")
    record: bool = Field(True, description="record each show to an MP4 with its captions (live clips are cut "
                                           "from recordings); needs the file output")
    record_path: str = Field("recordings/{room}-{start}.mp4",
                             description="where show recordings go: {room} and {start} are filled in, relative "
                                         "to the config file's folder")


def shows_folder(hub: Any, settings: ShowRunnerSettings) -> Path:
    """``shows_dir`` resolved against the config file's folder (the working folder without one)."""
    folder = settings.shows_dir
    if folder.is_absolute():
        return folder
    base = hub.config.path.parent if hub.config.path is not None else Path.cwd()
    return base / folder
