"""Finance: refunds, the ledger's trial balance and the period report."""

from __future__ import annotations

from datetime import date

import aiohttp_jinja2
from aiohttp import web

from backoffice.keys import CLOCK, ZONE
from backoffice.params import query_cursor, typed_days
from backoffice.refusals import refusal_of
from backoffice.security import require_roles
from domain.errors import DomainError
from domain.returns import Role
from services.finance import ledger_report, list_refunds, period_report

routes = web.RouteTableDef()


def _typed(request: web.Request) -> dict[str, str]:
    return {name: request.query.get(name, "")[:20] for name in ("since", "until")}


def _refused(request: web.Request, template: str, error: DomainError) -> web.StreamResponse:
    """The page's date form again as it was typed, with why it was refused (400)."""
    context = {"typed": _typed(request), "refusal": refusal_of(error.code, error.params)}
    context |= {"page": None, "report": None}
    response = aiohttp_jinja2.render_template(template, request, context)
    response.set_status(400)
    return response


@routes.get("/finance", name="finance")
async def show_refunds(request: web.Request) -> web.StreamResponse:
    """Show the refunds between two days, newest first."""
    require_roles(request, Role.FINANCE)
    try:
        since, until = typed_days(request.query)
    except DomainError as error:
        return _refused(request, "finance.html", error)
    before = query_cursor(request.query, "before")
    page = await list_refunds(since, until, zone=request.app[ZONE], before=before)
    context = {"page": page, "typed": _typed(request), "refusal": None}
    return aiohttp_jinja2.render_template("finance.html", request, context)


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
async def show_period_report(request: web.Request) -> web.StreamResponse:
    """Show refunds, fees, write-offs and exchange differences between two days."""
    require_roles(request, Role.FINANCE)
    first, today = _this_month(request)
    try:
        since, until = typed_days(request.query, first, today)
    except DomainError as error:
        return _refused(request, "finance_report.html", error)
    report = await period_report(since or first, until or today, zone=request.app[ZONE])
    typed = {"since": str(report.since), "until": str(report.until)}
    context = {"report": report, "typed": typed, "refusal": None}
    return aiohttp_jinja2.render_template("finance_report.html", request, context)
