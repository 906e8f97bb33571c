"""Reports (SPEC §8): what comes back, why, how long it takes and what it costs.

Every report is a table (columns and rows of plain values) with an optional chart and
notes, built by aggregate SQL over the rollups (``services.rollups``); only the recent
survey comments read a base table, and only the newest few rows of it. The page, the
export and the ``returndesk report`` command all call ``build_report``, so they show the
same figures. One report sums every customer of the period, too many rows for a page:
``frequent-returners`` is read from a snapshot that a cluster job stores ahead for the
standard periods (``services.report_snapshots``), and computed when asked for any other.

Conventions, the same in every report:

- A period is whole months in the shop's time zone: ``from``/``to`` dates name the first
  and the last month.
- Sold units count in the month of the order; returned units (what customers asked to
  return in requests that are not cancelled or rejected) in the month the request was
  opened. Return rate = returned units / sold units, in percent with two decimals.
- A request spanning several products counts once, with the product of its first line.
- Filters: channel applies to every report; category to the unit reports (rates, problem
  products, exchange share) only — time in stages, money, surveys and customers are per
  request or per customer and are not split by category.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from domain.errors import NotFound, ValidationError
from domain.returns import Status
from models import ReportSnapshot, Survey
from services.policies import load_policy_book
from services.rollups import as_month, fetch

__all__ = [
    "ALPHA",
    "DEFAULT_MONTHS",
    "MAX_MONTHS",
    "REPORTS",
    "SNAPSHOT_MINUTES",
    "TITLES",
    "Chart",
    "Column",
    "Note",
    "Period",
    "Report",
    "ReportFilter",
    "Returners",
    "add_months",
    "build_report",
    "count_frequent_returners",
    "english_plural",
    "ngettext",
    "plain",
    "smooth",
    "snapshot_frequent_returners",
]

MAX_MONTHS = 60
DEFAULT_MONTHS = 6  # the reports page's period when none is chosen: the last six months
ALPHA = Decimal("0.5")  # the smoothing constant of the trend's forecast
TOP_PRODUCTS = 10
RECENT_COMMENTS = 20
FREQUENT_MIN_REQUESTS = 3
FREQUENT_RATE_MULTIPLE = 2
FREQUENT_LIMIT = 20
SNAPSHOT_MINUTES = 10  # how often the cluster job refreshes the report snapshots
CENT = Decimal("0.01")


def N_(text: str) -> str:
    """Mark ``text`` for the back-office catalog (it is translated when a page shows it)."""
    return text


# Each report's title, an English msgid: the heading of the report and the label of its tab.
TITLES: Mapping[str, str] = {
    "rate-by-month": N_("Return rate by month"),
    "rate-by-product": N_("Return rate by product"),
    "rate-by-category": N_("Return rate by category"),
    "rate-by-channel": N_("Return rate by channel"),
    "rate-by-reason": N_("Returns by reason"),
    "problem-products": N_("Top problem products"),
    "stage-times": N_("Time in each stage"),
    "money": N_("Refunds, fees and write-offs"),
    "exchange-share": N_("Exchange share"),
    "surveys": N_("Survey scores"),
    "survey-comments": N_("Recent survey comments"),
    "frequent-returners": N_("Customers who return unusually often"),
    "trend": N_("Monthly trend and forecast"),
}

# Stages in the order a request meets them: the status, its name (the msgid the back-office
# names the status with, in backoffice/messages.py) and the policy field holding its SLA.
STAGES: tuple[tuple[Status, str, str | None], ...] = (
    (Status.SUBMITTED, N_("Submitted"), "sla_review_hours"),
    (Status.NEEDS_INFO, N_("Needs information"), None),
    (Status.APPROVED, N_("Approved"), None),
    (Status.RECEIVED, N_("Received"), "sla_inspection_hours"),
    (Status.INSPECTED, N_("Inspected"), "sla_refund_hours"),
    (Status.REFUNDED, N_("Refunded"), None),
    (Status.EXCHANGED, N_("Exchanged"), None),
)
# Codes in cells: the money report's last row (in its month column) and the trend's points.
TOTAL, ACTUAL, PARTIAL, FORECAST = "total", "actual", "partial", "forecast"
EARLIEST = date(1, 1, 1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months, from ``first`` to ``last`` (both the first day of their month)."""

    first: date
    last: date

    @classmethod
    def between(cls, since: date, until: date) -> Period:
        first, last = since.replace(day=1), until.replace(day=1)
        if last < first:
            raise ValidationError("invalid_period")
        if len(_months(first, last)) > MAX_MONTHS:
            raise ValidationError("period_too_long", max=MAX_MONTHS)
        return cls(first, last)

    @classmethod
    def ending(cls, moment: date, months: int) -> Period:
        last = moment.replace(day=1)
        return cls(add_months(last, 1 - months), last)

    @property
    def months(self) -> list[date]:
        return _months(self.first, self.last)

    def __str__(self) -> str:
        return f"{self.first:%Y-%m} – {self.last:%Y-%m}"


def _months(first: date, last: date) -> list[date]:
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [add_months(first, n) for n in range(max(count, 0))]


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers. ``now``, when given, is the instant the report is read at: its
    month in the shop is not over, and the trend shows it as partial (no ``now``: every month
    of the period is taken as over)."""

    period: Period
    channel: str = ""
    category: str = ""
    now: datetime | None = None


@dataclass(frozen=True)
class Column:
    """A column: its key, its English label (a msgid) and how to show its values.

    A value that is a code (a stage, "total") stays a code in the data; ``words`` holds the
    English word of each such code (a msgid), which people read instead, translated. Reason
    codes (``reasons``) stay codes too, but their words are the shop's own labels, kept per
    language: ``names`` holds each code's label in the reader's language, as given by
    ``Report.named`` (no names: people read the codes).
    """

    key: str
    label: str
    kind: str = "text"  # text | month | count | percent | money | hours | ratio | score | time
    words: Mapping[str, str] = field(default_factory=dict)
    reasons: bool = False
    names: Mapping[str, str] = field(default_factory=dict)

    def show(self, value: Any, gettext: Callable[[str], str] = str) -> str:
        """The value as people read it: a code as its word, nothing as empty text."""
        if value is None:
            return ""
        if value in self.names:
            return self.names[value]
        word = self.words.get(value)
        return gettext(word) if word else str(value)


@dataclass(frozen=True)
class Chart:
    """Which column names the bars or points and which one gives their height."""

    kind: str  # bar | line
    label: str
    value: str
    marker: str = ""  # a column whose value "forecast" marks a forecast point


def plain(value: Any) -> str:
    """A note's parameter as the files and the command print it: a month as YYYY-MM, a time
    as YYYY-MM-DD HH:MM, nothing as a dash, a number with its places (``3.75``)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    return str(value)


def english_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """Mark a sentence and its plural for the catalog, as ``N_`` marks one (Babel extracts
    calls named ngettext): a ``Note`` keeps both and picks the form for its count."""
    return singular, plural


@dataclass(frozen=True)
class Note:
    """A sentence under the report: an English msgid with ``{name}`` parameters.

    The parameters are values (numbers, months as dates, times), worded when the note is
    rendered: ``plain`` for files and the command, the reader's formats on the page. With a
    ``plural`` msgid, the parameter named ``count`` chooses the form (``ngettext``).
    """

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str = ""
    count: str = ""

    def render(
        self,
        gettext: Callable[[str], str] = str,
        ngettext: Callable[[str, str, int], str] = english_plural,
        shown: Callable[[Any], str] = plain,
    ) -> str:
        if self.plural:
            template = ngettext(self.text, self.plural, int(self.params[self.count]))
        else:
            template = gettext(self.text)
        return template.format(**{name: shown(value) for name, value in self.params.items()})


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    filters: ReportFilter
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    chart: Chart | None = None
    notes: tuple[Note, ...] = ()

    def records(self) -> list[dict[str, Any]]:
        """Each row as a mapping of column key to value."""
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]

    def values(self, key: str) -> list[Any]:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]

    def named(self, reason_names: Mapping[str, str]) -> Report:
        """The report for one reader: its reason codes read as ``reason_names`` (code → the
        reason's label in the reader's language); the rows keep the codes."""
        columns = tuple(replace(c, names=reason_names) if c.reasons else c for c in self.columns)
        return replace(self, columns=columns)


Builder = Callable[[ReportFilter], Awaitable[Report]]


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` as a percentage of ``whole`` with two decimals; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


def _money(cents: Any) -> Decimal:
    return (Decimal(int(cents or 0)) / 100).quantize(CENT)


def _int(value: Any) -> int:
    return int(value or 0)


def _unit_filter(filters: ReportFilter, alias: str = "rr") -> tuple[str, dict[str, Any]]:
    """The WHERE condition on rollup_return for the period, channel and category."""
    conditions = [f"{alias}.month BETWEEN :first AND :last"]
    params: dict[str, Any] = {"first": filters.period.first, "last": filters.period.last}
    if filters.channel:
        conditions.append(f"{alias}.channel = :channel")
        params["channel"] = filters.channel
    if filters.category:
        conditions.append(
            f"{alias}.product_id IN (SELECT id FROM product WHERE category = :category)"
        )
        params["category"] = filters.category
    return " AND ".join(conditions), params


def _month_filter(filters: ReportFilter, table: str) -> tuple[str, dict[str, Any]]:
    """The WHERE condition on a rollup without products: period and channel."""
    conditions = [f"{table}.month BETWEEN :first AND :last"]
    params: dict[str, Any] = {"first": filters.period.first, "last": filters.period.last}
    if filters.channel:
        conditions.append(f"{table}.channel = :channel")
        params["channel"] = filters.channel
    return " AND ".join(conditions), params


RATE_COLUMNS = (
    Column("sold", N_("Sold units"), "count"),
    Column("returned", N_("Returned units"), "count"),
    Column("rate", N_("Return rate (%)"), "percent"),
)


# Return rates --------------------------------------------------------------------------


async def _monthly_units(filters: ReportFilter) -> dict[date, tuple[int, int]]:
    where, params = _unit_filter(filters)
    rows = await fetch(
        "SELECT rr.month, SUM(rr.sold_units) AS sold, SUM(rr.returned_units) AS returned"
        f" FROM rollup_return rr WHERE {where} GROUP BY rr.month",
        **params,
    )
    return {as_month(r["month"]): (_int(r["sold"]), _int(r["returned"])) for r in rows}


async def rate_by_month(filters: ReportFilter) -> Report:
    units = await _monthly_units(filters)
    rows = []
    for month in filters.period.months:
        sold, returned = units.get(month, (0, 0))
        rows.append((f"{month:%Y-%m}", sold, returned, percent(returned, sold)))
    return Report(
        "rate-by-month",
        TITLES["rate-by-month"],
        filters,
        (Column("month", N_("Month"), "month"), *RATE_COLUMNS),
        tuple(rows),
        Chart("bar", "month", "rate"),
    )


async def _rate_by(filters: ReportFilter, name: str, title: str, dimension: str) -> Report:
    where, params = _unit_filter(filters)
    rows = await fetch(
        f"SELECT {dimension} AS label, SUM(rr.sold_units) AS sold,"
        " SUM(rr.returned_units) AS returned FROM rollup_return rr"
        f" JOIN product p ON p.id = rr.product_id WHERE {where} GROUP BY {dimension}"
        " HAVING SUM(rr.sold_units) > 0 OR SUM(rr.returned_units) > 0 ORDER BY 1",
        **params,
    )
    label = {"p.category": ("category", N_("Category")), "rr.channel": ("channel", N_("Channel"))}
    key, heading = label[dimension]
    return Report(
        name,
        title,
        filters,
        (Column(key, heading), *RATE_COLUMNS),
        tuple(
            (r["label"], _int(r["sold"]), _int(r["returned"]), percent(r["returned"], r["sold"]))
            for r in rows
        ),
        Chart("bar", key, "rate"),
    )


async def rate_by_category(filters: ReportFilter) -> Report:
    return await _rate_by(filters, "rate-by-category", TITLES["rate-by-category"], "p.category")


async def rate_by_channel(filters: ReportFilter) -> Report:
    return await _rate_by(filters, "rate-by-channel", TITLES["rate-by-channel"], "rr.channel")


async def rate_by_product(filters: ReportFilter) -> Report:
    where, params = _unit_filter(filters)
    rows = await fetch(
        "SELECT p.sku, p.name, p.category, SUM(rr.sold_units) AS sold,"
        " SUM(rr.returned_units) AS returned FROM rollup_return rr"
        f" JOIN product p ON p.id = rr.product_id WHERE {where}"
        " GROUP BY p.id, p.sku, p.name, p.category"
        " HAVING SUM(rr.sold_units) > 0 OR SUM(rr.returned_units) > 0 ORDER BY p.sku",
        **params,
    )
    return Report(
        "rate-by-product",
        TITLES["rate-by-product"],
        filters,
        (
            Column("sku", N_("SKU")),
            Column("product", N_("Product")),
            Column("category", N_("Category")),
            *RATE_COLUMNS,
        ),
        tuple(
            (
                r["sku"],
                r["name"],
                r["category"],
                _int(r["sold"]),
                _int(r["returned"]),
                percent(r["returned"], r["sold"]),
            )
            for r in rows
        ),
        Chart("bar", "sku", "rate"),
    )


async def rate_by_reason(filters: ReportFilter) -> Report:
    where, params = _unit_filter(filters)
    rows = await fetch(
        "SELECT rr.reason, SUM(rr.returned_units) AS returned, SUM(rr.requests) AS requests"
        f" FROM rollup_return rr WHERE {where} AND rr.reason <> '' GROUP BY rr.reason"
        " HAVING SUM(rr.returned_units) > 0 ORDER BY 2 DESC, 1",
        **params,
    )
    totals = await fetch(
        "SELECT SUM(rr.sold_units) AS sold, SUM(rr.returned_units) AS returned"
        f" FROM rollup_return rr WHERE {where}",
        **params,
    )
    sold, returned = _int(totals[0]["sold"]), _int(totals[0]["returned"])
    return Report(
        "rate-by-reason",
        TITLES["rate-by-reason"],
        filters,
        (
            Column("reason", N_("Reason"), reasons=True),
            Column("requests", N_("Requests"), "count"),
            Column("returned", N_("Returned units"), "count"),
            Column("share", N_("Share of returned units (%)"), "percent"),
            Column("rate", N_("Return rate (%)"), "percent"),
        ),
        tuple(
            (
                r["reason"],
                _int(r["requests"]),
                _int(r["returned"]),
                percent(r["returned"], returned),
                percent(r["returned"], sold),
            )
            for r in rows
        ),
        Chart("bar", "reason", "returned"),
        (Note(N_("Return rate here is units returned for the reason / all units sold."), {}),),
    )


async def problem_products(filters: ReportFilter) -> Report:
    """The products with the most returns beyond what their category's rate predicts; a
    product returned at or below its category's rate is no problem and is not listed."""
    where, params = _unit_filter(filters)
    rows = await fetch(
        "WITH p AS (SELECT rr.product_id, SUM(rr.sold_units) AS sold,"
        f" SUM(rr.returned_units) AS returned FROM rollup_return rr WHERE {where}"
        " GROUP BY rr.product_id),"
        " c AS (SELECT pr.category, SUM(p.sold) AS sold, SUM(p.returned) AS returned"
        " FROM p JOIN product pr ON pr.id = p.product_id GROUP BY pr.category),"
        " r AS (SELECT rr.product_id, rr.reason, SUM(rr.returned_units) AS units,"
        " ROW_NUMBER() OVER (PARTITION BY rr.product_id"
        " ORDER BY SUM(rr.returned_units) DESC, rr.reason) AS n"
        f" FROM rollup_return rr WHERE {where} AND rr.reason <> ''"
        " GROUP BY rr.product_id, rr.reason)"
        " SELECT pr.sku, pr.name, pr.category, p.sold, p.returned,"
        " c.sold AS category_sold, c.returned AS category_returned,"
        " r.reason, r.units AS reason_units"
        " FROM p JOIN product pr ON pr.id = p.product_id"
        " JOIN c ON c.category = pr.category"
        " LEFT JOIN r ON r.product_id = p.product_id AND r.n = 1"
        # returned above the category's rate: returned / sold > category returned / sold
        " WHERE p.returned > 0"
        " AND (COALESCE(c.sold, 0) = 0 OR p.returned * c.sold > p.sold * c.returned)"
        " ORDER BY p.returned - COALESCE(p.sold * c.returned * 1.0 / NULLIF(c.sold, 0), 0) DESC,"
        " p.returned DESC,"
        " pr.sku LIMIT :limit",
        limit=TOP_PRODUCTS,
        **params,
    )
    return Report(
        "problem-products",
        TITLES["problem-products"],
        filters,
        (
            Column("sku", N_("SKU")),
            Column("product", N_("Product")),
            Column("category", N_("Category")),
            Column("returned", N_("Returned units"), "count"),
            Column("rate", N_("Return rate (%)"), "percent"),
            Column("category_rate", N_("Category return rate (%)"), "percent"),
            Column("excess", N_("Units above the category's rate"), "ratio"),
            Column("main_reason", N_("Main reason"), reasons=True),
            Column("main_reason_share", N_("Main reason's share (%)"), "percent"),
        ),
        tuple(_problem_row(r) for r in rows),
        Chart("bar", "sku", "excess"),
        (
            Note(
                N_(
                    "Ranked by units returned above what the category's return rate predicts"
                    " for the units sold."
                ),
                {},
            ),
        ),
    )


def _problem_row(r: Mapping[str, Any]) -> tuple[Any, ...]:
    sold, returned = _int(r["sold"]), _int(r["returned"])
    category_sold, category_returned = _int(r["category_sold"]), _int(r["category_returned"])
    expected = Decimal(sold * category_returned) / category_sold if category_sold else Decimal(0)
    return (
        r["sku"],
        r["name"],
        r["category"],
        returned,
        percent(returned, sold),
        percent(category_returned, category_sold),
        (returned - expected).quantize(Decimal("0.1"), ROUND_HALF_UP),
        r["reason"] or "",
        percent(_int(r["reason_units"]), returned),
    )


# Time in stages ------------------------------------------------------------------------


async def stage_times(filters: ReportFilter) -> Report:
    where, params = _month_filter(filters, "s")
    policy = (await load_policy_book()).resolve(filters.channel)
    slas = {str(s): int(getattr(policy, f)) for s, _name, f in STAGES if f is not None}
    sla_case = " ".join(f"WHEN '{s}' THEN {h}" for s, h in slas.items())
    rows = await fetch(
        "WITH h AS (SELECT s.stage, s.hours, SUM(s.visits) AS v, SUM(s.seconds) AS secs"
        f" FROM rollup_stage s WHERE {where} GROUP BY s.stage, s.hours),"
        " c AS (SELECT h.stage, h.hours, SUM(h.v) OVER (PARTITION BY h.stage ORDER BY h.hours)"
        " AS cum, SUM(h.v) OVER (PARTITION BY h.stage) AS total FROM h)"
        " SELECT h.stage, SUM(h.v) AS visits, SUM(h.secs) AS secs,"
        f" SUM(CASE WHEN h.hours > (CASE h.stage {sla_case} END) THEN h.v ELSE 0 END)"
        " AS breaches,"
        " (SELECT MIN(c.hours) FROM c WHERE c.stage = h.stage AND c.cum * 10 >= c.total * 9)"
        " AS p90 FROM h GROUP BY h.stage",
        **params,
    )
    found = {r["stage"]: r for r in rows}
    table = []
    for stage, _name, _field in STAGES:
        row = found.get(str(stage))
        visits = _int(row["visits"]) if row else 0
        sla = slas.get(str(stage))
        breaches = None if sla is None else _int(row["breaches"] if row else 0)
        table.append(
            (
                str(stage),
                sla,
                visits,
                _hours(row["secs"], visits) if row else None,
                _int(row["p90"]) if row else None,
                breaches,
                percent(breaches, visits) if breaches is not None else None,
            )
        )
    return Report(
        "stage-times",
        TITLES["stage-times"],
        filters,
        (
            Column("stage", N_("Stage"), words={str(s): name for s, name, _field in STAGES}),
            Column("sla_hours", N_("SLA (hours)"), "count"),
            Column("visits", N_("Times left"), "count"),
            Column("mean_hours", N_("Mean (hours)"), "hours"),
            Column("p90_hours", N_("90th percentile (hours)"), "count"),
            Column("breaches", N_("Over the SLA"), "count"),
            Column("breach_share", N_("Over the SLA (%)"), "percent"),
        ),
        tuple(table),
        Chart("bar", "stage", "mean_hours"),
        (
            Note(
                N_(
                    "Counted when a request leaves the stage, in the month it leaves. The 90th"
                    " percentile is in whole hours, rounded up (nearest rank)."
                ),
                {},
            ),
        ),
    )


def _hours(seconds: Any, visits: int) -> Decimal | None:
    if not visits:
        return None
    return (Decimal(_int(seconds)) / visits / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP)


# Money ---------------------------------------------------------------------------------

MONEY_SQL = (
    "SUM(CASE WHEN l.account = 'sales_returns' THEN l.debit_cents - l.credit_cents ELSE 0 END)"
    " AS accepted,"
    " SUM(CASE WHEN l.account IN ('cash', 'store_credit') AND l.type = 'refund'"
    " THEN l.credit_cents ELSE 0 END) AS refunds,"
    " SUM(CASE WHEN l.account = 'restocking_fees' THEN l.credit_cents - l.debit_cents"
    " ELSE 0 END) AS fees,"
    " SUM(CASE WHEN l.account = 'inventory_write_offs' THEN l.debit_cents - l.credit_cents"
    " ELSE 0 END) AS write_offs,"
    " SUM(CASE WHEN l.account = 'customer_prepayments' AND l.type = 'exchange'"
    " THEN l.credit_cents ELSE 0 END) AS exchange_paid,"
    " SUM(CASE WHEN l.account IN ('cash', 'store_credit') AND l.type = 'exchange'"
    " THEN l.credit_cents ELSE 0 END) AS exchange_refunded"
)
MONEY_KEYS = ("accepted", "refunds", "fees", "write_offs", "exchange_paid", "exchange_refunded")


async def money(filters: ReportFilter) -> Report:
    where, params = _month_filter(filters, "l")
    rows = await fetch(
        f"SELECT l.month, {MONEY_SQL} FROM rollup_ledger l WHERE {where} GROUP BY l.month",
        **params,
    )
    found = {as_month(r["month"]): r for r in rows}
    amounts = {
        m: [_money(found[m][k]) if m in found else _money(0) for k in MONEY_KEYS]
        for m in filters.period.months
    }
    totals = [sum((a[n] for a in amounts.values()), Decimal("0.00")) for n in range(6)]
    table = [(f"{m:%Y-%m}", *a) for m, a in amounts.items()]
    return Report(
        "money",
        TITLES["money"],
        filters,
        (
            Column("month", N_("Month"), "month", {TOTAL: N_("Total")}),
            Column("accepted", N_("Accepted returns (sales value)"), "money"),
            Column("refunds", N_("Refunds paid"), "money"),
            Column("fees", N_("Restocking fees"), "money"),
            Column("write_offs", N_("Write-offs (cost)"), "money"),
            Column("exchange_paid", N_("Exchange differences paid by customers"), "money"),
            Column("exchange_refunded", N_("Exchange differences refunded"), "money"),
        ),
        (*table, (TOTAL, *totals)),
        Chart("bar", "month", "refunds"),
        (Note(N_("From the ledger, in the month each entry was posted."), {}),),
    )


async def exchange_share(filters: ReportFilter) -> Report:
    where, params = _unit_filter(filters)
    rows = await fetch(
        "SELECT rr.month, SUM(rr.requests) AS requests, SUM(rr.exchange_requests) AS exchanges,"
        " SUM(rr.returned_units) AS units, SUM(rr.exchange_units) AS exchange_units"
        f" FROM rollup_return rr WHERE {where} GROUP BY rr.month",
        **params,
    )
    found = {as_month(r["month"]): r for r in rows}
    table = []
    for month in filters.period.months:
        r = found.get(month, {})
        requests, exchanges = _int(r.get("requests")), _int(r.get("exchanges"))
        units, exchange_units = _int(r.get("units")), _int(r.get("exchange_units"))
        table.append(
            (
                f"{month:%Y-%m}",
                requests,
                exchanges,
                percent(exchanges, requests),
                units,
                exchange_units,
                percent(exchange_units, units),
            )
        )
    return Report(
        "exchange-share",
        TITLES["exchange-share"],
        filters,
        (
            Column("month", N_("Month"), "month"),
            Column("requests", N_("Requests"), "count"),
            Column("exchanges", N_("Exchange requests"), "count"),
            Column("share", N_("Exchange share of requests (%)"), "percent"),
            Column("units", N_("Returned units"), "count"),
            Column("exchange_units", N_("Units exchanged"), "count"),
            Column("unit_share", N_("Exchange share of units (%)"), "percent"),
        ),
        tuple(table),
        Chart("bar", "month", "share"),
    )


# Surveys -------------------------------------------------------------------------------

MEAN_SCORE = ngettext(
    "Mean score {mean} from {count} answer.", "Mean score {mean} from {count} answers."
)


async def surveys(filters: ReportFilter) -> Report:
    where, params = _month_filter(filters, "s")
    rows = await fetch(
        f"SELECT s.score, SUM(s.surveys) AS answers FROM rollup_survey s WHERE {where}"
        " GROUP BY s.score",
        **params,
    )
    answers = {int(r["score"]): _int(r["answers"]) for r in rows}
    total = sum(answers.values())
    points = sum(score * count for score, count in answers.items())
    mean = (Decimal(points) / total).quantize(CENT, ROUND_HALF_UP) if total else None
    return Report(
        "surveys",
        TITLES["surveys"],
        filters,
        (
            Column("score", N_("Score"), "score"),
            Column("answers", N_("Answers"), "count"),
            Column("share", N_("Share (%)"), "percent"),
        ),
        tuple((s, answers.get(s, 0), percent(answers.get(s, 0), total)) for s in range(1, 6)),
        Chart("bar", "score", "answers"),
        (Note(MEAN_SCORE[0], {"mean": mean, "count": total}, MEAN_SCORE[1], "count"),),
    )


async def survey_comments(filters: ReportFilter) -> Report:
    zone = await _zone()
    query = Survey.filter(
        created_at__gte=_start(filters.period.first, zone),
        created_at__lt=_start(add_months(filters.period.last, 1), zone),
    ).exclude(comment="")
    if filters.channel:
        query = query.filter(request__order__channel=filters.channel)
    rows = (
        await query.order_by("-created_at", "-id")
        .limit(RECENT_COMMENTS)
        .values("created_at", "request__number", "score", "comment")
    )
    return Report(
        "survey-comments",
        TITLES["survey-comments"],
        filters,
        (
            Column("answered_at", N_("Answered"), "time"),
            Column("number", N_("Request")),
            Column("score", N_("Score"), "score"),
            Column("comment", N_("Comment")),
        ),
        tuple(
            (
                r["created_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                r["request__number"],
                int(r["score"]),
                r["comment"],
            )
            for r in rows
        ),
    )


def _start(month: date, zone: ZoneInfo) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=zone)


async def _zone() -> ZoneInfo:
    return (await load_policy_book()).resolve("").zone


# Customers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Returners:
    """The figures of the frequent-returners report, as computed or as snapshotted.

    The shop's bought and returned units over the period, and per frequent returner: their
    id, name, requests, returned units and bought units (JSON values, so a snapshot keeps them
    as they are).
    """

    sold: int
    returned: int
    customers: tuple[tuple[Any, ...], ...]


async def count_frequent_returners(filters: ReportFilter) -> Returners:
    """Aggregate the period's customers now: slow, every active customer is summed."""
    where, params = _month_filter(filters, "rc")
    shop = await fetch(
        "SELECT SUM(rc.sold_units) AS sold, SUM(rc.returned_units) AS returned"
        f" FROM rollup_customer rc WHERE {where}",
        **params,
    )
    shop_sold, shop_returned = _int(shop[0]["sold"]), _int(shop[0]["returned"])
    rows = await fetch(
        "SELECT c.customer_id, cu.name, c.requests, c.returned, c.sold FROM"
        " (SELECT rc.customer_id, SUM(rc.sold_units) AS sold,"
        " SUM(rc.returned_units) AS returned, SUM(rc.requests) AS requests"
        f" FROM rollup_customer rc WHERE {where} GROUP BY rc.customer_id"
        " HAVING SUM(rc.requests) >= :min_requests"
        " AND SUM(rc.returned_units) * CAST(:shop_sold AS BIGINT)"
        " >= CAST(:threshold AS BIGINT) * SUM(rc.sold_units)"
        " ORDER BY 4 DESC, 3 DESC, 1 LIMIT :limit) c"
        " JOIN customer cu ON cu.id = c.customer_id"
        " ORDER BY c.requests DESC, c.returned DESC, c.customer_id",
        min_requests=FREQUENT_MIN_REQUESTS,
        shop_sold=shop_sold,
        threshold=FREQUENT_RATE_MULTIPLE * shop_returned,
        limit=FREQUENT_LIMIT,
        **params,
    )
    return Returners(
        shop_sold,
        shop_returned,
        tuple(
            (
                int(r["customer_id"]),
                r["name"],
                _int(r["requests"]),
                _int(r["returned"]),
                _int(r["sold"]),
            )
            for r in rows
        ),
    )


async def snapshot_frequent_returners(period: Period, now: datetime) -> None:
    """Compute the report for ``period`` across all channels and store it as of ``now``."""
    async with in_transaction():
        figures = await count_frequent_returners(ReportFilter(period))
        await ReportSnapshot.update_or_create(
            report="frequent-returners",
            first_month=period.first,
            last_month=period.last,
            channel="",
            defaults={
                "computed_at": now,
                "rows": [list(customer) for customer in figures.customers],
                "totals": {"sold": figures.sold, "returned": figures.returned},
            },
        )


async def frequent_returners(filters: ReportFilter) -> Report:
    """Customers with at least three requests and twice the shop's return rate, or more.

    From the snapshot of the period and channel when the job has stored one (saying when),
    otherwise computed now.
    """
    snapshot = await ReportSnapshot.get_or_none(
        report="frequent-returners",
        first_month=filters.period.first,
        last_month=filters.period.last,
        channel=filters.channel,
    )
    if snapshot is None:
        return _frequent_report(filters, await count_frequent_returners(filters))
    figures = Returners(
        snapshot.totals["sold"],
        snapshot.totals["returned"],
        tuple(tuple(customer) for customer in snapshot.rows),
    )
    note = Note(
        N_("These figures are as of {time} and are refreshed every {minutes} minutes."),
        {"time": snapshot.computed_at.astimezone(await _zone()), "minutes": SNAPSHOT_MINUTES},
    )
    return _frequent_report(filters, figures, note)


def _frequent_report(filters: ReportFilter, figures: Returners, *notes: Note) -> Report:
    shop_rate = percent(figures.returned, figures.sold)
    return Report(
        "frequent-returners",
        TITLES["frequent-returners"],
        filters,
        (
            Column("customer_id", N_("Customer")),
            Column("name", N_("Name")),
            Column("requests", N_("Requests"), "count"),
            Column("returned", N_("Returned units"), "count"),
            Column("bought", N_("Bought units"), "count"),
            Column("rate", N_("Return rate (%)"), "percent"),
            Column("shop_rate", N_("Shop's return rate (%)"), "percent"),
        ),
        tuple(
            (customer_id, name, requests, returned, sold, percent(returned, sold), shop_rate)
            for customer_id, name, requests, returned, sold in figures.customers
        ),
        Chart("bar", "customer_id", "requests"),
        (
            Note(
                N_(
                    "At least {requests} requests in the period and a return rate of at least"
                    " {multiple} × the shop's; bought units are those ordered in the period."
                ),
                {"requests": FREQUENT_MIN_REQUESTS, "multiple": FREQUENT_RATE_MULTIPLE},
            ),
            *notes,
        ),
    )


# Trend and forecast --------------------------------------------------------------------


def smooth(values: Sequence[Decimal], alpha: Decimal = ALPHA) -> Decimal | None:
    """Simple exponential smoothing: the last level, which is next period's forecast.

    level₁ = x₁; levelₜ = α·xₜ + (1 − α)·levelₜ₋₁.
    """
    level: Decimal | None = None
    for value in values:
        level = value if level is None else alpha * value + (1 - alpha) * level
    return level


async def trend(filters: ReportFilter) -> Report:
    """The period's months, and a forecast for the month after it.

    The forecast smooths every finished month from the first month with sales (of the
    channel and category) to the period's last, whatever month the period starts with: months
    before the shop sold anything are not zeros, and the month of ``filters.now``, not over
    yet, is shown as partial and left out. Months that have not begun are not shown.
    """
    last = filters.period.last
    current = None if filters.now is None else _month_of(filters.now.astimezone(await _zone()))
    units = await _monthly_units(replace(filters, period=Period(EARLIEST, last)))
    selling = [month for month, (sold, _returned) in units.items() if sold]
    finished = [
        month
        for month in (Period(min(selling), last).months if selling else [])
        if current is None or month < current
    ]
    rows: list[tuple[Any, ...]] = []
    for month in filters.period.months:
        if current is not None and month > current:
            break
        sold, returned = units.get(month, (0, 0))
        kind = PARTIAL if month == current else ACTUAL
        rows.append((f"{month:%Y-%m}", kind, sold, returned, percent(returned, sold)))
    history = [units.get(month, (0, 0)) for month in finished]
    forecast_rate = smooth([Decimal(returned) * 100 / sold for sold, returned in history if sold])
    forecast_returned = smooth([Decimal(returned) for _sold, returned in history])
    next_month = add_months(last, 1)
    rows.append(
        (
            f"{next_month:%Y-%m}",
            FORECAST,
            None,
            None if forecast_returned is None else forecast_returned.quantize(Decimal("0.1")),
            None if forecast_rate is None else forecast_rate.quantize(CENT, ROUND_HALF_UP),
        )
    )
    notes = [
        Note(
            N_(
                "{month} is a forecast by simple exponential smoothing (α = {alpha}) over every"
                " finished month since the first month with sales: of the monthly return rate"
                " (months with sales) and of returned units."
            ),
            {"month": next_month, "alpha": ALPHA},
        )
    ]
    if current is not None and filters.period.first <= current <= last:
        notes.append(
            Note(
                N_(
                    "{month} is not over yet: its figures so far are shown, not charted and"
                    " not counted in the forecast."
                ),
                {"month": current},
            )
        )
    return Report(
        "trend",
        TITLES["trend"],
        filters,
        (
            Column("month", N_("Month"), "month"),
            Column(
                "kind",
                N_("Actual or forecast"),
                words={
                    ACTUAL: N_("Actual"),
                    PARTIAL: N_("So far (month not over)"),
                    FORECAST: N_("Forecast"),
                },
            ),
            Column("sold", N_("Sold units"), "count"),
            Column("returned", N_("Returned units"), "ratio"),
            Column("rate", N_("Return rate (%)"), "percent"),
        ),
        tuple(rows),
        Chart("line", "month", "rate", marker="kind"),
        tuple(notes),
    )


def _month_of(moment: datetime) -> date:
    return moment.date().replace(day=1)


REPORTS: dict[str, Builder] = {
    "rate-by-month": rate_by_month,
    "rate-by-product": rate_by_product,
    "rate-by-category": rate_by_category,
    "rate-by-channel": rate_by_channel,
    "rate-by-reason": rate_by_reason,
    "problem-products": problem_products,
    "stage-times": stage_times,
    "money": money,
    "exchange-share": exchange_share,
    "surveys": surveys,
    "survey-comments": survey_comments,
    "frequent-returners": frequent_returners,
    "trend": trend,
}


async def build_report(name: str, filters: ReportFilter) -> Report:
    """Build the report called ``name`` for the filters; unknown names are NotFound."""
    builder = REPORTS.get(name)
    if builder is None:
        raise NotFound("unknown_report", report=name)
    return await builder(filters)
