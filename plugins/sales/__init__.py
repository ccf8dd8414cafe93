"""Sales per room: every order line of the room (platforms' and shops'), its GMV per currency net of
refunds, per product and per minute, live at ``GET /api/v1/rooms/<room>/sales`` and on the console."""

from __future__ import annotations

from typing import Any

from hub.hookspecs import hookimpl
from hub.specs import WebRoute

PLUGIN_NAME = "sales"


@hookimpl
async def livehub_startup(hub: Any) -> None:
    from plugins.sales.service import SalesService

    await SalesService(hub).start()


@hookimpl
async def livehub_shutdown(hub: Any) -> None:
    from plugins.sales.service import SalesService

    service = hub.slots.get(SalesService)
    if service is not None:
        await service.stop()


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    from plugins.sales.service import get_sales

    return [WebRoute("GET", "/api/v1/rooms/{room}/sales", get_sales, tags=("rooms",),
                     summary="The room's orders, units and GMV per currency net of refunds, per product and "
                             "per minute, and the latest order lines",
                     responses={"200": "{room, orders, refunded_orders, units, gmv: {currency: amount}, refunds, "
                                       "unpriced_lines, last_minute_units, products, per_minute, recent}",
                                "404": "No such room"})]
