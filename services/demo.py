"""A believable demo shop: catalog, customers, two months of orders, returns in every status."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.expressions import F

from domain.clock import FakeClock
from domain.returns import Actor, Role
from models import Notification, Order, Product
from services.demo_returns import seed_returns
from services.imports import upsert_customers, upsert_orders, upsert_products
from services.outbox import Status
from services.policies import ensure_default_reasons, save_policy_rule
from services.staff import add_staff_user

Progress = Callable[[int], object]

CATALOG = {
    "apparel": [
        "Linen shirt",
        "Cotton tee",
        "Denim jacket",
        "Wool sweater",
        "Rain coat",
        "Silk scarf",
    ],
    "shoes": [
        "Running shoes",
        "Leather boots",
        "Canvas sneakers",
        "Slippers",
        "Sandals",
        "Loafers",
    ],
    "home": ["Ceramic mug", "Tea set", "Bamboo tray", "Desk lamp", "Throw pillow", "Wool blanket"],
    "electronics": [
        "Earbuds",
        "Power bank",
        "USB-C cable",
        "Smart plug",
        "Bluetooth speaker",
        "Webcam",
    ],
    "beauty": ["Face cream", "Lip balm", "Shampoo", "Hand soap", "Sunscreen", "Toothbrush"],
}
PRICES = {
    "apparel": (59, 399),
    "shoes": (99, 699),
    "home": (29, 299),
    "electronics": (19, 499),
    "beauty": (9, 129),
}
FAMILY = ["Wang", "Li", "Zhang", "Liu", "Chen", "Ivanova", "Petrov", "Smith", "Garcia", "Kim"]
GIVEN = ["Wei", "Fang", "Anna", "Dmitri", "Olga", "John", "Maria", "Jun", "Sasha", "Mei"]
LANGUAGE_BY_FAMILY = {"Ivanova": "ru", "Petrov": "ru", "Smith": "en", "Garcia": "en", "Kim": "en"}
CHANNELS = ["web", "web", "telegram", "telegram", "retail"]
DEMO_CUSTOMER_PHONE = "+8613800000000"  # the first demo customer (C0001)
STAFF_ACCOUNTS = {
    "admin": [Role.ADMIN],
    "reviewer": [Role.REVIEWER],
    "warehouse": [Role.WAREHOUSE],
    "finance": [Role.FINANCE],
}


@dataclass(frozen=True)
class DemoShop:
    passwords: dict[str, str]
    products: int
    customers: int
    orders: int
    returns: int


async def seed_demo(now: datetime, *, seed: int = 7, progress: Progress | None = None) -> DemoShop:
    """Fill an empty database with the demo shop as it stands at ``now``."""
    rng = random.Random(seed)
    clock = FakeClock(now - timedelta(days=60))
    system = Actor.system("demo")
    await ensure_default_reasons()
    await save_policy_rule("category", "beauty", {"returnable": False}, actor=_admin(), clock=clock)
    products, customers = _products(rng), _customers(rng)
    await upsert_products(products, actor=system, clock=clock)
    await upsert_customers(customers, actor=system)
    phones = [row["phone"] for _, row in customers]
    await upsert_orders(_orders(rng, now, [r for _, r in products], phones), actor=system)
    passwords, staff = await _staff()
    count = await seed_returns(rng, now, staff, progress)
    await _sent_in_the_past(now)
    return DemoShop(passwords, len(products), len(customers), await Order.all().count(), count)


async def _sent_in_the_past(now: datetime) -> None:
    """The seeded history's messages went out when it happened: the demo's staff chat starts
    with what is new, not weeks of old alerts (messages due later stay in the outbox)."""
    past = Notification.filter(status=Status.PENDING, due_at__lte=now)
    await past.update(status=Status.SENT, sent_at=F("due_at"))


def _admin() -> Actor:
    return Actor.staff(0, "demo", {Role.ADMIN})


def _products(rng: random.Random) -> list[tuple[int, dict[str, str]]]:
    rows = []
    for category, names in CATALOG.items():
        low, high = PRICES[category]
        for index, name in enumerate(names, start=1):
            price = Decimal(rng.randint(low, high)) - Decimal("0.10")
            rows.append({
                "sku": f"{category[:3].upper()}-{index:03d}",
                "name": name,
                "category": category,
                "price": str(price),
                "cost": str((price * Decimal("0.45")).quantize(Decimal("0.01"))),
                "stock": str(rng.randint(4, 40)),
                "low_stock_threshold": "5",
                "returnable": "true",
            })  # fmt: skip
    return list(enumerate(rows, start=2))


def _customers(rng: random.Random) -> list[tuple[int, dict[str, str]]]:
    rows = []
    for n in range(50):
        family, given = rng.choice(FAMILY), rng.choice(GIVEN)
        language = LANGUAGE_BY_FAMILY.get(family, "zh_Hans")
        rows.append({
            "external_id": f"C{n + 1:04d}",
            "name": f"{given} {family}",
            "phone": f"+79{n:09d}" if language == "ru" else f"+86138{n:08d}",
            "email": f"customer{n + 1}@example.com",
            "language": language,
        })  # fmt: skip
    return list(enumerate(rows, start=2))


def _orders(
    rng: random.Random, now: datetime, products: list[dict[str, str]], phones: list[str]
) -> list[tuple[int, dict[str, str]]]:
    rows = []
    for n in range(200):
        ordered = now - timedelta(days=60 - n * 0.29, hours=rng.randint(0, 12))
        delivered = ordered + timedelta(days=rng.randint(1, 4))
        header = {
            "order_number": f"SO-{n + 10001}",
            "customer_phone": rng.choice(phones),
            "channel": CHANNELS[n % len(CHANNELS)],
            "ordered_at": ordered.isoformat(),
            "delivered_at": delivered.isoformat() if delivered < now else "",
            "payment_method": rng.choice(["alipay", "wechat_pay", "card"]),
        }
        for product in rng.sample(products, rng.randint(1, 3)):
            rows.append({
                **header,
                "sku": product["sku"],
                "quantity": str(rng.choice([1, 1, 1, 2, 3])),
                "unit_price": product["price"],
            })  # fmt: skip
    return list(enumerate(rows, start=2))


async def _staff() -> tuple[dict[str, str], dict[str, Actor]]:
    passwords, actors = {}, {}
    for username, roles in STAFF_ACCOUNTS.items():
        password = secrets.token_urlsafe(12)
        user = await add_staff_user(username, password, roles)
        passwords[username] = password
        actors[username] = Actor.staff(user.id, username, set(roles))
    return passwords, actors


async def shop_is_empty() -> bool:
    """Tell whether the database has no products yet (the demo seeds only an empty shop)."""
    return not await Product.exists()
