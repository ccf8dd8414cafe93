"""Post-show reports: what each broadcast did (viewers, comments, questions by intent and product, answer rate
and latency, drops and blocks, guardrail rewrites, orders and GMV by product, conversion, new leads), as a
self-contained HTML page with charts plus JSON: ``livehub report <broadcast>``, ``/api/v1/reports``, the
console's Reports card, and written automatically when a show ends. See docs/reports.md."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.specs import WebRoute

PLUGIN_NAME = "reports"


@hookimpl
def livehub_config_models() -> dict[str, Any]:
    from plugins.reports.service import ReportSettings

    return {"reports": ReportSettings}


@hookimpl
def livehub_plugin_dependencies() -> Any:
    from hub.specs import Dependencies

    return Dependencies(after=("AnswerQueue",))


@hookimpl
async def livehub_startup(hub: Any) -> None:
    from plugins.reports.service import ReportService

    await ReportService(hub, hub.plugin_config("reports")).start()


@hookimpl
async def livehub_shutdown(hub: Any) -> None:
    from plugins.reports.service import ReportService

    service = hub.slots.get(ReportService)
    if service is not None:
        await service.stop()


@hookimpl
def livehub_register_commands(cli: Any) -> None:
    from plugins.reports.cli import report

    cli.add_command(report)


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from plugins.reports.service import get_report, get_report_html, list_reports

    return [WebRoute("GET", "/api/v1/reports", list_reports, tags=("reports",), tenants=True,
                     summary="The latest broadcasts (?room=), whose reports can be read"),
            WebRoute("GET", "/api/v1/reports/{id}", get_report, tags=("reports",), tenants=True,
                     summary="A broadcast's report figures (JSON)"),
            WebRoute("GET", "/api/v1/reports/{id}/html", get_report_html, tags=("reports",), tenants=True,
                     summary="A broadcast's report as a self-contained HTML page with charts")]
