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


async def test_a_refused_refund_form_keeps_what_was_typed(desk: Desk, shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await desk.as_("fiona")
    page = f"/returns/{r.id}"
    form = {"version": str(r.version), "amount": "99999", "method": "bank_transfer"}
    form["reference"] = "BANK-2026-42"
    status, shown = await desk.post(f"{page}/refund", form, page=page)
    assert status == 200
    assert '<p class="flash error"' in shown
    refund_form = shown.split('class="card action-refund"', 1)[1].split("</form>", 1)[0]
    assert 'name="amount" inputmode="decimal" required value="99999"' in refund_form
    assert 'value="BANK-2026-42"' in refund_form
    assert '<option value="bank_transfer" selected>' in refund_form
    # once: the next visit offers what is owed again
    _, again = await desk.get(page)
    assert "BANK-2026-42" not in again
    assert 'required value="99999"' not in again


@pytest.mark.parametrize(("typed", "amount"), [("10,50", "10.50"), ("7,5", "7.50")])
async def test_a_decimal_comma_is_read_in_the_form(
    desk: Desk, shop: Shop, typed: str, amount: str
) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await desk.as_("fiona")
    shown = await _post_amount(desk, r, "refund", typed)
    assert '<p class="flash ok"' in shown
    assert [refund.amount for refund in await Refund.filter(request_id=r.id)] == [Decimal(amount)]


@pytest.mark.parametrize("typed", ["1,000", "1,000.50", "1.5,0", ",5", "10,505"])
async def test_a_comma_that_may_group_thousands_is_still_refused(
    desk: Desk, shop: Shop, typed: str
) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await desk.as_("fiona")
    shown = await _post_amount(desk, r, "refund", typed)
    assert REFUSED.format(NOT_MONEY) in shown
    assert await Refund.filter(request_id=r.id).count() == 0
