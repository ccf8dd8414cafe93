"""Where shows are defined: TOML files in ``shows_dir`` and the ``shows`` table (shows defined by the API).

A show defined through the API replaces a file's show of the same name (the operator's latest word wins)
and survives restarts. Files are read again on every lookup, so an edited rundown is used at the next
start without restarting the hub; a bad file is reported (file, field, reason) and the others still load.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.storage.tables import shows as shows_table
from plugins.show_runner.rundown import Rundown, RundownError, ShowProblem, load_shows_dir, parse_rundown

log = logging.getLogger("livehub.show")


class ShowLibrary:
    """The shows of one hub (see the module docstring)."""

    def __init__(self, hub: Any, folder: Path) -> None:
        self.hub = hub
        self.folder = folder
        self._reported: set[str] = set()

    def files(self) -> tuple[dict[str, tuple[Rundown, Path]], list[ShowProblem]]:
        """Shows in the folder and the problems of bad files (each problem logged once)."""
        shows, problems = load_shows_dir(self.folder)
        for problem in problems:
            if str(problem) not in self._reported:
                self._reported.add(str(problem))
                log.error("show rundown not loaded: %s", problem)
        return shows, problems

    async def _stored(self, name: str | None = None) -> dict[str, Rundown]:
        storage = self.hub.storage
        if storage is None:
            return {}
        query = sa.select(shows_table.c.name, shows_table.c.rundown)
        if name is not None:
            query = query.where(shows_table.c.name == name)
        found: dict[str, Rundown] = {}
        async with storage.engine.connect() as conn:
            for row in await conn.execute(query):
                try:
                    found[row.name] = parse_rundown(row.rundown, f"shows table ({row.name})")
                except RundownError as exc:  # written by an older version: report, do not crash
                    log.error("stored show not usable: %s", exc)
        return found

    async def get(self, name: str) -> Rundown | None:
        """The show ``name``: the API's definition if there is one, else the file's."""
        stored = await self._stored(name)
        if name in stored:
            return stored[name]
        entry = self.files()[0].get(name)
        return entry[0] if entry is not None else None

    async def all(self) -> list[dict[str, Any]]:
        """Every show as JSON with its ``source`` (``api`` or ``file:<path>``), by name."""
        shows = {name: {**rundown.as_json(), "source": f"file:{path}"}
                 for name, (rundown, path) in self.files()[0].items()}
        for name, rundown in (await self._stored()).items():
            shows[name] = {**rundown.as_json(), "source": "api"}
        return [shows[name] for name in sorted(shows)]

    def problems(self) -> list[ShowProblem]:
        return self.files()[1]

    async def save(self, rundown: Rundown) -> bool:
        """Store ``rundown`` (insert or replace by name); True when it is new."""
        now = time.time()
        data = rundown.as_json()
        async with self.hub.storage.engine.begin() as conn:
            exists = (await conn.execute(sa.select(shows_table.c.name)
                                         .where(shows_table.c.name == rundown.name))).first() is not None
            if exists:
                await conn.execute(shows_table.update().where(shows_table.c.name == rundown.name)
                                   .values(room=rundown.room, rundown=data, updated_ts=now))
            else:
                await conn.execute(shows_table.insert().values(
                    name=rundown.name, room=rundown.room, rundown=data, created_ts=now, updated_ts=now))
        return not exists
