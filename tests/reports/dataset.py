"""A small shop with a known history, built through the services, for the report tests.

Times are UTC; the shop's months are Asia/Shanghai (UTC+8). Every expected figure in the
tests is worked out by hand from the story below.

Orders (sold units)::

    SO-1 web       Anna  ordered 2026-01-10       TEE-1 ×20 @100, MUG-1 ×4 @80
    SO-2 telegram  Li    ordered 2026-01-31 20:00 TEE-1 ×3 @100, TEE-2 ×2 @150
                         (= 1 February in Shanghai: a February sale)
    SO-3 web       Anna  ordered 2026-02-10       MUG-1 ×6 @80, SOAP-1 ×3 @20
    SO-4 telegram  Bo    ordered 2026-03-01       TEE-2 ×2 @150

Requests::

    R1 Anna SO-1  01-15 04:00  TEE-1 ×3 quality_defect, refund: approved +6 h,
                  received +66 h, inspected +30 h (2 A, 1 B), refunded +96 h (300.00),
                  closed +24 h; survey 4 "Quick refund" on 01-27
    R2 Anna SO-1  01-16 04:00  MUG-1 ×1 changed_mind: cancelled by her +4 h (void)
    R3 Li   SO-2  02-10 04:00  TEE-1 ×2 + TEE-2 ×1 quality_defect: approved +30 h
    R7 Li   SO-2  02-12 04:00  TEE-2 ×1 not_as_described: open
    R8 Li   SO-2  02-13 04:00  TEE-1 ×1 damaged_in_transit: open
    R4 Anna SO-3  02-14 04:00  MUG-1 ×2 wrong_item, exchange for MUG-1: approved +2 h,
                  received +46 h, inspected +24 h (2 A), replacement shipped +24 h
    R5 Bo   SO-4  03-04 04:00  TEE-2 ×1 quality_defect: rejected +6 h (void)
    R6 Bo   SO-4  03-05 04:00  TEE-2 ×1 quality_defect: open
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.clock import FakeClock
from domain.returns import Actor, ReturnType
from models import Customer, Order, OrderLine, Product, ReturnLine
from services.followup import submit_survey
from services.imports import upsert_customers, upsert_products
from services.policies import ensure_default_reasons
from services.refunds import refund_return, ship_replacement
from services.review import approve_return, cancel_return, close_return, reject_return
from services.submission import LineRequest, ReturnDraft, submit_return
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import ADMIN, FINANCE, REVIEWER, WAREHOUSE, place_order

PRODUCTS = [
    # sku, category, price, cost, returnable
    ("TEE-1", "apparel", "100.00", "40.00", "true"),
    ("TEE-2", "apparel", "150.00", "60.00", "true"),
    ("MUG-1", "home", "80.00", "30.00", "true"),
    ("SOAP-1", "hygiene", "20.00", "5.00", "false"),
]
PHONES = {"Li Lei": "+8613800000001", "Anna": "+79000000002", "Bo": "+8613800000003"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class History:
    clock: FakeClock
    customers: dict[str, Customer]
    numbers: dict[str, str]  # R1… → RMA number


async def build_history(clock: FakeClock) -> History:
    await ensure_default_reasons()
    await upsert_products(
        [
            (
                n,
                {
                    "sku": sku,
                    "name": f"Product {sku}",
                    "category": category,
                    "price": price,
                    "cost": cost,
                    "stock": "50",
                    "low_stock_threshold": "0",
                    "returnable": returnable,
                },
            )
            for n, (sku, category, price, cost, returnable) in enumerate(PRODUCTS, start=2)
        ],
        actor=ADMIN,
        clock=clock,
    )
    await upsert_customers(
        [(n, {"name": name, "phone": phone}) for n, (name, phone) in enumerate(PHONES.items(), 2)],
        actor=ADMIN,
    )
    orders = [
        (
            "SO-1",
            "Anna",
            "2026-01-12 04:00",
            "web",
            [("TEE-1", 20, "100.00"), ("MUG-1", 4, "80.00")],
        ),
        (
            "SO-2",
            "Li Lei",
            "2026-02-02 20:00",
            "telegram",
            [("TEE-1", 3, "100.00"), ("TEE-2", 2, "150.00")],
        ),
        (
            "SO-3",
            "Anna",
            "2026-02-12 04:00",
            "web",
            [("MUG-1", 6, "80.00"), ("SOAP-1", 3, "20.00")],
        ),
        ("SO-4", "Bo", "2026-03-03 04:00", "telegram", [("TEE-2", 2, "150.00")]),
    ]
    for number, who, delivered, channel, items in orders:
        await place_order(clock, number, PHONES[who], at(delivered), items, channel=channel)
    customers = {name: await Customer.get(phone=phone) for name, phone in PHONES.items()}
    history = History(clock, customers, {})
    await _requests(history)
    return history


async def _submit(
    history: History,
    label: str,
    when: str,
    who: str,
    order: str,
    items: dict[str, int],
    reason: str,
    kind: ReturnType = ReturnType.REFUND,
) -> int:
    history.clock.set(at(when))
    order_row = await Order.get(number=order)
    lines = {
        line.product.sku: line
        for line in await OrderLine.filter(order=order_row).prefetch_related("product")
    }
    replacement = {}
    if kind is ReturnType.EXCHANGE:
        replacement = {sku: (await Product.get(sku=sku)).id for sku in items}
    draft = ReturnDraft(
        order_row.id,
        kind,
        reason,
        tuple(LineRequest(lines[sku].id, qty, replacement.get(sku)) for sku, qty in items.items()),
        ("photo-1",),
    )
    view = await submit_return(
        draft, actor=Actor.customer(history.customers[who].id), clock=history.clock
    )
    history.numbers[label] = view.number
    return view.id


async def _after(history: History, hours: int) -> FakeClock:
    history.clock.advance(timedelta(hours=hours))
    return history.clock


async def _lines(return_id: int) -> list[ReturnLine]:
    return await ReturnLine.filter(request_id=return_id).order_by("id")


async def _requests(history: History) -> None:
    anna = Actor.customer(history.customers["Anna"].id)
    # R1: the whole way, with a defective unit, an SLA breach at refund, and a survey
    r1 = await _submit(
        history, "R1", "2026-01-15 04:00", "Anna", "SO-1", {"TEE-1": 3}, "quality_defect"
    )
    await approve_return(r1, actor=REVIEWER, clock=await _after(history, 6))
    (line,) = await _lines(r1)
    await receive_return(r1, {line.id: 3}, actor=WAREHOUSE, clock=await _after(history, 66))
    await inspect_return(
        r1,
        {line.id: Grades(resellable=2, defective=1)},
        actor=WAREHOUSE,
        clock=await _after(history, 30),
    )
    await refund_return(r1, actor=FINANCE, clock=await _after(history, 96))
    await close_return(r1, actor=FINANCE, clock=await _after(history, 24))
    history.clock.set(at("2026-01-27 04:00"))
    await submit_survey(r1, 4, "Quick refund", actor=anna, clock=history.clock)
    # R2: cancelled by the customer (void)
    r2 = await _submit(
        history, "R2", "2026-01-16 04:00", "Anna", "SO-1", {"MUG-1": 1}, "changed_mind"
    )
    await cancel_return(r2, actor=anna, clock=await _after(history, 4))
    # Li's three requests on SO-2
    r3 = await _submit(
        history,
        "R3",
        "2026-02-10 04:00",
        "Li Lei",
        "SO-2",
        {"TEE-1": 2, "TEE-2": 1},
        "quality_defect",
    )
    await approve_return(r3, actor=REVIEWER, clock=await _after(history, 30))
    await _submit(
        history, "R7", "2026-02-12 04:00", "Li Lei", "SO-2", {"TEE-2": 1}, "not_as_described"
    )
    await _submit(
        history, "R8", "2026-02-13 04:00", "Li Lei", "SO-2", {"TEE-1": 1}, "damaged_in_transit"
    )
    # R4: an exchange of equal value, shipped
    r4 = await _submit(
        history,
        "R4",
        "2026-02-14 04:00",
        "Anna",
        "SO-3",
        {"MUG-1": 2},
        "wrong_item",
        ReturnType.EXCHANGE,
    )
    await approve_return(r4, actor=REVIEWER, clock=await _after(history, 2))
    (line,) = await _lines(r4)
    await receive_return(r4, {line.id: 2}, actor=WAREHOUSE, clock=await _after(history, 46))
    await inspect_return(
        r4, {line.id: Grades(resellable=2)}, actor=WAREHOUSE, clock=await _after(history, 24)
    )
    await ship_replacement(r4, "TRACK-0001", actor=WAREHOUSE, clock=await _after(history, 24))
    # R5 rejected (void), R6 open
    r5 = await _submit(
        history, "R5", "2026-03-04 04:00", "Bo", "SO-4", {"TEE-2": 1}, "quality_defect"
    )
    await reject_return(r5, "Worn", actor=REVIEWER, clock=await _after(history, 6))
    await _submit(history, "R6", "2026-03-05 04:00", "Bo", "SO-4", {"TEE-2": 1}, "quality_defect")
