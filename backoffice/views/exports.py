"""CSV and XLSX exports of the queue, the stock levels and the refunds."""

from __future__ import annotations

from aiohttp import web

from backoffice.exports import stream_csv, worded, xlsx_response
from backoffice.i18n import reason_names, words_for
from backoffice.keys import ZONE
from backoffice.params import query_date
from backoffice.security import require_roles
from backoffice.views.returns import queue_filter
from domain.returns import Role
from services.exports import Table, queue_table, refunds_table, stock_table

routes = web.RouteTableDef()
R, W, F = Role.REVIEWER, Role.WAREHOUSE, Role.FINANCE


async def _send(request: web.Request, table: Table, suffix: str) -> web.StreamResponse:
    shown = worded(table, words_for(request), await reason_names(request))
    return await (stream_csv if suffix == "csv" else xlsx_response)(request, shown)


def _queue(request: web.Request) -> Table:
    require_roles(request, R, W, F)
    return queue_table(queue_filter(request), zone=request.app[ZONE])


def _stock(request: web.Request) -> Table:
    require_roles(request, W)
    return stock_table()


def _refunds(request: web.Request) -> Table:
    require_roles(request, F)
    since, until = query_date(request.query, "since"), query_date(request.query, "until")
    return refunds_table(since, until, zone=request.app[ZONE])


FORMAT = "{fmt:csv|xlsx}"


@routes.get(f"/returns/export.{FORMAT}", name="queue_export")
async def export_queue(request: web.Request) -> web.StreamResponse:
    """Download the filtered queue as CSV or XLSX."""
    return await _send(request, _queue(request), request.match_info["fmt"])


@routes.get(f"/inventory/export.{FORMAT}", name="inventory_export")
async def export_stock(request: web.Request) -> web.StreamResponse:
    """Download the stock levels as CSV or XLSX."""
    return await _send(request, _stock(request), request.match_info["fmt"])


@routes.get(f"/finance/refunds/export.{FORMAT}", name="refunds_export")
async def export_refunds(request: web.Request) -> web.StreamResponse:
    """Download the refunds between two days as CSV or XLSX."""
    return await _send(request, _refunds(request), request.match_info["fmt"])
