"""The dashboard: open work per status, SLA breaches, the work waiting per role, low stock,
and charts of the open requests and of the returns of the last months."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup

from backoffice.charts import bar_chart, chart_for
from backoffice.i18n import Words, words_for
from backoffice.keys import CLOCK, ZONE
from backoffice.messages import N_, SLA_STAGES, STATUSES, WORK_NAMES, WORK_ROLES
from backoffice.views.reports import ROLES, dashboard_findings_context
from domain.returns import Role
from services.escalations import sla_breaches
from services.queue import dashboard
from services.reports import Chart, Period, ReportFilter, rate_by_month
from services.work import waiting_work

routes = web.RouteTableDef()
CHART_MONTHS = 6
OPEN_TITLE = N_("Open requests per status")
MONTHS_TITLE = N_("Returned units per month")


@routes.get("/", name="dashboard")
@aiohttp_jinja2.template("dashboard.html")
async def show_dashboard(request: web.Request) -> dict[str, object]:
    """Show the open requests, those past their SLA, this person's work, low stock, charts."""
    now = request.app[CLOCK].now()
    board, words = await dashboard(), words_for(request)
    today = now.astimezone(request.app[ZONE]).date()
    may_report = bool(request["actor"].roles & {*ROLES, Role.ADMIN})
    return {
        "board": board,
        "breaches": await sla_breaches(now),
        "work": await waiting_work(request["actor"]),
        "today": today,
        "names": {"stages": SLA_STAGES, "roles": WORK_ROLES, "work": WORK_NAMES},
        "charts": {
            "open": _open_chart(board.open_by_status, words),
            "months": await _months_chart(now, today, words) if may_report else None,
        },
        **await dashboard_findings_context(request),
    }


def _open_chart(counts: dict[str, int], words: Words) -> Markup:
    """A bar per open status, from the counts the tiles show (no other query)."""
    labels = [words.gettext(STATUSES[status]) for status in counts]
    values = [Decimal(count) for count in counts.values()]
    shown = [words.number(count) for count in counts.values()]
    top = words.number(max([1, *counts.values()]))
    return bar_chart(labels, values, words.gettext(OPEN_TITLE), shown=shown, top=top)


async def _months_chart(now: datetime, today: date, words: Words) -> Markup | None:
    """Returned units of the last months: the reports' rollup-based month report, charted."""
    period = Period.ending(today, CHART_MONTHS)
    report = await rate_by_month(ReportFilter(period, now=now))
    report = replace(report, chart=Chart("bar", "month", "returned"))
    return chart_for(report, words.gettext(MONTHS_TITLE), words)
