"""The double-entry ledger of returns (SPEC §3), as values.

Debits are positive on the asset and expense side; every ``Entry`` balances to zero or
cannot be built. Accounts::

    assets       cash, inventory
    liabilities  refunds_payable (owed to customers), store_credit,
                 customer_prepayments (exchange differences paid before shipping)
    income       sales, sales_returns (contra), restocking_fees
    expenses     cost_of_goods_sold, inventory_write_offs
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.money import ZERO, percent_of, round_money


class Account(StrEnum):
    CASH = "cash"
    INVENTORY = "inventory"
    REFUNDS_PAYABLE = "refunds_payable"
    STORE_CREDIT = "store_credit"
    CUSTOMER_PREPAYMENTS = "customer_prepayments"
    SALES = "sales"
    SALES_RETURNS = "sales_returns"
    RESTOCKING_FEES = "restocking_fees"
    COST_OF_GOODS_SOLD = "cost_of_goods_sold"
    INVENTORY_WRITE_OFFS = "inventory_write_offs"


class RefundMethod(StrEnum):
    ORIGINAL = "original"
    STORE_CREDIT = "store_credit"
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"


class UnbalancedEntry(ValueError):
    """Raised when postings do not sum to zero: a bug, never a user error."""


@dataclass(frozen=True)
class Posting:
    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO


@dataclass(frozen=True)
class Entry:
    """One balanced journal entry."""

    memo: str
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        if sum(p.debit for p in self.postings) != sum(p.credit for p in self.postings):
            raise UnbalancedEntry(self.memo)

    def amount_on(self, account: Account) -> Decimal:
        """Net credit minus debit on ``account`` in this entry."""
        return sum((p.credit - p.debit for p in self.postings if p.account == account), ZERO)


def _entry(memo: str, legs: Iterable[tuple[Account, Decimal]]) -> Entry:
    """Build an entry from (account, signed amount) legs: debit positive, credit negative."""
    net: dict[Account, Decimal] = defaultdict(lambda: ZERO)
    for account, amount in legs:
        net[account] += amount
    postings = tuple(
        Posting(a, debit=v) if v > 0 else Posting(a, credit=-v) for a, v in net.items() if v
    )
    return Entry(memo, postings)


@dataclass(frozen=True)
class InspectedLine:
    """One return line after inspection, with what the customer paid and what it cost."""

    unit_price: Decimal
    unit_cost: Decimal
    resellable: int
    defective: int
    fee_percent: Decimal

    @property
    def accepted(self) -> int:
        return self.resellable + self.defective

    @property
    def value(self) -> Decimal:
        return round_money(self.unit_price * self.accepted)

    @property
    def fee(self) -> Decimal:
        return percent_of(self.value, self.fee_percent)


def inspection_entry(memo: str, lines: Iterable[InspectedLine]) -> Entry:
    """Reverse the sale of accepted units, return their cost, write off the defective ones."""
    legs: list[tuple[Account, Decimal]] = []
    for line in lines:
        cost_back = round_money(line.unit_cost * line.accepted)
        written_off = round_money(line.unit_cost * line.defective)
        legs += [
            (Account.SALES_RETURNS, line.value),
            (Account.REFUNDS_PAYABLE, -(line.value - line.fee)),
            (Account.RESTOCKING_FEES, -line.fee),
            (Account.INVENTORY, cost_back - written_off),
            (Account.COST_OF_GOODS_SOLD, -cost_back),
            (Account.INVENTORY_WRITE_OFFS, written_off),
        ]
    return _entry(memo, legs)


def refund_entry(memo: str, amount: Decimal, method: RefundMethod) -> Entry:
    """Settle refunds payable in cash (any payment route) or as store credit."""
    paid_from = Account.STORE_CREDIT if method is RefundMethod.STORE_CREDIT else Account.CASH
    return _entry(memo, [(Account.REFUNDS_PAYABLE, amount), (paid_from, -amount)])


def payment_entry(memo: str, amount: Decimal) -> Entry:
    """Record the customer's payment of an exchange difference before shipping."""
    return _entry(memo, [(Account.CASH, amount), (Account.CUSTOMER_PREPAYMENTS, -amount)])


def exchange_difference(credit: Decimal, replacement_value: Decimal) -> Decimal:
    """What the customer still owes for the replacement (negative: what the shop owes back)."""
    return round_money(replacement_value - credit)


def exchange_entry(
    memo: str, credit: Decimal, replacement_value: Decimal, replacement_cost: Decimal
) -> Entry:
    """Sell the replacement against the customer's credit and prepayment, at cost out of stock.

    A cheaper replacement leaves ``credit - replacement_value`` in refunds payable, to be
    refunded; a dearer one draws the difference from the customer's prepayment.
    """
    from_credit = min(credit, replacement_value)
    return _entry(
        memo,
        [
            (Account.REFUNDS_PAYABLE, from_credit),
            (Account.CUSTOMER_PREPAYMENTS, replacement_value - from_credit),
            (Account.SALES, -replacement_value),
            (Account.COST_OF_GOODS_SOLD, replacement_cost),
            (Account.INVENTORY, -replacement_cost),
        ],
    )
