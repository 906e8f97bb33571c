"""The journal entries of returns, with figures worked out by hand (domain/ledger.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledger import (
    Account,
    Entry,
    InspectedLine,
    Posting,
    RefundMethod,
    UnbalancedEntry,
    exchange_difference,
    exchange_entry,
    inspection_entry,
    payment_entry,
    refund_entry,
)

D = Decimal


def book(entry: Entry) -> dict[Account, tuple[Decimal, Decimal]]:
    """Account -> (debit, credit), checking each account appears once."""
    accounts = [p.account for p in entry.postings]
    assert len(accounts) == len(set(accounts))
    return {p.account: (p.debit, p.credit) for p in entry.postings}


def dr(amount: str) -> tuple[Decimal, Decimal]:
    return (D(amount), D("0"))


def cr(amount: str) -> tuple[Decimal, Decimal]:
    return (D("0"), D(amount))


def tee(resellable: int = 0, defective: int = 0, fee: str = "0") -> InspectedLine:
    """TEE-1: sold at 100.00, cost 40.00."""
    return InspectedLine(D("100.00"), D("40.00"), resellable, defective, D(fee))


def test_unbalanced_entry_cannot_be_built() -> None:
    with pytest.raises(UnbalancedEntry):
        Entry(
            "bad",
            (Posting(Account.CASH, debit=D("10.00")), Posting(Account.SALES, credit=D("9.99"))),
        )


def test_balanced_entry_reports_net_credit_per_account() -> None:
    entry = Entry(
        "ok",
        (Posting(Account.CASH, debit=D("10.00")), Posting(Account.SALES, credit=D("10.00"))),
    )
    assert entry.amount_on(Account.SALES) == D("10.00")
    assert entry.amount_on(Account.CASH) == D("-10.00")
    assert entry.amount_on(Account.INVENTORY) == D("0.00")


# --- inspection ---------------------------------------------------------------------------


def test_inspection_reverses_sale_and_returns_cost_of_resellable_units() -> None:
    # 2 x 100.00 back to the customer; 2 x 40.00 back into inventory
    assert book(inspection_entry("i", [tee(resellable=2)])) == {
        Account.SALES_RETURNS: dr("200.00"),
        Account.REFUNDS_PAYABLE: cr("200.00"),
        Account.INVENTORY: dr("80.00"),
        Account.COST_OF_GOODS_SOLD: cr("80.00"),
    }


def test_inspection_writes_defective_units_off_at_cost() -> None:
    # cost of both back (80.00), then the defective one's 40.00 written off
    assert book(inspection_entry("i", [tee(resellable=1, defective=1)])) == {
        Account.SALES_RETURNS: dr("200.00"),
        Account.REFUNDS_PAYABLE: cr("200.00"),
        Account.INVENTORY: dr("40.00"),
        Account.COST_OF_GOODS_SOLD: cr("80.00"),
        Account.INVENTORY_WRITE_OFFS: dr("40.00"),
    }


def test_all_defective_leaves_nothing_in_inventory() -> None:
    entry = book(inspection_entry("i", [tee(defective=2)]))
    assert Account.INVENTORY not in entry
    assert entry[Account.INVENTORY_WRITE_OFFS] == dr("80.00")
    assert entry[Account.COST_OF_GOODS_SOLD] == cr("80.00")


def test_inspection_keeps_restocking_fee_as_income() -> None:
    # 10 % of 200.00 = 20.00 kept; 180.00 owed
    assert book(inspection_entry("i", [tee(resellable=2, fee="10")])) == {
        Account.SALES_RETURNS: dr("200.00"),
        Account.REFUNDS_PAYABLE: cr("180.00"),
        Account.RESTOCKING_FEES: cr("20.00"),
        Account.INVENTORY: dr("80.00"),
        Account.COST_OF_GOODS_SOLD: cr("80.00"),
    }


def test_inspection_of_several_lines_with_fee_and_write_off() -> None:
    cap = InspectedLine(D("55.00"), D("20.00"), resellable=0, defective=1, fee_percent=D("10"))
    # TEE-1: 200.00, fee 20.00, cost 80.00 back; CAP-1: 55.00, fee 5.50, cost 20.00 written off
    assert book(inspection_entry("i", [tee(resellable=2, fee="10"), cap])) == {
        Account.SALES_RETURNS: dr("255.00"),
        Account.REFUNDS_PAYABLE: cr("229.50"),
        Account.RESTOCKING_FEES: cr("25.50"),
        Account.INVENTORY: dr("80.00"),
        Account.COST_OF_GOODS_SOLD: cr("100.00"),
        Account.INVENTORY_WRITE_OFFS: dr("20.00"),
    }


def test_fee_rounds_half_up_to_the_cent() -> None:
    line = InspectedLine(D("33.33"), D("10.00"), 1, 0, D("12.5"))
    # 12.5 % of 33.33 = 4.16625 -> 4.17; 29.16 owed
    assert line.fee == D("4.17")
    entry = book(inspection_entry("i", [line]))
    assert entry[Account.REFUNDS_PAYABLE] == cr("29.16")
    assert entry[Account.RESTOCKING_FEES] == cr("4.17")


def test_nothing_accepted_posts_nothing() -> None:
    assert inspection_entry("i", [tee()]).postings == ()


@given(
    lines=st.lists(
        st.tuples(
            st.decimals("0.01", "9999.99", places=2),
            st.decimals("0.00", "9999.99", places=2),
            st.integers(0, 5),
            st.integers(0, 5),
            st.decimals("0", "100", places=2),
        ),
        max_size=4,
    )
)
def test_every_inspection_entry_balances(lines: list[tuple]) -> None:
    inspected = [InspectedLine(*line) for line in lines]
    entry = inspection_entry("i", inspected)  # building it checks the balance
    sales_returns = -entry.amount_on(Account.SALES_RETURNS)
    owed = entry.amount_on(Account.REFUNDS_PAYABLE) + entry.amount_on(Account.RESTOCKING_FEES)
    assert sales_returns == owed == sum((line.value for line in inspected), D("0"))


# --- refunds and payments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "paid_from"),
    [
        (RefundMethod.ORIGINAL, Account.CASH),
        (RefundMethod.CASH, Account.CASH),
        (RefundMethod.BANK_TRANSFER, Account.CASH),
        (RefundMethod.STORE_CREDIT, Account.STORE_CREDIT),
    ],
)
def test_refund_settles_refunds_payable(method: RefundMethod, paid_from: Account) -> None:
    assert book(refund_entry("r", D("180.00"), method)) == {
        Account.REFUNDS_PAYABLE: dr("180.00"),
        paid_from: cr("180.00"),
    }


def test_exchange_payment_is_held_as_prepayment() -> None:
    assert book(payment_entry("p", D("50.00"))) == {
        Account.CASH: dr("50.00"),
        Account.CUSTOMER_PREPAYMENTS: cr("50.00"),
    }


# --- exchanges ------------------------------------------------------------------------------


def test_exchange_difference_signs() -> None:
    assert exchange_difference(D("100.00"), D("150.00")) == D("50.00")  # customer pays
    assert exchange_difference(D("100.00"), D("60.00")) == D("-40.00")  # shop pays back
    assert exchange_difference(D("100.00"), D("100.00")) == D("0.00")


def test_dearer_exchange_draws_on_credit_and_prepayment() -> None:
    # TEE-1 (100.00 credit) for TEE-2 (150.00, cost 60.00), 50.00 prepaid
    assert book(exchange_entry("x", D("100.00"), D("150.00"), D("60.00"))) == {
        Account.REFUNDS_PAYABLE: dr("100.00"),
        Account.CUSTOMER_PREPAYMENTS: dr("50.00"),
        Account.SALES: cr("150.00"),
        Account.COST_OF_GOODS_SOLD: dr("60.00"),
        Account.INVENTORY: cr("60.00"),
    }


def test_cheaper_exchange_leaves_the_difference_payable() -> None:
    # TEE-1 (100.00 credit) for CAP-1 (60.00, cost 20.00): 40.00 stays owed
    entry = exchange_entry("x", D("100.00"), D("60.00"), D("20.00"))
    assert book(entry) == {
        Account.REFUNDS_PAYABLE: dr("60.00"),
        Account.SALES: cr("60.00"),
        Account.COST_OF_GOODS_SOLD: dr("20.00"),
        Account.INVENTORY: cr("20.00"),
    }
    assert D("100.00") + entry.amount_on(Account.REFUNDS_PAYABLE) == D("40.00")


def test_whole_cheaper_exchange_nets_refunds_payable_to_zero() -> None:
    entries = [
        inspection_entry("i", [tee(resellable=1)]),
        exchange_entry("x", D("100.00"), D("60.00"), D("20.00")),
        refund_entry("r", D("40.00"), RefundMethod.ORIGINAL),
    ]
    assert sum((e.amount_on(Account.REFUNDS_PAYABLE) for e in entries), D("0")) == D("0.00")
    assert sum((e.amount_on(Account.CASH) for e in entries), D("0")) == D("40.00")


def test_whole_dearer_exchange_nets_payable_and_prepayment_to_zero() -> None:
    entries = [
        inspection_entry("i", [tee(resellable=1)]),
        payment_entry("p", D("50.00")),
        exchange_entry("x", D("100.00"), D("150.00"), D("60.00")),
    ]
    for account in (Account.REFUNDS_PAYABLE, Account.CUSTOMER_PREPAYMENTS):
        assert sum((e.amount_on(account) for e in entries), D("0")) == D("0.00")
    # revenue: the replacement's sale, less the returned sale
    sales = sum((e.amount_on(Account.SALES) for e in entries), D("0"))
    returns = sum((e.amount_on(Account.SALES_RETURNS) for e in entries), D("0"))
    assert (sales, returns) == (D("150.00"), D("-100.00"))
