"""Receiving parcels and inspecting their units: stock movements and the inspection entry.

Figures by hand from the factory: TEE-1 sold at 100.00, cost 40.00; CAP-1 sold at 55.00,
cost 20.00; TEE-2 (a replacement) 150.00, cost 60.00.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.clock import FakeClock
from domain.errors import ValidationError
from domain.ledger import Account
from domain.returns import ReturnType, Status
from models import JournalEntry, ReturnLine
from services.policies import save_policy_rule
from services.refunds import refundable_amount
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import ADMIN, WAREHOUSE, Shop, build_shop, open_return
from tests.services.test_returns import (
    approved,
    assert_books_true,
    cr,
    dr,
    entry,
    events,
    levels,
    movements,
    notes,
    received,
    snapshot,
    stock,
)


async def _lines(return_id: int) -> dict[str, ReturnLine]:
    lines = await ReturnLine.filter(request_id=return_id).prefetch_related("order_line__product")
    return {line.order_line.product.sku: line for line in lines}


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    return await build_shop(clock)


# --- receive: approved -> received ---------------------------------------------------------


async def test_receive_puts_counted_units_in_quarantine(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 2, "MUG-1": 1})
    lines = await _lines(r.id)

    r = await receive_return(
        r.id, {lines["TEE-1"].id: 2, lines["MUG-1"].id: 0}, actor=WAREHOUSE, clock=shop.clock
    )

    assert r.status is Status.RECEIVED
    assert (await events(r.id))[-1] == ("staff:wang", "receive", Status.APPROVED, Status.RECEIVED)
    assert await movements(r.id) == [("TEE-1", "receive", None, "quarantine", 2)]
    assert await levels(shop, "TEE-1") == stock(sellable=20, quarantine=2)
    assert await levels(shop, "MUG-1") == stock(sellable=10)
    lines = await _lines(r.id)
    assert (lines["TEE-1"].received_quantity, lines["MUG-1"].received_quantity) == (2, 0)
    [told] = await notes("return_received_short")  # the mug did not come: it is still theirs
    assert (told.customer_id, told.params["received"], told.params["asked"]) == (
        shop.customer.id,
        2,
        3,
    )
    assert await notes("return_received") == []
    assert await JournalEntry.all().count() == 0
    await assert_books_true()


async def test_a_complete_parcel_is_simply_received(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2})
    [told] = await notes("return_received")
    assert told.customer_id == shop.customer.id
    assert await notes("return_received_short") == []
    assert r.status is Status.RECEIVED


@pytest.mark.parametrize(
    ("counts", "code"),
    [
        ({"TEE-1": 3}, "invalid_quantity"),
        ({"TEE-1": 0}, "nothing_received"),
        ({"TEE-1": -1}, "invalid_quantity"),
    ],
)
async def test_impossible_receipt_is_refused(shop: Shop, counts: dict, code: str) -> None:
    r = await approved(shop, {"TEE-1": 2})
    lines = await _lines(r.id)
    before = await snapshot(r.id)
    with pytest.raises(ValidationError) as caught:
        await receive_return(
            r.id, {lines[s].id: n for s, n in counts.items()}, actor=WAREHOUSE, clock=shop.clock
        )
    assert caught.value.code == code
    assert await snapshot(r.id) == before


async def test_receipt_of_a_line_of_another_request_is_refused(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 1})
    other = await open_return(shop, {"MUG-1": 1})
    foreign = (await _lines(other.id))["MUG-1"].id
    before = await snapshot(r.id)
    with pytest.raises(ValidationError) as caught:
        await receive_return(r.id, {foreign: 1}, actor=WAREHOUSE, clock=shop.clock)
    assert (caught.value.code, caught.value.params) == (
        "return_line_not_found",
        {"line_id": foreign},
    )
    assert await snapshot(r.id) == before


# --- inspect: received -> inspected (or rejected) ----------------------------------------------


async def test_inspection_restocks_a_and_writes_off_b(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2})
    line = (await _lines(r.id))["TEE-1"]

    r = await inspect_return(
        r.id, {line.id: Grades(resellable=1, defective=1)}, actor=WAREHOUSE, clock=shop.clock
    )

    assert r.status is Status.INSPECTED
    assert (await events(r.id))[-1] == ("staff:wang", "inspect", Status.RECEIVED, Status.INSPECTED)
    assert (await movements(r.id))[1:] == [
        ("TEE-1", "restock", "quarantine", "sellable", 1),
        ("TEE-1", "write_off", "quarantine", "defective", 1),
    ]
    assert await levels(shop, "TEE-1") == stock(sellable=21, defective=1)
    # 2 x 100.00 back, cost 2 x 40.00 back to inventory, then 1 x 40.00 written off
    assert await entry(r.id, "Inspection") == {
        Account.SALES_RETURNS: dr("200.00"),
        Account.REFUNDS_PAYABLE: cr("200.00"),
        Account.INVENTORY: dr("40.00"),
        Account.COST_OF_GOODS_SOLD: cr("80.00"),
        Account.INVENTORY_WRITE_OFFS: dr("40.00"),
    }
    [told] = await notes("return_inspected")
    assert (told.params["accepted"], told.params["refused"]) == (2, 0)
    assert await refundable_amount(r.id) == Decimal("200.00")
    await assert_books_true()


async def test_refused_units_go_back_and_are_not_credited(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2})
    line = (await _lines(r.id))["TEE-1"]

    await inspect_return(
        r.id, {line.id: Grades(resellable=1, refused=1)}, actor=WAREHOUSE, clock=shop.clock
    )

    assert (await movements(r.id))[1:] == [
        ("TEE-1", "restock", "quarantine", "sellable", 1),
        ("TEE-1", "send_back", "quarantine", None, 1),
    ]
    assert await levels(shop, "TEE-1") == stock(sellable=21)
    assert await entry(r.id, "Inspection") == {
        Account.SALES_RETURNS: dr("100.00"),
        Account.REFUNDS_PAYABLE: cr("100.00"),
        Account.INVENTORY: dr("40.00"),
        Account.COST_OF_GOODS_SOLD: cr("40.00"),
    }
    [told] = await notes("return_inspected_refused")  # they go back; 100.00 is refunded
    assert (told.params["accepted"], told.params["refused"]) == (1, 1)


async def test_restocking_fee_is_kept_on_no_reason_return(shop: Shop) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    r = await received(shop, {"TEE-1": 2, "CAP-1": 1}, reason="changed_mind", photos=())
    lines = await _lines(r.id)

    await inspect_return(
        r.id,
        {lines["TEE-1"].id: Grades(resellable=2), lines["CAP-1"].id: Grades(defective=1)},
        actor=WAREHOUSE,
        clock=shop.clock,
    )

    # TEE-1: 200.00, fee 20.00; CAP-1 (paid 55.00): fee 5.50, cost 20.00 written off
    assert await entry(r.id, "Inspection") == {
        Account.SALES_RETURNS: dr("255.00"),
        Account.REFUNDS_PAYABLE: cr("229.50"),
        Account.RESTOCKING_FEES: cr("25.50"),
        Account.INVENTORY: dr("80.00"),
        Account.COST_OF_GOODS_SOLD: cr("100.00"),
        Account.INVENTORY_WRITE_OFFS: dr("20.00"),
    }
    assert await levels(shop, "CAP-1") == stock(sellable=4, defective=1)
    assert await refundable_amount(r.id) == Decimal("229.50")
    await assert_books_true()


async def test_no_restocking_fee_on_quality_return(shop: Shop) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    r = await received(shop, {"TEE-1": 1}, reason="quality_defect")
    line = (await _lines(r.id))["TEE-1"]
    await inspect_return(r.id, {line.id: Grades(resellable=1)}, actor=WAREHOUSE, clock=shop.clock)
    assert (await entry(r.id, "Inspection"))[Account.REFUNDS_PAYABLE] == cr("100.00")
    assert Account.RESTOCKING_FEES not in await entry(r.id, "Inspection")


async def test_fee_is_the_one_decided_at_submission(shop: Shop) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    r = await open_return(shop, {"TEE-1": 1}, reason="size_fit", photos=())
    await save_policy_rule("default", "", {"restocking_fee_percent": "0"}, actor=ADMIN)
    from services.review import approve_return
    from tests.factories import REVIEWER

    await approve_return(r.id, actor=REVIEWER, clock=shop.clock)
    line = (await _lines(r.id))["TEE-1"]
    await receive_return(r.id, {line.id: 1}, actor=WAREHOUSE, clock=shop.clock)
    await inspect_return(r.id, {line.id: Grades(resellable=1)}, actor=WAREHOUSE, clock=shop.clock)
    assert (await entry(r.id, "Inspection"))[Account.RESTOCKING_FEES] == cr("10.00")


async def test_all_refused_ends_rejected_and_releases_replacement(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    line = (await _lines(r.id))["TEE-1"]
    assert await levels(shop, "TEE-2") == stock(sellable=18, reserved=2)

    r = await inspect_return(r.id, {line.id: Grades(refused=2)}, actor=WAREHOUSE, clock=shop.clock)

    assert r.status is Status.REJECTED
    assert (await events(r.id))[-1] == ("staff:wang", "inspect", Status.RECEIVED, Status.REJECTED)
    assert await levels(shop, "TEE-2") == stock(sellable=20)
    assert await levels(shop, "TEE-1") == stock(sellable=20)
    assert (await movements(r.id))[2:] == [
        ("TEE-1", "send_back", "quarantine", None, 2),
        ("TEE-2", "release", "reserved", "sellable", 2),
    ]
    assert await JournalEntry.all().count() == 0
    assert len(await notes("return_refused_at_inspection")) == 1
    assert await notes("return_inspected") == []
    await assert_books_true()


async def test_partial_acceptance_releases_the_unused_replacement(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    line = (await _lines(r.id))["TEE-1"]

    await inspect_return(
        r.id, {line.id: Grades(resellable=1, refused=1)}, actor=WAREHOUSE, clock=shop.clock
    )

    assert await levels(shop, "TEE-2") == stock(sellable=19, reserved=1)
    assert ("TEE-2", "release", "reserved", "sellable", 1) in await movements(r.id)
    await assert_books_true()


async def test_units_never_received_release_their_replacement(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    line = (await _lines(r.id))["TEE-1"]
    await receive_return(r.id, {line.id: 1}, actor=WAREHOUSE, clock=shop.clock)

    await inspect_return(r.id, {line.id: Grades(resellable=1)}, actor=WAREHOUSE, clock=shop.clock)

    assert await levels(shop, "TEE-2") == stock(sellable=19, reserved=1)
    assert await levels(shop, "TEE-1") == stock(sellable=21)
    await assert_books_true()


@pytest.mark.parametrize(
    "grades",
    [Grades(resellable=1), Grades(resellable=2, refused=1), Grades(resellable=-1, defective=3)],
)
async def test_grades_must_match_units_received(shop: Shop, grades: Grades) -> None:
    r = await received(shop, {"TEE-1": 2})
    line = (await _lines(r.id))["TEE-1"]
    before = await snapshot(r.id)
    with pytest.raises(ValidationError):
        await inspect_return(r.id, {line.id: grades}, actor=WAREHOUSE, clock=shop.clock)
    assert await snapshot(r.id) == before


async def test_inspection_of_a_line_not_on_the_request_is_refused(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 1})
    line = (await _lines(r.id))["TEE-1"]
    other = await open_return(shop, {"MUG-1": 1})
    foreign = (await _lines(other.id))["MUG-1"].id
    before = await snapshot(r.id)
    for unknown in (foreign, 987654):
        grades = {line.id: Grades(resellable=1), unknown: Grades(resellable=1)}
        with pytest.raises(ValidationError) as caught:
            await inspect_return(r.id, grades, actor=WAREHOUSE, clock=shop.clock)
        assert (caught.value.code, caught.value.params) == (
            "return_line_not_found",
            {"line_id": unknown},
        )
    assert await snapshot(r.id) == before


async def test_inspecting_a_dearer_exchange_tells_the_customer_what_to_pay(shop: Shop) -> None:
    """TEE-1 (paid 100.00) for TEE-2 (150.00): once the T-shirt is accepted, 50.00 is due."""
    r = await received(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    line = (await _lines(r.id))["TEE-1"]

    await inspect_return(r.id, {line.id: Grades(resellable=1)}, actor=WAREHOUSE, clock=shop.clock)

    [due] = await notes("exchange_payment_due")
    assert due.params == {"number": r.number, "amount": "50.00"}


async def test_inspecting_a_cheaper_exchange_asks_no_payment(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    line = (await _lines(r.id))["TEE-1"]

    await inspect_return(r.id, {line.id: Grades(resellable=1)}, actor=WAREHOUSE, clock=shop.clock)

    assert await notes("exchange_payment_due") == []
