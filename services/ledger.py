"""Reading the ledger: balances per account, per request, and the trial balance."""

from __future__ import annotations

from decimal import Decimal

from tortoise.functions import Sum

from domain.ledger import Account
from domain.money import ZERO, round_money
from models import JournalLine


async def credit_balance(account: Account, request_id: int | None = None) -> Decimal:
    """Credits minus debits on ``account`` (for one request's entries, if given)."""
    query = JournalLine.filter(account=account)
    if request_id is not None:
        query = query.filter(entry__request_id=request_id)
    # Grouping by the (single) account keeps one row: with the join to the entry, Tortoise
    # would otherwise group by every column and return one row per journal line.
    rows = (
        await query.group_by("account")
        .annotate(cr=Sum("credit"), dr=Sum("debit"))
        .values("cr", "dr")
    )
    if not rows:
        return ZERO
    return round_money(Decimal(rows[0]["cr"] or 0) - Decimal(rows[0]["dr"] or 0))


async def trial_balance() -> dict[Account, Decimal]:
    """Debits minus credits per account over the whole journal."""
    rows = (
        await JournalLine.all()
        .group_by("account")
        .annotate(dr=Sum("debit"), cr=Sum("credit"))
        .values("account", "dr", "cr")
    )
    return {
        Account(row["account"]): round_money(Decimal(row["dr"] or 0) - Decimal(row["cr"] or 0))
        for row in rows
    }


def is_balanced(balances: dict[Account, Decimal]) -> bool:
    """Tell whether the balances sum to zero."""
    return sum(balances.values(), ZERO) == ZERO
