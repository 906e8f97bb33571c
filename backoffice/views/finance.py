"""Finance: refunds, the ledger's trial balance and the period report."""

from __future__ import annotations

from datetime import date

import aiohttp_jinja2
from aiohttp import web

from backoffice.keys import CLOCK, ZONE
from backoffice.params import query_date, query_int
from backoffice.security import require_roles
from domain.returns import Role
from services.finance import ledger_report, list_refunds, period_report

routes = web.RouteTableDef()


@routes.get("/finance", name="finance")
@aiohttp_jinja2.template("finance.html")
async def show_refunds(request: web.Request) -> dict[str, object]:
    """Show the refunds between two days, newest first."""
    require_roles(request, Role.FINANCE)
    since, until = query_date(request.query, "since"), query_date(request.query, "until")
    before = query_int(request.query, "before")
    page = await list_refunds(since, until, zone=request.app[ZONE], before=before)
    return {"page": page, "since": since, "until": until}


@routes.get("/finance/ledger", name="finance_ledger")
@aiohttp_jinja2.template("finance_ledger.html")
async def show_ledger(request: web.Request) -> dict[str, object]:
    """Show the trial balance per account and whether it sums to zero."""
    require_roles(request, Role.FINANCE)
    return {"ledger": await ledger_report()}


def _this_month(request: web.Request) -> tuple[date, date]:
    today = request.app[CLOCK].now().astimezone(request.app[ZONE]).date()
    return today.replace(day=1), today


@routes.get("/finance/report", name="finance_report")
@aiohttp_jinja2.template("finance_report.html")
async def show_period_report(request: web.Request) -> dict[str, object]:
    """Show refunds, fees, write-offs and exchange differences between two days."""
    require_roles(request, Role.FINANCE)
    first, today = _this_month(request)
    since = query_date(request.query, "since") or first
    until = query_date(request.query, "until") or today
    if until < since:
        raise web.HTTPBadRequest(text="the period ends before it starts")
    return {"report": await period_report(since, until, zone=request.app[ZONE])}
