"""Findings: what the figures say the owner should look at first (SPEC §8).

Each finding is a key with parameters (never prose: the adapters word it, translated, and
format its numbers in the reader's locale: shares are Decimal percentages, counts ints) and
the report, with its filters, that holds its figures. They come in the order to act on:

    stage_breaches_sla       a stage where at least 10 % of the requests that left it had
                             overstayed its SLA
    product_above_category   a product returned at least twice as often as its category,
                             with at least 3 units back
    reason_grew              a reason with at least 50 % and 2 units more returned in the
                             period's last month than in the month before
    customer_returns_often   one of the customers of the ``frequent-returners`` report
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from services.reports import (
    Period,
    ReportFilter,
    add_months,
    frequent_returners,
    problem_products,
    rate_by_reason,
    stage_times,
)

__all__ = ["DASHBOARD_MONTHS", "Finding", "dashboard_findings", "find_findings"]

DASHBOARD_MONTHS = 3
BREACH_SHARE = Decimal("10")
PRODUCT_MULTIPLE = 2
PRODUCT_MIN_RETURNED = 3
REASON_GROWTH = Decimal("1.5")
REASON_MIN_INCREASE = 2
CUSTOMERS_SHOWN = 3


@dataclass(frozen=True)
class Finding:
    """One thing to look at: ``key`` names it, ``params`` fill it in, ``report`` shows it."""

    key: str
    params: Mapping[str, object]
    report: str
    filters: ReportFilter


async def find_findings(filters: ReportFilter) -> list[Finding]:
    """Everything worth a look in the filtered period, most urgent kind first."""
    return [
        *await _stages(filters),
        *await _products(filters),
        *await _reasons(filters),
        *await _customers(filters),
    ]


async def dashboard_findings(today: date) -> list[Finding]:
    """The findings of the last three months (this one included) across the whole shop."""
    return await find_findings(ReportFilter(Period.ending(today, DASHBOARD_MONTHS)))


async def _stages(filters: ReportFilter) -> list[Finding]:
    report = await stage_times(filters)
    return [
        Finding(
            "stage_breaches_sla",
            {
                "stage": row["stage"],
                "share": row["breach_share"],
                "breaches": row["breaches"],
                "visits": row["visits"],
                "sla_hours": row["sla_hours"],
            },
            report.name,
            filters,
        )
        for row in report.records()
        if row["breaches"] and row["breach_share"] >= BREACH_SHARE
    ]


async def _products(filters: ReportFilter) -> list[Finding]:
    report = await problem_products(filters)
    return [
        Finding(
            "product_above_category",
            {
                "sku": row["sku"],
                "product": row["product"],
                "rate": row["rate"],
                "category": row["category"],
                "category_rate": row["category_rate"],
                "returned": row["returned"],
            },
            report.name,
            filters,
        )
        for row in report.records()
        if row["returned"] >= PRODUCT_MIN_RETURNED
        and row["rate"] is not None
        and row["category_rate"] is not None
        and row["rate"] >= PRODUCT_MULTIPLE * row["category_rate"]
    ]


async def _reasons(filters: ReportFilter) -> list[Finding]:
    last = filters.period.last
    before = add_months(last, -1)
    now = await _units_by_reason(replace(filters, period=Period(last, last)))
    then = await _units_by_reason(replace(filters, period=Period(before, before)))
    shown = replace(filters, period=Period(before, last))
    return [
        Finding(
            "reason_grew",
            {
                "reason": reason,
                "before": then.get(reason, 0),
                "after": units,
                "month": f"{last:%Y-%m}",
                "previous_month": f"{before:%Y-%m}",
            },
            "rate-by-reason",
            shown,
        )
        for reason, units in now.items()
        if units - then.get(reason, 0) >= REASON_MIN_INCREASE
        and units >= REASON_GROWTH * then.get(reason, 0)
    ]


async def _units_by_reason(filters: ReportFilter) -> dict[str, int]:
    report = await rate_by_reason(filters)
    return {row["reason"]: row["returned"] for row in report.records()}


async def _customers(filters: ReportFilter) -> list[Finding]:
    report = await frequent_returners(filters)
    return [
        Finding(
            "customer_returns_often",
            {
                "customer_id": str(row["customer_id"]),
                "name": row["name"],
                "requests": row["requests"],
                "rate": row["rate"],
                "shop_rate": row["shop_rate"],
            },
            report.name,
            filters,
        )
        for row in report.records()[:CUSTOMERS_SHOWN]
    ]
