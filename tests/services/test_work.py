"""The work waiting for each role and the requests past their SLA, counted in SQL and listed
by the queue's filters, on SQLite and PostgreSQL.

The shop's order SO-1 sold TEE-1 at 100.00, CAP-1 at 55.00 and MUG-1 at 80.00; TEE-2 costs
150.00 (a dearer replacement for a TEE-1), CAP-1 60.00 (a cheaper one).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.clock import FakeClock
from domain.returns import ReturnType, Role
from models import Order, OrderLine, ReturnRequest
from services.escalations import sla_breaches
from services.followup import reply_to_question
from services.policies import save_policy_rule
from services.queue import QueueFilter, list_returns
from services.refunds import (
    exchange_due,
    record_exchange_payment,
    refund_return,
    ship_replacement,
)
from services.review import ask_customer
from services.submission import LineRequest, ReturnDraft, submit_return
from services.views import ReturnView
from services.work import WORK, waiting_work
from tests.factories import (
    ADMIN,
    FINANCE,
    REVIEWER,
    WAREHOUSE,
    Shop,
    build_shop,
    customer_of,
    open_return,
    place_order,
)
from tests.services.test_returns import approved, inspected, received

ZONE = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    shop = await build_shop(clock)
    # enough units on SO-1 for one order to carry every kind of work at once
    await OrderLine.filter(order_id=shop.order.id).update(quantity=5)
    delivered = clock.now() - timedelta(days=1)
    items = [("TEE-1", 3, "100.00"), ("MUG-1", 2, "80.00")]
    await place_order(clock, "SO-2", shop.customer.phone, delivered, items, channel="telegram")
    return shop


async def listed(filters: QueueFilter) -> set[str]:
    return {row.number for row in (await list_returns(filters, zone=ZONE)).rows}


async def every_kind_of_work(shop: Shop) -> dict[str, set[str]]:
    """One or two requests waiting as each kind of work: their numbers by kind."""
    new = await open_return(shop, {"TEE-1": 1})
    answered = await open_return(shop, {"MUG-1": 1})
    await ask_customer(answered.id, "Which size?", actor=REVIEWER, clock=shop.clock)
    await reply_to_question(answered.id, "M", actor=customer_of(shop), clock=shop.clock)
    asked = await open_return(shop, {"MUG-1": 1})  # waits for the customer: nobody's work
    await ask_customer(asked.id, "Which colour?", actor=REVIEWER, clock=shop.clock)
    parcel = await approved(shop, {"MUG-1": 1})
    arrived = await received(shop, {"CAP-1": 1})
    to_refund = await inspected(shop, {"TEE-1": 1})
    dearer = {"kind": ReturnType.EXCHANGE, "replacement": "TEE-2"}
    owing = await inspected(shop, {"TEE-1": 1}, **dearer)  # owes 50.00
    cheaper = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    return {
        "review": {new.number, answered.number},
        "replies": {answered.number},
        "receive": {parcel.number},
        "inspect": {arrived.number},
        "ship": {cheaper.number},
        "refund": {to_refund.number},
        "payment": {owing.number},
    }


async def test_each_kind_of_work_counts_and_lists_the_requests_waiting_for_it(shop: Shop) -> None:
    expected = await every_kind_of_work(shop)
    waiting = await waiting_work(ADMIN)

    counts = {item.key: item.count for items in waiting.values() for item in items}
    assert counts == {key: len(numbers) for key, numbers in expected.items()}
    for key, numbers in expected.items():
        assert await listed(QueueFilter(work=key)) == numbers, key


async def test_each_role_sees_its_own_work_and_an_admin_sees_all_of_it(shop: Shop) -> None:
    await every_kind_of_work(shop)

    def kinds(waiting: dict) -> dict[str, list[str]]:
        return {str(role): [item.key for item in items] for role, items in waiting.items()}

    assert kinds(await waiting_work(REVIEWER)) == {"reviewer": ["review", "replies"]}
    assert kinds(await waiting_work(WAREHOUSE)) == {"warehouse": ["receive", "inspect", "ship"]}
    assert kinds(await waiting_work(FINANCE)) == {"finance": ["refund", "payment"]}
    assert [key for keys in kinds(await waiting_work(ADMIN)).values() for key in keys] == list(WORK)


async def test_a_paid_exchange_moves_from_finance_to_the_warehouse(shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    stored = await ReturnRequest.get(id=r.id)
    assert stored.exchange_due == await exchange_due(r.id) == Decimal("50.00")
    assert await listed(QueueFilter(work="payment")) == {r.number}

    await record_exchange_payment(r.id, Decimal("30.00"), actor=FINANCE, clock=shop.clock)
    assert (await ReturnRequest.get(id=r.id)).exchange_due == Decimal("20.00")
    assert await listed(QueueFilter(work="ship")) == set()

    await record_exchange_payment(r.id, Decimal("20.00"), actor=FINANCE, clock=shop.clock)
    assert (await ReturnRequest.get(id=r.id)).exchange_due == Decimal("0.00")
    assert await listed(QueueFilter(work="payment")) == set()
    assert await listed(QueueFilter(work="ship")) == {r.number}

    await ship_replacement(r.id, "SF0001", actor=WAREHOUSE, clock=shop.clock)
    assert await listed(QueueFilter(work="ship")) == set()


async def test_a_partly_refunded_request_stays_on_finances_list_until_it_is_paid(
    shop: Shop,
) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    assert (await ReturnRequest.get(id=r.id)).refund_due == Decimal("100.00")

    await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=Decimal("60.00"))
    assert (await ReturnRequest.get(id=r.id)).refund_due == Decimal("40.00")
    assert await listed(QueueFilter(work="refund")) == {r.number}
    assert [w.count for w in (await waiting_work(FINANCE))[Role.FINANCE] if w.key == "refund"] == [
        1
    ]

    await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    assert (await ReturnRequest.get(id=r.id)).refund_due == Decimal("0.00")
    assert await listed(QueueFilter(work="refund")) == set()


def breaches_by_stage(breaches: list) -> dict[str, int]:
    return {b.stage: b.count for b in breaches}


async def test_requests_past_their_stage_sla_are_counted_per_stage_and_listed(
    shop: Shop,
) -> None:
    start = shop.clock.now()
    review = await open_return(shop, {"MUG-1": 1})
    inspection = await received(shop, {"CAP-1": 1})
    refund = await inspected(shop, {"TEE-1": 1})
    none = {"review": 0, "inspection": 0, "refund": 0}

    assert breaches_by_stage(await sla_breaches(start + 24 * HOUR - HOUR / 60)) == none
    at_24 = start + 24 * HOUR
    assert breaches_by_stage(await sla_breaches(at_24)) == none | {"review": 1}
    at_72 = start + 72 * HOUR
    assert breaches_by_stage(await sla_breaches(at_72)) == {
        "review": 1,
        "inspection": 1,
        "refund": 1,
    }
    assert [(b.stage, b.hours) for b in await sla_breaches(at_72)] == [
        ("review", 24),
        ("inspection", 48),
        ("refund", 72),
    ]
    assert await listed(QueueFilter(late_at=at_24)) == {review.number}
    everything = {review.number, inspection.number, refund.number}
    assert await listed(QueueFilter(late_at=at_72)) == everything
    assert await listed(QueueFilter(status="received", late_at=at_72)) == {inspection.number}


async def telegram_return(shop: Shop) -> ReturnView:
    """A request on order SO-2, sold through the telegram channel."""
    order = await Order.get(number="SO-2")
    line = await OrderLine.get(order_id=order.id, product__sku="MUG-1")
    lines = (LineRequest(line.id, 1, None),)
    draft = ReturnDraft(order.id, ReturnType.REFUND, "quality_defect", lines, ("photo-1",))
    return await submit_return(draft, actor=customer_of(shop), clock=shop.clock)


async def test_a_channel_with_its_own_sla_is_held_to_it(shop: Shop) -> None:
    await save_policy_rule("channel", "telegram", {"sla_review_hours": 4}, actor=ADMIN)
    start = shop.clock.now()
    web = await open_return(shop, {"MUG-1": 1})
    telegram = await telegram_return(shop)

    at_5 = start + 5 * HOUR
    assert breaches_by_stage(await sla_breaches(at_5))["review"] == 1
    assert await listed(QueueFilter(late_at=at_5)) == {telegram.number}
    at_24 = start + 24 * HOUR
    assert breaches_by_stage(await sla_breaches(at_24))["review"] == 2
    assert await listed(QueueFilter(late_at=at_24)) == {web.number, telegram.number}
    assert (await sla_breaches(at_24))[0].hours == 24  # the shop's default, shown on the page
