"""The post-show report service: keeps the rooms' decisions (:mod:`.recorder`), writes each broadcast's report
(HTML and JSON, :func:`write_report`) into ``[plugins.reports] folder`` when its show ends, and serves reports
over the API (``/api/v1/reports``)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from hub.events import Event, StreamState
from hub.storage.tables import broadcasts
from hub.web import HUB_KEY
from hub.web.common import json_error, json_response, request_tenant_rooms
from plugins.reports import figures
from plugins.reports.recorder import DecisionRecorder
from plugins.reports.render import render

log = logging.getLogger("livehub.reports")


class ReportSettings(BaseModel):
    """``[plugins.reports]``."""

    model_config = ConfigDict(extra="forbid")

    folder: str = Field("reports", description="where reports are written when a show ends (relative: to the "
                                                "config file's folder)")
    on_show_end: bool = Field(True, description="write the report when a room's show ends")


async def write_report(storage: Any, broadcast_id: int, folder: Path) -> tuple[Path, Path] | None:
    """Write ``broadcast-<id>.json`` and ``.html`` into ``folder``, each whole, the page last (once it is there,
    the data is too); None when there is no such broadcast."""
    report = await figures.compute(storage, broadcast_id)
    if report is None:
        return None
    page, data = folder / f"broadcast-{broadcast_id}.html", folder / f"broadcast-{broadcast_id}.json"
    files = ((data, json.dumps(report, ensure_ascii=False, indent=2)), (page, render(report)))
    await asyncio.to_thread(_write, folder, files)
    return page, data


def _write(folder: Path, files: tuple[tuple[Path, str], ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in files:
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)


class ReportService:
    def __init__(self, hub: Any, settings: ReportSettings) -> None:
        self.hub, self.settings = hub, settings
        self.recorder = DecisionRecorder(hub)
        self.written: list[Path] = []
        self._subscription: Any = None

    @property
    def folder(self) -> Path | None:
        """Where reports go: an absolute folder, or one relative to the config file (None for a hub built
        without a file, such as a test's: nothing is written into whatever folder it runs from)."""
        path = Path(self.settings.folder).expanduser()
        if path.is_absolute():
            return path
        return self.hub.config.path.parent / path if self.hub.config.path else None

    async def start(self) -> None:
        self.hub.slots.set(ReportService, self)
        self.recorder.start()
        if self.settings.on_show_end and self.hub.storage is not None and self.folder is not None:
            self._subscription = self.hub.bus.subscribe("reports", self._event, types=("stream_state",))

    async def stop(self) -> None:
        if self._subscription is not None:
            await self.hub.bus.unsubscribe(self._subscription, timeout=5.0)
            self._subscription = None
        await self.recorder.stop()

    async def _event(self, event: Event) -> None:
        if isinstance(event, StreamState) and event.output == "show" and event.state == "ended" and event.room:
            await self.show_ended(event.room)

    async def show_ended(self, room: str) -> Path | None:
        """Write the report of the room's latest ended broadcast (its end is recorded as the show stops)."""
        row = None
        for _ in range(50):
            async with self.hub.storage.engine.connect() as conn:
                row = (await conn.execute(sa.select(broadcasts.c.id, broadcasts.c.status)
                                          .where(broadcasts.c.room == room).order_by(broadcasts.c.id.desc())
                                          .limit(1))).first()
            if row is not None and row.status == "ended":
                break
            await asyncio.sleep(0.1)
        if row is None or row.status != "ended":
            return None
        await self.recorder.flush()
        try:
            written = await write_report(self.hub.storage, row.id, self.folder or Path.cwd())
        except Exception as exc:  # noqa: BLE001 - a report that cannot be written never stops the hub
            log.warning("reports: the report of broadcast %s could not be written: %s", row.id, exc)
            return None
        if written is None:
            return None
        self.written.append(written[0])
        log.info("reports: broadcast %s of room %s: %s", row.id, room, written[0])
        return written[0]


# -- API ------------------------------------------------------------------------------------------------

async def list_reports(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    query = sa.select(broadcasts.c.id, broadcasts.c.room, broadcasts.c.title, broadcasts.c.status,
                      broadcasts.c.started_ts, broadcasts.c.ended_ts).order_by(broadcasts.c.id.desc()).limit(50)
    if request.query.get("room"):
        query = query.where(broadcasts.c.room == request.query["room"])
    mine = request_tenant_rooms(request)
    if mine is not None:  # a tenant's token: its own rooms' broadcasts only
        query = query.where(broadcasts.c.room.in_(sorted(mine)))
    async with hub.storage.engine.connect() as conn:
        rows = [dict(r._mapping) for r in await conn.execute(query)]
    return json_response({"broadcasts": rows})


async def _report(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        broadcast_id = int(request.match_info["id"])
    except ValueError:
        return json_error(404, "no such broadcast")
    service = request.app[HUB_KEY].slots.get(ReportService)
    if service is not None:
        await service.recorder.flush()
    report = await figures.compute(request.app[HUB_KEY].storage, broadcast_id)
    mine = request_tenant_rooms(request)
    if report is None or (mine is not None and report["broadcast"]["room"] not in mine):  # another tenant: none
        return json_error(404, "no such broadcast")
    return report


async def get_report(request: web.Request) -> web.Response:
    report = await _report(request)
    return report if isinstance(report, web.Response) else json_response(report)


async def get_report_html(request: web.Request) -> web.Response:
    report = await _report(request)
    if isinstance(report, web.Response):
        return report
    return web.Response(text=render(report), content_type="text/html")
