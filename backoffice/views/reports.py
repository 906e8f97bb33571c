"""The reports page: a report as a chart and its table, the findings, CSV/XLSX exports."""

from __future__ import annotations

from datetime import date, datetime

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiMapping

from backoffice.charts import chart_for
from backoffice.i18n import reason_names, words_for
from backoffice.keys import CLOCK, ZONE
from backoffice.refusals import refusal_of
from backoffice.report_words import (
    cell,
    describe,
    finding_link,
    note_text,
    report_query,
    typed_report,
)
from backoffice.security import require_roles
from domain.errors import DomainError, ValidationError
from domain.returns import Role
from services.findings import dashboard_findings, find_findings
from services.report_files import to_csv, to_xlsx
from services.reports import DEFAULT_MONTHS, REPORTS, TITLES, Period, ReportFilter, build_report

routes = web.RouteTableDef()
ROLES = (Role.REVIEWER, Role.FINANCE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month(query: MultiMapping[str], name: str) -> date | None:
    raw = query.get(name, "").strip()
    try:
        return date.fromisoformat(raw if len(raw) > 7 else f"{raw}-01") if raw else None
    except ValueError:
        raise ValidationError("invalid_month", field=name, value=raw[:20]) from None


def report_request(
    query: MultiMapping[str], today: date, now: datetime | None = None
) -> tuple[str, ReportFilter]:
    """The report's name and filters (read at ``now``) from the query string: an unknown
    report is a 404, a bad month or period a ``ValidationError`` (its field and value in the
    params)."""
    name = query.get("report", "rate-by-month")
    if name not in REPORTS:
        raise web.HTTPNotFound()
    default = Period.ending(today, DEFAULT_MONTHS)
    first, last = _month(query, "from") or default.first, _month(query, "to") or default.last
    period = Period.between(first, last)
    channel, category = query.get("channel", "")[:32], query.get("category", "")[:100]
    return name, ReportFilter(period, channel.strip(), category.strip(), now)


def _today(request: web.Request) -> date:
    return request.app[CLOCK].now().astimezone(request.app[ZONE]).date()


def _refused_form(request: web.Request, error: DomainError) -> web.StreamResponse:
    """The report's form again as it was typed, with why it was refused (400)."""
    typed = {k: request.query.get(k, "")[:100] for k in ("report", "from", "to", "channel")}
    typed["category"] = request.query.get("category", "")[:100]
    refusal = refusal_of(error.code, error.params)
    context = {"titles": TITLES, "typed": typed, "refusal": refusal, "report": None}
    response = aiohttp_jinja2.render_template("reports.html", request, context)
    response.set_status(400)
    return response


@routes.get("/reports", name="reports")
async def show_reports(request: web.Request) -> web.StreamResponse:
    """Show one report as a chart over its table, with the period's findings."""
    require_roles(request, *ROLES)
    try:
        name, filters = report_request(request.query, _today(request), request.app[CLOCK].now())
    except DomainError as error:
        return _refused_form(request, error)
    reasons = await reason_names(request)
    report = (await build_report(name, filters)).named(reasons.names)
    words = words_for(request)
    context = {
        "report": report,
        "chart": chart_for(report, words.gettext(report.title), words),
        "cell": cell,
        "note_text": note_text,
        "findings": await find_findings(filters),
        "titles": TITLES,
        "typed": typed_report(name, filters),
        "refusal": None,
        "query": lambda **extra: report_query(name, filters, **extra),
        "describe": describe,
        "finding_link": finding_link,
        "reason_names": reasons,
    }
    return aiohttp_jinja2.render_template("reports.html", request, context)


@routes.get("/reports/export", name="reports_export")
async def export_report(request: web.Request) -> web.StreamResponse:
    """Send the report as CSV or XLSX: the page's words, its figures plain (12.50, 2026-07)."""
    require_roles(request, *ROLES)
    try:
        name, filters = report_request(request.query, _today(request), request.app[CLOCK].now())
    except DomainError:
        raise web.HTTPBadRequest(text="the period is not valid") from None
    report = (await build_report(name, filters)).named((await reason_names(request)).names)
    words = words_for(request)
    stem = f"{name}-{filters.period.first:%Y-%m}-{filters.period.last:%Y-%m}"
    if request.query.get("format") == "xlsx":
        body, kind, suffix = to_xlsx(report, words.gettext, words.ngettext), XLSX, "xlsx"
    else:
        text = "\ufeff" + to_csv(report, words.gettext)
        body, kind, suffix = text.encode(), "text/csv; charset=utf-8", "csv"
    return web.Response(
        body=body,
        headers={
            "Content-Type": kind,
            "Content-Disposition": f'attachment; filename="{stem}.{suffix}"',
            "Cache-Control": "no-store",
        },
    )


async def dashboard_findings_context(request: web.Request) -> dict[str, object]:
    """The dashboard's findings (last three months), for those who may open the reports."""
    if not request["actor"].roles & {*ROLES, Role.ADMIN}:
        return {"findings": None}
    return {
        "findings": await dashboard_findings(_today(request)),
        "describe": describe,
        "finding_link": finding_link,
        "reason_names": await reason_names(request),
    }
