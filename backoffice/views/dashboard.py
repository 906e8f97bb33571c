"""The dashboard: open work per status and low stock."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from backoffice.views.reports import dashboard_findings_context
from services.queue import dashboard

routes = web.RouteTableDef()


@routes.get("/", name="dashboard")
@aiohttp_jinja2.template("dashboard.html")
async def show_dashboard(request: web.Request) -> dict[str, object]:
    """Show the open requests per status and the products running low."""
    return {"board": await dashboard(), **await dashboard_findings_context(request)}
