"""The rollups always equal a full recomputation from the base tables.

Hypothesis draws random sequences of service calls — orders (and re-imports that move an
order to another channel or month), submissions, every action on a request, surveys,
the clock moving — many of which the services refuse; after each sequence the stored
rollups must equal what the fact queries sum afresh, and a rebuild must change nothing.
"""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.clock import FakeClock
from domain.errors import DomainError
from domain.returns import Actor, ReturnType
from models import Order, OrderLine, ReturnLine, ReturnRequest
from services.followup import submit_survey
from services.imports import ImportRejected, upsert_orders
from services.refunds import refund_return, ship_replacement
from services.review import (
    approve_return,
    cancel_return,
    close_return,
    expire_return,
    reject_return,
)
from services.rollups import expected_rollups, rebuild_rollups, stored_rollups
from services.submission import LineRequest, ReturnDraft, submit_return
from services.warehouse import Grades, inspect_return, receive_return
from tests.conftest import fresh_database
from tests.factories import ADMIN, FINANCE, REVIEWER, WAREHOUSE, build_shop

CHANNELS = ("web", "telegram", "wechat")
SKUS = ("TEE-1", "TEE-2", "CAP-1", "MUG-1")
REASONS = ("quality_defect", "changed_mind", "wrong_item")
ACTIONS = (
    "approve",
    "reject",
    "cancel",
    "expire",
    "receive",
    "receive_short",
    "inspect_some",
    "inspect_mixed",
    "inspect_none",
    "refund",
    "ship",
    "close",
    "survey",
)

orders = st.tuples(
    st.just("order"),
    st.sampled_from(CHANNELS),
    st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3),
)
reimports = st.tuples(
    st.just("reimport"), st.integers(0, 5), st.sampled_from(CHANNELS), st.integers(-40, 40)
)
submissions = st.tuples(
    st.just("submit"),
    st.integers(0, 5),
    st.sampled_from(REASONS),
    st.booleans(),
    st.integers(1, 3),
)
actions = st.tuples(st.just("act"), st.integers(0, 8), st.sampled_from(ACTIONS))
ticks = st.tuples(st.just("tick"), st.integers(1, 24 * 20))
steps = st.lists(st.one_of(orders, reimports, submissions, actions, ticks), max_size=25)


async def _order_rows(number, phone, channel, ordered, items):
    return [
        (
            n,
            {
                "order_number": number,
                "customer_phone": phone,
                "channel": channel,
                "ordered_at": ordered.isoformat(),
                "delivered_at": (ordered + timedelta(days=1)).isoformat(),
                "sku": sku,
                "quantity": str(qty),
                "unit_price": price,
                "payment_method": "card",
            },
        )
        for n, (sku, qty, price) in enumerate(items, start=2)
    ]


async def _place(shop, step, count):
    _, channel, items = step
    merged = {}
    for sku, qty in items:
        merged[sku] = merged.get(sku, 0) + qty
    rows = [(sku, qty, str(shop.products[sku].price)) for sku, qty in merged.items()]
    now = shop.clock.now() - timedelta(days=1)
    phone = shop.customer.phone
    await upsert_orders(await _order_rows(f"H-{count}", phone, channel, now, rows), actor=ADMIN)


async def _reimport(shop, step):
    _, index, channel, days = step
    found = await Order.all().order_by("id").offset(index).first()
    if found is None:
        return
    lines = await OrderLine.filter(order=found).prefetch_related("product")
    items = [(line.product.sku, line.quantity, str(line.unit_price)) for line in lines]
    ordered = found.ordered_at + timedelta(days=days)
    customer = await found.customer
    rows = await _order_rows(found.number, customer.phone, channel, ordered, items)
    with contextlib.suppress(ImportRejected):
        await upsert_orders(rows, actor=ADMIN)


async def _submit(shop, step):
    _, index, reason, exchange, qty = step
    found = await Order.filter(customer_id=shop.customer.id).order_by("id").offset(index).first()
    if found is None:
        return
    lines = await OrderLine.filter(order=found).order_by("id").prefetch_related("product")
    kind = ReturnType.EXCHANGE if exchange else ReturnType.REFUND
    draft = ReturnDraft(
        found.id,
        kind,
        reason,
        tuple(
            LineRequest(line.id, min(qty, line.quantity), line.product_id if exchange else None)
            for line in lines[:2]
        ),
        ("photo-1",),
    )
    await submit_return(draft, actor=Actor.customer(shop.customer.id), clock=shop.clock)


async def _act(shop, step):
    _, index, action = step
    request = await ReturnRequest.all().order_by("id").offset(index).first()
    if request is None:
        return
    rid, clock = request.id, shop.clock
    lines = await ReturnLine.filter(request_id=rid).order_by("id")
    customer = Actor.customer(request.customer_id)
    calls = {
        "approve": lambda: approve_return(rid, actor=REVIEWER, clock=clock),
        "reject": lambda: reject_return(rid, "no", actor=REVIEWER, clock=clock),
        "cancel": lambda: cancel_return(rid, actor=customer, clock=clock),
        "expire": lambda: expire_return(rid, clock=clock),
        "receive": lambda: receive_return(
            rid, {line.id: line.quantity for line in lines}, actor=WAREHOUSE, clock=clock
        ),
        "receive_short": lambda: receive_return(  # a unit of the first line did not come
            rid,
            {line.id: line.quantity - (n == 0) for n, line in enumerate(lines)},
            actor=WAREHOUSE,
            clock=clock,
        ),
        "inspect_some": lambda: inspect_return(
            rid,
            {
                line.id: Grades(
                    resellable=line.received_quantity // 2,
                    defective=line.received_quantity - line.received_quantity // 2,
                )
                for line in lines
            },
            actor=WAREHOUSE,
            clock=clock,
        ),
        "inspect_mixed": lambda: inspect_return(  # a unit of the first line refused
            rid,
            {
                line.id: Grades(
                    resellable=line.received_quantity - min(int(n == 0), line.received_quantity),
                    refused=min(int(n == 0), line.received_quantity),
                )
                for n, line in enumerate(lines)
            },
            actor=WAREHOUSE,
            clock=clock,
        ),
        "inspect_none": lambda: inspect_return(
            rid,
            {line.id: Grades(refused=line.received_quantity) for line in lines},
            actor=WAREHOUSE,
            clock=clock,
        ),
        "refund": lambda: refund_return(rid, actor=FINANCE, clock=clock),
        "ship": lambda: ship_replacement(rid, "TRACK-1234", actor=WAREHOUSE, clock=clock),
        "close": lambda: close_return(rid, actor=FINANCE, clock=clock),
        "survey": lambda: submit_survey(rid, 3, "ok", actor=customer, clock=clock),
    }
    await calls[action]()


async def _run(kind, sequence):
    async with fresh_database(kind):
        shop = await build_shop(FakeClock(datetime(2026, 1, 28, 4, 0, tzinfo=UTC)))
        for count, step in enumerate(sequence):
            try:
                if step[0] == "order":
                    await _place(shop, step, count)
                elif step[0] == "reimport":
                    await _reimport(shop, step)
                elif step[0] == "submit":
                    await _submit(shop, step)
                elif step[0] == "act":
                    await _act(shop, step)
                else:
                    shop.clock.advance(timedelta(hours=step[1]))
            except DomainError:
                pass  # refused: changes nothing, rollups included
        stored = await stored_rollups()
        assert stored == await expected_rollups()
        await rebuild_rollups()
        assert await stored_rollups() == stored
        return sorted(str(r.status) for r in await ReturnRequest.all())


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sequence=steps)
def test_rollups_equal_a_recomputation_after_any_sequence_sqlite(sequence):
    asyncio.run(_run("sqlite", sequence))


@pytest.mark.postgres
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=steps)
def test_rollups_equal_a_recomputation_after_any_sequence_postgres(sequence):
    asyncio.run(_run("postgres", sequence))


def test_a_fixed_busy_sequence_keeps_the_rollups_equal():
    """One long sequence that surely reaches every hook (hypothesis may not draw it)."""
    sequence = [
        ("order", "web", [("TEE-1", 3), ("MUG-1", 2)]),
        ("submit", 1, "quality_defect", False, 1),
        ("act", 0, "approve"),
        ("tick", 30),
        ("act", 0, "receive"),
        ("act", 0, "inspect_mixed"),
        ("tick", 80),
        ("act", 0, "refund"),
        ("act", 0, "close"),
        ("act", 0, "survey"),
        ("submit", 1, "wrong_item", True, 1),
        ("act", 1, "approve"),
        ("act", 1, "receive"),
        ("act", 1, "inspect_some"),
        ("act", 1, "ship"),
        ("submit", 0, "quality_defect", False, 1),
        ("act", 2, "cancel"),
        ("submit", 0, "quality_defect", False, 1),
        ("act", 3, "approve"),
        ("act", 3, "receive_short"),
        ("act", 3, "inspect_none"),
        ("submit", 0, "quality_defect", False, 1),
        ("act", 4, "reject"),
        ("reimport", 1, "telegram", 40),
        ("reimport", 0, "wechat", -40),
    ]
    statuses = asyncio.run(_run("sqlite", sequence))
    assert statuses == ["cancelled", "closed", "exchanged", "rejected", "rejected"]
