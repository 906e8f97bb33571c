"""What the customer is told when money or goods move: a partial refund names what is still
owed, and an inspection that accepted fewer units than asked says what happens next."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.clock import FakeClock
from domain.returns import ReturnType
from services.refunds import refund_return
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import FINANCE, WAREHOUSE, Shop, build_shop
from tests.services.test_returns import approved, inspected, notes, only_line, received

D = Decimal


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    return await build_shop(clock)


async def test_a_partial_refund_tells_the_customer_what_is_still_owed(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 2})

    await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("80.00"))

    [told] = await notes("refund_issued_partly")
    assert told.params == {
        "number": r.number,
        "amount": "80.00",
        "method": "original",
        "due": "120.00",
    }
    assert await notes("refund_issued") == []


async def test_the_rest_of_a_partial_refund_is_announced_as_the_end(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 2})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=D("80.00"))

    await refund_return(r.id, actor=FINANCE, clock=shop.clock)

    [told] = await notes("refund_issued")
    assert (told.params["amount"], "due" in told.params) == ("120.00", False)
    assert len(await notes("refund_issued_partly")) == 1


async def test_a_refund_with_refused_units_says_they_go_back_and_what_is_refunded(
    shop: Shop,
) -> None:
    r = await received(shop, {"TEE-1": 2})
    line = await only_line(r.id)
    grades = {line.id: Grades(resellable=1, refused=1)}

    await inspect_return(r.id, grades, actor=WAREHOUSE, clock=shop.clock)

    [told] = await notes("return_inspected_refused")
    assert told.params == {"number": r.number, "accepted": 1, "refused": 1, "due": "100.00"}
    assert await notes("return_inspected") == []


async def test_an_exchange_with_refused_units_says_the_replacement_is_cut(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    line = await only_line(r.id)
    grades = {line.id: Grades(resellable=1, refused=1)}

    await inspect_return(r.id, grades, actor=WAREHOUSE, clock=shop.clock)

    [told] = await notes("return_inspected_exchange_refused")
    assert told.params == {"number": r.number, "accepted": 1, "refused": 1, "asked": 2}


async def test_an_exchange_short_of_units_says_the_replacement_is_cut(shop: Shop) -> None:
    r = await approved(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    line = await only_line(r.id)
    await receive_return(r.id, {line.id: 1}, actor=WAREHOUSE, clock=shop.clock)

    await inspect_return(r.id, {line.id: Grades(resellable=1)}, actor=WAREHOUSE, clock=shop.clock)

    [told] = await notes("return_inspected_exchange_short")
    assert told.params == {"number": r.number, "accepted": 1, "refused": 0, "asked": 2}


async def test_an_exchange_accepted_whole_is_told_as_before(shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 2}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    line = await only_line(r.id)

    await inspect_return(r.id, {line.id: Grades(resellable=2)}, actor=WAREHOUSE, clock=shop.clock)

    [told] = await notes("return_inspected")
    assert (told.params["accepted"], told.params["refused"]) == (2, 0)
