"""Building a small shop for tests through the same import services the CLI uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from domain.clock import FakeClock
from domain.returns import Actor, ReturnType, Role
from models import Customer, Order, OrderLine, Product
from services.imports import upsert_customers, upsert_orders, upsert_products
from services.policies import ensure_default_reasons
from services.submission import LineRequest, ReturnDraft, submit_return

ADMIN = Actor.staff(1, "admin", {Role.ADMIN})
REVIEWER = Actor.staff(2, "rita", {Role.REVIEWER})
WAREHOUSE = Actor.staff(3, "wang", {Role.WAREHOUSE})
FINANCE = Actor.staff(4, "fiona", {Role.FINANCE})
SYSTEM = Actor.system()

PRODUCTS = [
    # sku, category, price, cost, stock, threshold, returnable
    ("TEE-1", "apparel", "100.00", "40.00", 20, 3, "true"),
    ("TEE-2", "apparel", "150.00", "60.00", 20, 3, "true"),
    ("CAP-1", "apparel", "60.00", "20.00", 4, 3, "true"),
    ("MUG-1", "home", "80.00", "30.00", 10, 2, "true"),
    ("SOAP-1", "hygiene", "20.00", "5.00", 50, 5, "false"),
]


@dataclass
class Shop:
    clock: FakeClock
    customer: Customer
    other: Customer
    order: Order
    lines: dict[str, OrderLine]
    products: dict[str, Product]


async def build_shop(clock: FakeClock, *, delivered_days_ago: int = 2) -> Shop:
    """Five products, two customers, one delivered order with four lines for the first."""
    await ensure_default_reasons()
    rows = [
        (
            n,
            dict(
                zip(
                    (
                        "sku",
                        "category",
                        "price",
                        "cost",
                        "stock",
                        "low_stock_threshold",
                        "returnable",
                    ),
                    p,
                    strict=True,
                ),
                name=f"Product {p[0]}",
            ),
        )
        for n, p in enumerate(PRODUCTS, start=2)
    ]
    await upsert_products(
        [(n, {k: str(v) for k, v in r.items()}) for n, r in rows], actor=ADMIN, clock=clock
    )
    await upsert_customers(
        [
            (2, {"name": "Li Lei", "phone": "+8613800000001", "language": "zh_Hans"}),
            (3, {"name": "Anna", "phone": "+79000000002", "language": "ru"}),
        ],
        actor=ADMIN,
    )
    now = clock.now()
    await place_order(
        clock,
        "SO-1",
        "+8613800000001",
        now - timedelta(days=delivered_days_ago),
        [
            ("TEE-1", 2, "100.00"),
            ("CAP-1", 1, "55.00"),
            ("MUG-1", 3, "80.00"),
            ("SOAP-1", 1, "20.00"),
        ],
    )
    order = await Order.get(number="SO-1").prefetch_related("lines__product")
    return Shop(
        clock=clock,
        customer=await Customer.get(phone="+8613800000001"),
        other=await Customer.get(phone="+79000000002"),
        order=order,
        lines={line.product.sku: line for line in order.lines},
        products={p.sku: p for p in await Product.all()},
    )


async def place_order(
    clock: FakeClock,
    number: str,
    phone: str,
    delivered_at: datetime | None,
    items: list[tuple[str, int, str]],
    channel: str = "web",
) -> None:
    ordered = (delivered_at or clock.now()) - timedelta(days=2)
    await upsert_orders(
        [
            (
                n,
                {
                    "order_number": number,
                    "customer_phone": phone,
                    "channel": channel,
                    "ordered_at": ordered.isoformat(),
                    "delivered_at": delivered_at.isoformat() if delivered_at else "",
                    "sku": sku,
                    "quantity": str(qty),
                    "unit_price": price,
                    "payment_method": "card",
                },
            )
            for n, (sku, qty, price) in enumerate(items, start=2)
        ],
        actor=ADMIN,
    )


def customer_of(shop: Shop) -> Actor:
    return Actor.customer(shop.customer.id)


async def open_return(
    shop: Shop,
    items: dict[str, int] | None = None,
    *,
    reason: str = "quality_defect",
    kind: ReturnType = ReturnType.REFUND,
    replacement: str | None = None,
    photos: tuple[str, ...] = ("photo-1",),
):
    items = items or {"TEE-1": 1}
    lines = tuple(
        LineRequest(
            shop.lines[sku].id,
            qty,
            shop.products[replacement].id if replacement else None,
        )
        for sku, qty in items.items()
    )
    draft = ReturnDraft(shop.order.id, kind, reason, lines, photos)
    return await submit_return(draft, actor=customer_of(shop), clock=shop.clock)


def money(text: str) -> Decimal:
    return Decimal(text)
