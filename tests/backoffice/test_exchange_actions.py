"""An inspected exchange's page offers only what can be done now: the customer's payment
while they owe the difference, the shipment once they owe nothing."""

from __future__ import annotations

from decimal import Decimal

from domain.clock import FakeClock
from domain.returns import ReturnType
from services.refunds import record_exchange_payment
from tests.backoffice.conftest import Desk
from tests.factories import FINANCE, Shop
from tests.services.test_returns import inspected

PAYMENT_FORM = "action-record_payment"
SHIPPING_FORM = "action-ship_replacement"
WAITING = "The replacement ships once the customer has paid the difference"


async def test_a_dearer_exchange_waits_for_the_payment_before_it_ships(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    """MUG-1 (paid 80.00) for TEE-2 (150.00): 70.00 to pay first."""
    r = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")

    await desk.as_("wang")
    _, warehouse = await desk.get(f"/returns/{r.id}")
    await desk.as_("fiona")
    _, finance = await desk.get(f"/returns/{r.id}")

    assert SHIPPING_FORM not in warehouse
    assert WAITING in warehouse
    assert PAYMENT_FORM in finance

    await record_exchange_payment(r.id, Decimal("70.00"), actor=FINANCE, clock=clock)
    await desk.as_("wang")
    _, warehouse = await desk.get(f"/returns/{r.id}")
    await desk.as_("fiona")
    _, finance = await desk.get(f"/returns/{r.id}")

    assert SHIPPING_FORM in warehouse
    assert WAITING not in warehouse
    assert PAYMENT_FORM not in finance


async def test_a_cheaper_exchange_ships_at_once_and_asks_no_payment(desk: Desk, shop: Shop) -> None:
    r = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")

    await desk.as_("wang")
    _, warehouse = await desk.get(f"/returns/{r.id}")
    await desk.as_("fiona")
    _, finance = await desk.get(f"/returns/{r.id}")

    assert SHIPPING_FORM in warehouse
    assert PAYMENT_FORM not in finance
