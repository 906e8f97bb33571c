"""Refund and exchange-payment forms on the request page: every bad amount is refused with
its own words and changes nothing; the refund form offers what is still owed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from domain.returns import ReturnType, Status
from models import Refund, ReturnRequest
from tests.backoffice.conftest import Desk
from tests.factories import Shop
from tests.security.conftest import everything
from tests.services.test_returns import inspected

REFUSED = '<p class="flash error" role="status">{}</p>'
NOT_MONEY = "Write the amount in plain digits, like 12.50 (no exponent, no words)."
NOT_POSITIVE = "The amount must be more than zero."
TOO_PRECISE = "An amount has at most 2 decimals (whole cents)."
TOO_LARGE = "The amount is too large: at most 999,999,999,999.99."
REQUIRED = "Enter an amount."
BAD_AMOUNTS = {
    "1e30": NOT_MONEY,
    "NaN": NOT_MONEY,
    "Infinity": NOT_MONEY,
    "fifty": NOT_MONEY,
    "1.234": TOO_PRECISE,
    "1000000000000": TOO_LARGE,
    "-5": NOT_POSITIVE,
    "0": NOT_POSITIVE,
    "0.00": NOT_POSITIVE,
    "": REQUIRED,
    "   ": REQUIRED,
}
BOTH_DATABASES = pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)


async def _post_amount(desk: Desk, request: ReturnRequest, action: str, amount: str) -> str:
    page = f"/returns/{request.id}"
    form = {"version": str(request.version), "amount": amount, "method": "original"}
    status, shown = await desk.post(f"{page}/{action}", form, page=page)
    assert status == 200  # back on the request page with words, never a 500
    return shown


@BOTH_DATABASES
@pytest.mark.parametrize(("amount", "message"), list(BAD_AMOUNTS.items()))
async def test_a_refund_amount_that_is_not_payable_is_refused_with_its_reason(
    desk: Desk, shop: Shop, amount: str, message: str
) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await desk.as_("fiona")
    before = await everything()

    shown = await _post_amount(desk, r, "refund", amount)

    assert REFUSED.format(message) in shown
    assert await everything() == before


@BOTH_DATABASES
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-8", NOT_POSITIVE),
        ("0", NOT_POSITIVE),
        ("1e30", NOT_MONEY),
        ("50.001", TOO_PRECISE),
        ("", REQUIRED),
    ],
)
async def test_an_exchange_payment_that_is_not_payable_is_refused_with_its_reason(
    desk: Desk, shop: Shop, amount: str, message: str
) -> None:
    r = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    await desk.as_("fiona")
    before = await everything()

    shown = await _post_amount(desk, r, "record_payment", amount)

    assert REFUSED.format(message) in shown
    assert "more than the customer owes" not in shown
    assert await everything() == before


async def test_the_refund_form_offers_what_is_still_owed_and_one_click_pays_it(
    desk: Desk, shop: Shop
) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await desk.as_("fiona")
    _, page = await desk.get(f"/returns/{r.id}")
    field = re.search(r'<input name="amount"[^>]*>', page)
    assert field is not None
    assert "required" in field.group(0)
    assert 'value="100.00"' in field.group(0)

    shown = await _post_amount(desk, r, "refund", "100.00")

    assert '<p class="flash ok" role="status">Done.</p>' in shown
    assert [x.amount for x in await Refund.filter(request_id=r.id)] == [Decimal("100.00")]
    assert (await ReturnRequest.get(id=r.id)).status == Status.REFUNDED


async def test_a_refund_over_what_is_owed_still_says_so(desk: Desk, shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await desk.as_("fiona")

    shown = await _post_amount(desk, r, "refund", "100.01")

    assert REFUSED.format("The refund is more than what is still owed to the customer.") in shown
    assert not await Refund.filter(request_id=r.id).exists()
