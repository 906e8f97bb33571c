"""A day or month filter means the shop's day (Asia/Shanghai here), on SQLite as on
PostgreSQL: SQLite compares times as text, so every time must go in as UTC text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.clock import FakeClock
from models import Order
from services.finance import list_refunds, period_report
from services.imports import upsert_orders
from services.queue import QueueFilter, list_returns
from services.refunds import refund_return
from services.sql import fetch
from tests.factories import FINANCE, SYSTEM, Shop, build_shop, open_return
from tests.services.test_returns import inspected

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 21:12 UTC on 5 November is 05:12 on 6 November in Shanghai
EARLY_ON_THE_6TH = datetime(2026, 11, 5, 21, 12, tzinfo=UTC)
THE_5TH, THE_6TH = date(2026, 11, 5), date(2026, 11, 6)


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    clock.set(EARLY_ON_THE_6TH.replace(day=1))
    return await build_shop(clock, delivered_days_ago=1)


async def test_a_refund_early_in_a_shop_day_counts_on_that_day(shop: Shop, clock: FakeClock):
    request = await inspected(shop, {"TEE-1": 1})
    clock.set(EARLY_ON_THE_6TH)
    await refund_return(request.id, actor=FINANCE, clock=clock)

    on_the_6th = await list_refunds(THE_6TH, THE_6TH, zone=SHANGHAI)
    on_the_5th = await list_refunds(THE_5TH, THE_5TH, zone=SHANGHAI)
    report_6th = await period_report(THE_6TH, THE_6TH, zone=SHANGHAI)
    report_5th = await period_report(THE_5TH, THE_5TH, zone=SHANGHAI)

    assert [row.return_id for row in on_the_6th.rows] == [request.id]
    assert on_the_5th.rows == []
    assert (report_6th.refund_count, report_5th.refund_count) == (1, 0)


async def test_a_request_opened_early_in_a_shop_day_is_in_that_days_queue(
    shop: Shop, clock: FakeClock
):
    clock.set(EARLY_ON_THE_6TH)
    request = await open_return(shop)

    on_the_6th = await list_returns(QueueFilter(since=THE_6TH, until=THE_6TH), zone=SHANGHAI)
    on_the_5th = await list_returns(QueueFilter(since=THE_5TH, until=THE_5TH), zone=SHANGHAI)

    assert [row.id for row in on_the_6th.rows] == [request.id]
    assert on_the_5th.rows == []


async def test_an_imported_order_time_is_stored_as_the_instant_it_names(db: str, shop: Shop):
    row = {
        "order_number": "SO-SHANGHAI",
        "customer_phone": shop.customer.phone,
        "channel": "web",
        "ordered_at": "2026-11-06T05:12:00",  # shop time: 21:12 UTC the day before
        "delivered_at": "2026-11-06T10:00:00-05:00",
        "sku": "TEE-1",
        "quantity": "1",
        "unit_price": "100.00",
        "payment_method": "card",
    }
    await upsert_orders([(2, row)], actor=SYSTEM)

    [stored] = await fetch(
        "SELECT ordered_at, delivered_at FROM customer_order WHERE number = $1", "SO-SHANGHAI"
    )
    if db == "sqlite":  # text, compared as text with every other time
        assert stored == {
            "ordered_at": "2026-11-05 21:12:00+00:00",
            "delivered_at": "2026-11-06 15:00:00+00:00",
        }
    order = await Order.get(number="SO-SHANGHAI")
    assert order.ordered_at == EARLY_ON_THE_6TH
    assert order.delivered_at == datetime(2026, 11, 6, 15, tzinfo=UTC)
