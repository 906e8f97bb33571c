"""What the customer is told when money or goods move: a partial refund names what is still
owed, and an inspection that accepted fewer units than asked says what happens next."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.clock import FakeClock
from services.refunds import refund_return
from tests.factories import FINANCE, Shop, build_shop
from tests.services.test_returns import inspected, notes

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
