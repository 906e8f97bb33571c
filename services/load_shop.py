"""The shop that load runs walk through (bench/chat.py, tests/production): two products and
``customers`` customers with one delivered order each (TEE-1 ×2, MUG-1 ×1), made by the
import services as a shop's own files would be."""

from __future__ import annotations

from datetime import timedelta

from domain.clock import SystemClock
from domain.returns import Actor, Role
from services.imports import upsert_customers, upsert_orders, upsert_products
from services.policies import ensure_default_reasons

PRODUCTS = (("TEE-1", "apparel", "100.00", "40.00"), ("MUG-1", "home", "80.00", "30.00"))
ORDER = (("TEE-1", 2, "100.00"), ("MUG-1", 1, "80.00"))
# One customer's refund through the chat, step by step: (action, argument, replies the desk
# sends for it). A press names its button by ``verb[:argument]``.
REFUND_WALK: tuple[tuple[str, str, int], ...] = (
    ("command", "start", 1),
    ("contact", "", 2),  # "linked" and the help text
    ("command", "new", 1),
    ("press", "order", 1),
    ("press", "item", 1),  # TEE-1, two units bought: the quantity step follows
    ("press", "qty:1", 1),
    ("press", "items_done", 1),
    ("press", "reason:quality_defect", 1),
    ("press", "type:refund", 1),
    ("photo", "", 1),
    ("press", "photos_done", 1),
    ("text", "The seam is torn", 1),
    ("press", "confirm", 1),
)


def shopper_phone(n: int) -> str:
    """Customer ``n``'s phone number."""
    return f"+86139{n:08d}"


async def seed_load_shop(customers: int, *, stock: int) -> None:
    """The products (``stock`` units each), the customers and their orders, delivered two
    days ago."""
    admin = Actor.staff(1, "admin", {Role.ADMIN})
    clock = SystemClock()
    await ensure_default_reasons()
    products = [
        (
            n,
            {"sku": sku, "name": f"Product {sku}", "category": category, "price": price}
            | {"cost": cost, "stock": str(stock), "low_stock_threshold": "3"}
            | {"returnable": "true"},
        )
        for n, (sku, category, price, cost) in enumerate(PRODUCTS, start=2)
    ]
    await upsert_products(products, actor=admin, clock=clock)
    people = [
        (n + 2, {"name": f"Customer {n}", "phone": shopper_phone(n), "language": "en"})
        for n in range(customers)
    ]
    await upsert_customers(people, actor=admin)
    delivered = clock.now() - timedelta(days=2)
    ordered = delivered - timedelta(days=2)
    lines: list[tuple[int, dict[str, str]]] = []
    for n in range(customers):
        for sku, quantity, price in ORDER:
            row = {"order_number": f"SO-{n}", "customer_phone": shopper_phone(n)}
            row |= {"channel": "web", "payment_method": "card"}
            row |= {"ordered_at": ordered.isoformat(), "delivered_at": delivered.isoformat()}
            row |= {"sku": sku, "quantity": str(quantity), "unit_price": price}
            lines.append((len(lines) + 2, row))
    await upsert_orders(lines, actor=admin)
