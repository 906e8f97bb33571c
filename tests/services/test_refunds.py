"""Money back: refunds, exchange payments and shipping replacements.

Figures by hand from the factory: TEE-1 sold at 100.00 (cost 40.00); TEE-2 150.00 (cost
60.00, the dearer replacement); CAP-1 60.00 (cost 20.00, the cheaper replacement; sold on
the order at 55.00).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.clock import FakeClock
from domain.errors import (
    ConcurrentModification,
    InvalidTransition,
    PolicyViolation,
    ValidationError,
)
from domain.ledger import Account, RefundMethod
from domain.returns import Action, ReturnType, Status
from models import Payment, Refund
from services.deadlines import close_resolved_returns
from services.ledger import credit_balance
from services.policies import save_policy_rule
from services.queue import return_detail
from services.refunds import (
    exchange_due,
    record_exchange_payment,
    refund_return,
    refundable_amount,
    ship_replacement,
)
from services.review import close_return
from services.warehouse import Grades, inspect_return
from tests.factories import ADMIN, FINANCE, SYSTEM, WAREHOUSE, Shop, build_shop
from tests.services.test_returns import (
    assert_books_true,
    cr,
    dr,
    entry,
    events,
    inspected,
    levels,
    movements,
    notes,
    only_line,
    received,
    snapshot,
    stock,
)

D = Decimal


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    return await build_shop(clock)


# --- refund: inspected -> refunded ----------------------------------------------------------


async def test_refund_pays_back_accepted_units_and_tells_customer(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 2})

    r = await refund_return(r.id, actor=FINANCE, clock=shop.clock, reference="PAY-77")

    assert r.status is Status.REFUNDED
    assert (await events(r.id))[-1] == ("staff:fiona", "refund", Status.INSPECTED, Status.REFUNDED)
    [refund] = await Refund.filter(request_id=r.id)
    assert (refund.amount, refund.method, refund.external_reference, refund.created_by) == (
        D("200.00"),
        RefundMethod.ORIGINAL,
        "PAY-77",
        "staff:fiona",
    )
    assert await entry(r.id, "Refund") == {
        Account.REFUNDS_PAYABLE: dr("200.00"),
        Account.CASH: cr("200.00"),
    }
    assert await refundable_amount(r.id) == D("0.00")
    [told] = await notes("refund_issued")
    assert (told.customer_id, told.params["amount"]) == (shop.customer.id, "200.00")
    await assert_books_true()


async def test_refund_as_store_credit_credits_the_store_credit_account(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, method=RefundMethod.STORE_CREDIT)
    assert await entry(r.id, "Refund") == {
        Account.REFUNDS_PAYABLE: dr("100.00"),
        Account.STORE_CREDIT: cr("100.00"),
    }


async def test_refund_is_the_price_paid_not_the_list_price(shop: Shop) -> None:
    r = await inspected(shop, {"CAP-1": 1})  # lists at 60.00, paid 55.00
    await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    assert (await Refund.get(request_id=r.id)).amount == D("55.00")


async def test_refund_never_exceeds_paid_amount(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    before = await snapshot(r.id)
    with pytest.raises(ValidationError) as caught:
        await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("100.01"))
    assert caught.value.code == "refund_exceeds_refundable"
    assert caught.value.params["maximum"] == "100.00"
    assert await snapshot(r.id) == before


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0", "amount_not_positive"),
        ("-5", "amount_not_positive"),
        ("-0.01", "amount_not_positive"),
        ("1.234", "amount_too_precise"),
        ("1E+30", "amount_too_large"),
    ],
)
async def test_a_refund_or_payment_that_is_not_a_positive_exact_amount_changes_nothing(
    shop: Shop, amount: str, code: str
) -> None:
    refund = await inspected(shop, {"TEE-1": 1})
    exchange = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    before = (await snapshot(refund.id), await snapshot(exchange.id))
    with pytest.raises(ValidationError) as refused:
        await refund_return(refund.id, actor=FINANCE, clock=shop.clock, amount=D(amount))
    with pytest.raises(ValidationError) as unpaid:
        await record_exchange_payment(exchange.id, D(amount), actor=FINANCE, clock=shop.clock)
    assert (refused.value.code, unpaid.value.code) == (code, code)
    assert (await snapshot(refund.id), await snapshot(exchange.id)) == before


async def test_refund_never_exceeds_accepted_units(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2})
    line = await only_line(r.id)
    await inspect_return(
        r.id, {line.id: Grades(resellable=1, refused=1)}, actor=WAREHOUSE, clock=shop.clock
    )
    with pytest.raises(ValidationError):
        await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("200.00"))
    r = await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    assert (await Refund.get(request_id=r.id)).amount == D("100.00")


async def test_refund_less_restocking_fee(shop: Shop) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    r = await inspected(shop, {"TEE-1": 2}, reason="changed_mind", photos=())
    with pytest.raises(ValidationError) as caught:
        await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("180.01"))
    assert caught.value.params["maximum"] == "180.00"

    await refund_return(r.id, actor=FINANCE, clock=shop.clock)

    assert (await Refund.get(request_id=r.id)).amount == D("180.00")
    assert await credit_balance(Account.RESTOCKING_FEES) == D("20.00")
    await assert_books_true()


async def test_partial_refund_leaves_the_rest_owed(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("60.00"))
    assert await refundable_amount(r.id) == D("40.00")
    assert await credit_balance(Account.CASH) == D("60.00")  # 60.00 went out


async def test_the_rest_of_a_partial_refund_can_be_paid_later(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("60.00"))
    rest = await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    assert rest.status == Status.REFUNDED
    assert await refundable_amount(r.id) == D("0.00")
    assert sorted(x.amount for x in await Refund.filter(request_id=r.id)) == [
        D("40.00"),
        D("60.00"),
    ]
    assert await credit_balance(Account.CASH) == D("100.00")
    assert (await events(r.id))[-2:] == [
        (FINANCE.label, "refund", Status.INSPECTED, Status.REFUNDED),
        (FINANCE.label, "refund", Status.REFUNDED, Status.REFUNDED),
    ]
    await assert_books_true()


async def test_refund_is_offered_again_only_while_money_is_owed(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("60.00"))
    assert Action.REFUND in (await return_detail(r.id, FINANCE)).actions
    await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    assert Action.REFUND not in (await return_detail(r.id, FINANCE)).actions
    assert Action.CLOSE in (await return_detail(r.id, ADMIN)).actions


async def test_nobody_closes_a_request_while_part_of_its_refund_is_owed(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("60.00"))
    assert Action.CLOSE not in (await return_detail(r.id, ADMIN)).actions
    before = await snapshot(r.id)
    shop.clock.advance(timedelta(days=30))
    for actor in (ADMIN, SYSTEM):
        with pytest.raises(InvalidTransition) as caught:
            await close_return(r.id, actor=actor, clock=shop.clock)
        assert (caught.value.code, caught.value.params["owed"]) == ("refund_outstanding", "40.00")
    assert await close_resolved_returns(shop.clock) == 0
    assert await snapshot(r.id) == before

    await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    assert await close_resolved_returns(shop.clock) == 1


async def test_a_fully_refunded_request_takes_no_further_refund(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    before = await snapshot(r.id)
    with pytest.raises(ValidationError) as caught:
        await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("1.00"))
    assert caught.value.code == "refund_exceeds_refundable"
    with pytest.raises(ValidationError) as caught:
        await refund_return(r.id, actor=FINANCE, clock=shop.clock)  # "all that is owed": none
    assert caught.value.code == "refund_exceeds_refundable"
    assert await snapshot(r.id) == before


async def test_unknown_refund_method_is_refused(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    before = await snapshot(r.id)
    with pytest.raises(ValidationError) as caught:
        await refund_return(r.id, actor=FINANCE, clock=shop.clock, method="bitcoin")  # type: ignore[arg-type]
    assert caught.value.code == "invalid_refund_method"
    assert await snapshot(r.id) == before


async def test_refund_of_an_exchange_is_refused(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    before = await snapshot(r.id)
    with pytest.raises(PolicyViolation) as caught:
        await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    assert caught.value.code == "not_refund_request"
    assert await snapshot(r.id) == before


# --- exchange: record payment (inspected -> inspected), ship replacement (-> exchanged) ---------


async def test_dearer_exchange_must_be_paid_before_shipping(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    assert await exchange_due(r.id) == D("50.00")  # 150.00 - 100.00
    before = await snapshot(r.id)
    with pytest.raises(PolicyViolation) as caught:
        await ship_replacement(r.id, "SF0001", actor=WAREHOUSE, clock=shop.clock)
    assert (caught.value.code, caught.value.params["amount"]) == ("difference_unpaid", "50.00")
    assert await snapshot(r.id) == before

    with pytest.raises(ValidationError) as caught:
        await record_exchange_payment(r.id, D("50.01"), actor=FINANCE, clock=shop.clock)
    assert caught.value.code == "payment_exceeds_due"
    r = await record_exchange_payment(r.id, D("30.00"), actor=FINANCE, clock=shop.clock)
    assert r.status is Status.INSPECTED
    assert (await events(r.id))[-1] == (
        "staff:fiona",
        "record_payment",
        Status.INSPECTED,
        Status.INSPECTED,
    )
    assert await exchange_due(r.id) == D("20.00")
    with pytest.raises(PolicyViolation):
        await ship_replacement(r.id, "SF0001", actor=WAREHOUSE, clock=shop.clock)
    await record_exchange_payment(r.id, D("20.00"), actor=FINANCE, clock=shop.clock)
    assert sorted(await Payment.filter(request_id=r.id).values_list("amount", flat=True)) == [
        D("20.00"),
        D("30.00"),
    ]
    assert await credit_balance(Account.CUSTOMER_PREPAYMENTS, r.id) == D("50.00")
    [partly] = await notes("payment_recorded_partly")  # 30.00 of 50.00: 20.00 still to pay
    assert (partly.params["amount"], partly.params["due"]) == ("30.00", "20.00")
    [paid] = await notes("payment_recorded")
    assert paid.params["amount"] == "20.00"

    r = await ship_replacement(r.id, "SF0001", actor=WAREHOUSE, clock=shop.clock)

    assert r.status is Status.EXCHANGED
    assert (await events(r.id))[-1] == (
        "staff:wang",
        "ship_replacement",
        Status.INSPECTED,
        Status.EXCHANGED,
    )
    assert (await movements(r.id))[-1] == ("TEE-2", "ship_replacement", "reserved", None, 1)
    assert await levels(shop, "TEE-2") == stock(sellable=19)
    assert await levels(shop, "TEE-1") == stock(sellable=21)
    assert await entry(r.id, "Replacement") == {
        Account.REFUNDS_PAYABLE: dr("100.00"),
        Account.CUSTOMER_PREPAYMENTS: dr("50.00"),
        Account.SALES: cr("150.00"),
        Account.COST_OF_GOODS_SOLD: dr("60.00"),
        Account.INVENTORY: cr("60.00"),
    }
    assert await credit_balance(Account.REFUNDS_PAYABLE, r.id) == D("0.00")
    assert await credit_balance(Account.CUSTOMER_PREPAYMENTS, r.id) == D("0.00")
    assert await credit_balance(Account.CASH, r.id) == D("-50.00")  # 50.00 came in
    assert await Refund.all().count() == 0
    [told] = await notes("replacement_shipped")  # nothing to give back: no such words
    assert told.params == {"number": r.number, "tracking_number": "SF0001"}
    await assert_books_true()


async def test_cheaper_exchange_refunds_the_difference_at_shipping(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    assert await exchange_due(r.id) == D("-40.00")  # 60.00 - 100.00
    with pytest.raises(ValidationError):
        await record_exchange_payment(r.id, D("1.00"), actor=FINANCE, clock=shop.clock)

    r = await ship_replacement(r.id, "YT123456", actor=WAREHOUSE, clock=shop.clock)

    assert r.status is Status.EXCHANGED
    assert await levels(shop, "CAP-1") == stock(sellable=3)
    [refund] = await Refund.filter(request_id=r.id)
    assert (refund.amount, refund.method, refund.external_reference) == (
        D("40.00"),
        RefundMethod.ORIGINAL,
        "",  # no payment reference: pages name it by the request's type
    )
    assert await entry(r.id, "Replacement") == {
        Account.REFUNDS_PAYABLE: dr("60.00"),
        Account.SALES: cr("60.00"),
        Account.COST_OF_GOODS_SOLD: dr("20.00"),
        Account.INVENTORY: cr("20.00"),
    }
    assert await entry(r.id, "Refund") == {
        Account.REFUNDS_PAYABLE: dr("40.00"),
        Account.CASH: cr("40.00"),
    }
    assert await refundable_amount(r.id) == D("0.00")
    [told] = await notes("replacement_shipped_refunded")
    assert (told.params["tracking_number"], told.params["refunded"]) == ("YT123456", "40.00")
    assert await notes("replacement_shipped") == []
    await assert_books_true()


async def test_even_exchange_ships_without_payment_or_refund(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-1")
    assert await exchange_due(r.id) == D("0.00")
    r = await ship_replacement(r.id, "SF9999", actor=WAREHOUSE, clock=shop.clock)
    assert r.status is Status.EXCHANGED
    assert await Refund.all().count() == 0
    assert await Payment.all().count() == 0
    assert await levels(shop, "TEE-1") == stock(sellable=20)  # one back, one out
    await assert_books_true()


async def test_exchange_ships_only_accepted_units(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    line = await only_line(r.id)
    await inspect_return(
        r.id, {line.id: Grades(defective=1, refused=1)}, actor=WAREHOUSE, clock=shop.clock
    )
    assert await exchange_due(r.id) == D("50.00")  # one TEE-2 for one accepted TEE-1
    await record_exchange_payment(r.id, D("50.00"), actor=FINANCE, clock=shop.clock)
    await ship_replacement(r.id, "SF0002", actor=WAREHOUSE, clock=shop.clock)
    assert await levels(shop, "TEE-2") == stock(sellable=19)
    assert await levels(shop, "TEE-1") == stock(sellable=20, defective=1)
    await assert_books_true()


async def test_exchange_with_restocking_fee_owes_the_fee_too(shop: Shop) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    r = await inspected(
        shop,
        {"TEE-1": 1},
        reason="size_fit",
        photos=(),
        kind=ReturnType.EXCHANGE,
        replacement="CAP-1",
    )
    # credit 100.00 - 10.00 fee = 90.00; CAP-1 costs 60.00: 30.00 comes back
    assert await exchange_due(r.id) == D("-30.00")
    await ship_replacement(r.id, "SF0003", actor=WAREHOUSE, clock=shop.clock)
    assert (await Refund.get(request_id=r.id)).amount == D("30.00")
    await assert_books_true()


async def test_payment_on_a_refund_request_is_refused(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    before = await snapshot(r.id)
    with pytest.raises(PolicyViolation):
        await record_exchange_payment(r.id, D("1.00"), actor=FINANCE, clock=shop.clock)
    with pytest.raises(PolicyViolation):
        await ship_replacement(r.id, "SF0004", actor=WAREHOUSE, clock=shop.clock)
    assert await snapshot(r.id) == before


async def test_a_payment_entered_on_a_stale_page_is_refused(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    await record_exchange_payment(r.id, D("10.00"), actor=FINANCE, clock=shop.clock)
    before = await snapshot(r.id)
    with pytest.raises(ConcurrentModification):
        await record_exchange_payment(
            r.id, D("10.00"), actor=FINANCE, clock=shop.clock, expected_version=r.version
        )
    assert await snapshot(r.id) == before
