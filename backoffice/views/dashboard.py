"""The dashboard: open work per status, SLA breaches, the work waiting per role, low stock."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from backoffice.keys import CLOCK, ZONE
from backoffice.messages import SLA_STAGES, WORK_NAMES, WORK_ROLES
from backoffice.views.reports import dashboard_findings_context
from services.escalations import sla_breaches
from services.queue import dashboard
from services.work import waiting_work

routes = web.RouteTableDef()


@routes.get("/", name="dashboard")
@aiohttp_jinja2.template("dashboard.html")
async def show_dashboard(request: web.Request) -> dict[str, object]:
    """Show the open requests, those past their SLA, this person's work and low stock."""
    now = request.app[CLOCK].now()
    return {
        "board": await dashboard(),
        "breaches": await sla_breaches(now),
        "work": await waiting_work(request["actor"]),
        "today": now.astimezone(request.app[ZONE]).date(),
        "names": {"stages": SLA_STAGES, "roles": WORK_ROLES, "work": WORK_NAMES},
        **await dashboard_findings_context(request),
    }
