"""Words of the reports page: report titles come from the service; findings are worded here.

A finding is a key with parameters; its sentence is an English msgid with ``{name}``
placeholders, translated when the page is rendered, its numbers formatted in the page's
locale (shares as percentages). The reports' cells and notes are shown in the page's formats
too (``cell``, ``note_text``): money with its currency, grouped numbers, months by name. The
exports and the command keep the service's plain figures (``12.50``, ``2026-07``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_skeleton

from backoffice.i18n import Words
from backoffice.messages import N_, STATUSES
from services.findings import Finding
from services.reports import Column, Note, ReportFilter

FINDINGS = {
    "stage_breaches_sla": N_(
        "A share ({share}) of the requests that left “{stage}” took longer than its SLA of"
        " {sla_hours} hours ({breaches} of {visits})."
    ),
    "product_above_category": N_(
        "{sku} ({product}) is returned at {rate}, at least twice as often as its category"
        " {category} ({category_rate}): {returned} units came back."
    ),
    "reason_grew": N_(
        "Returns for “{reason}” grew from {before} units in {previous_month} to {after} in {month}."
    ),
    "customer_returns_often": N_(
        "Customer {name} (#{customer_id}) opened {requests} requests and returned a share of"
        " what they bought ({rate}); the shop's rate is {shop_rate}."
    ),
}


def _number(value: object, words: Words) -> str:
    """A share (a Decimal percentage) as a percentage, a count as a number, else as it is."""
    if isinstance(value, Decimal):
        return words.percent(value)
    if isinstance(value, int):
        return words.number(value)
    return "—" if value is None else str(value)


def describe(finding: Finding, words: Words, reason_name: Callable[[str], str]) -> str:
    """The finding as a sentence in the page's language, a reason named by ``reason_name``."""
    params = {name: _number(value, words) for name, value in finding.params.items()}
    if "stage" in params:
        params["stage"] = words.gettext(STATUSES.get(params["stage"], params["stage"]))
    if "reason" in params:
        params["reason"] = reason_name(params["reason"])
    return words.gettext(FINDINGS[finding.key]).format(**params)


def month_name(month: date, words: Words) -> str:
    """A month as the page's locale writes it: "Jul 2026", "2026年7月", "июль 2026 г."."""
    return format_skeleton("yMMM", month, locale=words.locale)


def _figure(value: Any, words: Words) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return words.when(value)
    if isinstance(value, date):
        return month_name(value, words)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return words.number(value)
    return str(value)


# How the page shows a figure of each column kind (services.reports.Column.kind).
FIGURES: Mapping[str, Callable[[Any, Words], str]] = {
    "month": lambda value, words: month_name(date.fromisoformat(f"{value}-01"), words),
    # the shop's wall time, as services.reports writes it
    "time": lambda value, words: words.when(
        datetime.fromisoformat(value).replace(tzinfo=words.zone)
    ),
    "money": lambda value, words: words.money(value),
    "percent": lambda value, words: words.percent(value),
    "count": lambda value, words: words.number(value),
    "hours": lambda value, words: words.number(value),
    "ratio": lambda value, words: words.number(value),
    "score": lambda value, words: words.number(value),
}


def cell(column: Column, value: Any, words: Words) -> str:
    """A report's cell on the page: a code as its word, a figure in the page's formats."""
    if value is None:
        return "—"
    coded = isinstance(value, str) and (value in column.names or value in column.words)
    figure = FIGURES.get(column.kind)
    if coded or figure is None:
        return column.show(value, words.gettext)
    return figure(value, words)


def note_text(note: Note, words: Words) -> str:
    """A report's note in the page's language, its figures in the page's formats."""
    return note.render(words.gettext, words.ngettext, lambda value: _figure(value, words))


def typed_report(name: str, filters: ReportFilter) -> dict[str, str]:
    """The report form's fields as they open report ``name`` with these filters."""
    return {
        "report": name,
        "from": f"{filters.period.first:%Y-%m}",
        "to": f"{filters.period.last:%Y-%m}",
        "channel": filters.channel,
        "category": filters.category,
    }


def report_query(name: str, filters: ReportFilter, **extra: str) -> str:
    """The query string that opens report ``name`` with these filters."""
    fields: Mapping[str, str] = {**typed_report(name, filters), **extra}
    return urlencode({k: v for k, v in fields.items() if v})


def finding_link(finding: Finding) -> str:
    """Where the finding's figures are: its report on the reports page."""
    return "/reports?" + report_query(finding.report, finding.filters)
