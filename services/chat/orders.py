"""What the chat needs to know about a customer's orders: which can be returned, and why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.policy import PolicyBook, ReasonClass, window_days, window_end
from domain.stock import Location
from models import Order, OrderLine, Product, StockLevel
from services.submission import returnable_quantities

RECENT = timedelta(days=120)
MAX_ORDERS = 8


@dataclass(frozen=True)
class OrderChoice:
    order_id: int
    number: str
    ordered_at: datetime
    last_day: date | None
    refusal: str | None

    @property
    def eligible(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True)
class LineChoice:
    order_line_id: int
    name: str
    unit_price: Decimal
    available: int
    returnable: bool
    category: str


async def line_choices(order: Order, book: PolicyBook) -> list[LineChoice]:
    """The order's lines with how many units can still be returned."""
    lines = await OrderLine.filter(order_id=order.id).prefetch_related("product").order_by("id")
    held = await returnable_quantities([line.id for line in lines])
    return [
        LineChoice(
            order_line_id=line.id,
            name=line.product.name,
            unit_price=line.unit_price,
            available=line.quantity - held.get(line.id, 0),
            returnable=line.product.returnable
            and book.resolve(order.channel, line.product.category, line.product.sku).returnable,
            category=line.product.category,
        )
        for line in lines
    ]


def _refusal(
    order: Order, lines: list[LineChoice], until: datetime | None, now: datetime
) -> str | None:
    if order.delivered_at is None:
        return "not_delivered"
    if until is not None and now >= until:
        return "window_closed"
    if not any(line.returnable for line in lines):
        return "not_returnable"
    if not any(line.available > 0 for line in lines if line.returnable):
        return "nothing_left"
    return None


async def order_choices(customer_id: int, book: PolicyBook, now: datetime) -> list[OrderChoice]:
    """The customer's recent orders, each eligible or with the reason it is not."""
    orders = (
        await Order.filter(customer_id=customer_id, ordered_at__gte=now - RECENT)
        .order_by("-ordered_at", "-id")
        .limit(MAX_ORDERS)
    )
    choices = []
    for order in orders:
        policy = book.resolve(order.channel)
        days = window_days(policy, ReasonClass.QUALITY)
        until = window_end(order.delivered_at, days, policy.zone) if order.delivered_at else None
        lines = await line_choices(order, book)
        last_day = (until - timedelta(seconds=1)).astimezone(policy.zone).date() if until else None
        refusal = _refusal(order, lines, until, now)
        choices.append(OrderChoice(order.id, order.number, order.ordered_at, last_day, refusal))
    return choices


async def replacement_options(line: OrderLine, quantity: int) -> list[Product]:
    """Active products of the same category with enough sellable stock for the exchange."""
    await line.fetch_related("product")
    in_stock = StockLevel.filter(location=Location.SELLABLE, quantity__gte=quantity).values_list(
        "product_id", flat=True
    )
    return (
        await Product.filter(category=line.product.category, active=True, id__in=await in_stock)
        .order_by("price")
        .limit(8)
    )
