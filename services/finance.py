"""What finance reads: refunds, the ledger's trial balance and a period report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from domain.ledger import Account
from domain.money import ZERO, round_money
from domain.returns import ReturnType
from models import JournalLine, Payment, Refund, ReturnRequest
from services.keyset import NEWEST_FIRST, cursor_of, older_than
from services.ledger import is_balanced, trial_balance

PAGE_SIZE = 50
__all__ = [
    "Ledger",
    "PeriodReport",
    "RefundPage",
    "RefundRow",
    "ledger_report",
    "list_refunds",
    "period_report",
    "refund_rows",
]


def _span(since: date | None, until: date | None, zone: ZoneInfo) -> Q:
    """``created_at`` within [since, until] as whole days in the shop's time zone."""
    found = Q()
    if since is not None:
        found &= Q(created_at__gte=datetime.combine(since, time(0), zone))
    if until is not None:
        found &= Q(created_at__lt=datetime.combine(until + timedelta(days=1), time(0), zone))
    return found


@dataclass(frozen=True)
class RefundRow:
    id: int
    created_at: datetime
    return_id: int
    return_number: str
    customer_name: str
    amount: Decimal
    method: str
    reference: str
    created_by: str
    return_type: str  # a refund of an exchange gives back a cheaper replacement's difference


@dataclass(frozen=True)
class RefundPage:
    rows: list[RefundRow]
    next_cursor: str | None


async def list_refunds(
    since: date | None,
    until: date | None,
    *,
    zone: ZoneInfo,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> RefundPage:
    """Refunds made between two days (inclusive), newest first (by time, then id), paged
    by keyset: ``before`` is the cursor the previous page ended with."""
    found = Refund.filter(_span(since, until, zone), older_than(before))
    refunds = (
        await found.order_by(*NEWEST_FIRST).limit(size + 1).select_related("request__customer")
    )
    rows = [
        RefundRow(
            id=r.id,
            created_at=r.created_at,
            return_id=r.request.id,
            return_number=r.request.number,
            customer_name=r.request.customer.name,
            amount=r.amount,
            method=str(r.method),
            reference=r.external_reference,
            created_by=r.created_by,
            return_type=str(r.request.type),
        )
        for r in refunds[:size]
    ]
    more = len(refunds) > size and rows
    return RefundPage(rows, cursor_of(rows[-1].created_at, rows[-1].id) if more else None)


async def refund_rows(
    since: date | None, until: date | None, *, zone: ZoneInfo, batch: int = 500
) -> AsyncIterator[RefundRow]:
    """Every refund between two days, newest first, fetched ``batch`` at a time."""
    before: str | None = None
    while True:
        page = await list_refunds(since, until, zone=zone, before=before, size=batch)
        for row in page.rows:
            yield row
        if page.next_cursor is None:
            return
        before = page.next_cursor


@dataclass(frozen=True)
class Ledger:
    """Debits minus credits per account; they must sum to zero."""

    balances: list[tuple[Account, Decimal]]
    total: Decimal
    balanced: bool


async def ledger_report() -> Ledger:
    """The trial balance over the whole journal, every account listed, with its check."""
    balances = await trial_balance()
    rows = [(account, balances.get(account, ZERO)) for account in Account]
    return Ledger(rows, sum(balances.values(), ZERO), is_balanced(balances))


@dataclass(frozen=True)
class PeriodReport:
    """Money moved by returns between two days (inclusive), in the shop's currency.

    ``refunds`` (their count and methods) are those of refund requests, as the money
    report's "Refunds paid"; ``exchange_payments`` are differences customers paid for
    dearer replacements, ``exchange_refunds`` differences the shop paid back for cheaper
    ones (refunds too, counted only there).
    """

    since: date
    until: date
    refund_count: int
    refunds: Decimal
    refunds_by_method: dict[str, Decimal]
    fees: Decimal
    write_offs: Decimal
    exchange_payments: Decimal
    exchange_refunds: Decimal


def _money(value: Any) -> Decimal:
    return round_money(Decimal(str(value or 0)))


async def _journal_net(account: Account, start: datetime, end: datetime) -> Decimal:
    rows = (
        await JournalLine.filter(
            account=account, entry__created_at__gte=start, entry__created_at__lt=end
        )
        .group_by("account")
        .annotate(cr=Sum("credit"), dr=Sum("debit"))
        .values("cr", "dr")
    )
    return _money(rows[0]["cr"]) - _money(rows[0]["dr"]) if rows else ZERO


def _of_type(refunds: QuerySet[Refund], kind: ReturnType) -> QuerySet[Refund]:
    # by a subquery, not a join: with a join Tortoise groups a sum by every column
    requests = ReturnRequest.filter(type=kind).values("id")
    return refunds.filter(request_id__in=Subquery(requests))


async def period_report(since: date, until: date, *, zone: ZoneInfo) -> PeriodReport:
    """Refunds, restocking fees, write-offs and exchange differences between two days.

    Every figure is an aggregate computed by the database, not a sum over fetched rows.
    """
    start = datetime.combine(since, time(0), zone)
    end = datetime.combine(until + timedelta(days=1), time(0), zone)
    refunds = Refund.filter(created_at__gte=start, created_at__lt=end)
    by_method = (
        await _of_type(refunds, ReturnType.REFUND)
        .group_by("method")
        .annotate(total=Sum("amount"), n=Count("id"))
        .values("method", "total", "n")
    )
    exchange_refunds = (
        await _of_type(refunds, ReturnType.EXCHANGE).annotate(total=Sum("amount")).values("total")
    )
    payments = (
        await Payment.filter(created_at__gte=start, created_at__lt=end)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return PeriodReport(
        since=since,
        until=until,
        refund_count=sum(int(row["n"]) for row in by_method),
        refunds=sum((_money(row["total"]) for row in by_method), ZERO),
        refunds_by_method={str(row["method"]): _money(row["total"]) for row in by_method},
        fees=await _journal_net(Account.RESTOCKING_FEES, start, end),
        write_offs=-await _journal_net(Account.INVENTORY_WRITE_OFFS, start, end),
        exchange_payments=_money(payments[0]["total"] if payments else 0),
        exchange_refunds=_money(exchange_refunds[0]["total"] if exchange_refunds else 0),
    )
