"""What the chat needs to know about a customer's orders: which can be returned, and why not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from tortoise.expressions import Q

from domain.policy import (
    Claim,
    ClaimLine,
    CustomerHistory,
    PolicyBook,
    ReasonClass,
    evaluate_policy,
    last_day,
)
from domain.stock import Location
from models import Order, OrderLine, Product, StockLevel
from services.policies import active_reasons
from services.submission import returnable_quantities

RECENT = timedelta(days=120)
MAX_ORDERS = 8
SHOWN_PRODUCTS = 10  # products named in the policy's "cannot be returned" line


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
    sku: str

    @property
    def offered(self) -> bool:
        """Whether the item step offers this line: returnable, with units left to return."""
        return self.returnable and self.available > 0


async def recent_orders(customer_id: int, now: datetime) -> list[Order]:
    """The customer's orders the chat offers: the recent ones, newest first."""
    return (
        await Order.filter(customer_id=customer_id, ordered_at__gte=now - RECENT)
        .order_by("-ordered_at", "-id")
        .limit(MAX_ORDERS)
    )


async def lines_by_order(orders: list[Order], book: PolicyBook) -> dict[int, list[LineChoice]]:
    """Each order's lines (by order id) with how many units can still be returned."""
    channels = {order.id: order.channel for order in orders}
    lines = (
        await OrderLine.filter(order_id__in=list(channels)).select_related("product").order_by("id")
    )
    held = await returnable_quantities([line.id for line in lines])
    choices: dict[int, list[LineChoice]] = {order_id: [] for order_id in channels}
    for line in lines:
        choices[line.order_id].append(_line_choice(line, channels[line.order_id], held, book))
    return choices


async def customer_order_lines(
    order_id: int, customer_id: int, book: PolicyBook
) -> tuple[Order, list[LineChoice]]:
    """One of the customer's orders and its lines (raises DoesNotExist if not theirs)."""
    lines = await (
        OrderLine.filter(order_id=order_id, order__customer_id=customer_id)
        .select_related("order", "product")
        .order_by("id")
    )
    if not lines:
        return await Order.get(id=order_id, customer_id=customer_id), []
    order = lines[0].order
    held = await returnable_quantities([line.id for line in lines])
    return order, [_line_choice(line, order.channel, held, book) for line in lines]


def is_returnable(product: Product, channel: str, book: PolicyBook) -> bool:
    """Whether the shop takes this product back from orders of ``channel``: the product's own
    mark, then the policy's rules for its channel, category and SKU."""
    return product.returnable and book.resolve(channel, product.category, product.sku).returnable


def _line_choice(
    line: OrderLine, channel: str, held: dict[int, int], book: PolicyBook
) -> LineChoice:
    product = line.product
    return LineChoice(
        order_line_id=line.id,
        name=product.name,
        unit_price=line.unit_price,
        available=line.quantity - held.get(line.id, 0),
        returnable=is_returnable(product, channel, book),
        category=product.category,
        sku=product.sku,
    )


def _refusal(
    order: Order, lines: list[LineChoice], until: datetime | None, now: datetime
) -> str | None:
    if order.delivered_at is None:
        return "not_delivered"
    if until is not None and now >= until:
        return "window_closed"
    if not any(line.returnable for line in lines):
        return "not_returnable"
    if not any(line.offered for line in lines):
        return "nothing_left"
    return None


async def reason_classes() -> frozenset[ReasonClass]:
    """The classes of the reasons a customer can choose now (each has its own window)."""
    return frozenset(ReasonClass(r.policy_class) for r in await active_reasons())


def _window_ends(
    order: Order,
    lines: list[LineChoice],
    book: PolicyBook,
    classes: frozenset[ReasonClass],
    now: datetime,
) -> datetime | None:
    """When the last of the order's offered lines stops being returnable for any reason:
    each line's window as the submission decides it (``evaluate_policy``, with the line's
    channel, category and SKU rules), for each class of reason, the latest of them."""
    offered = tuple(
        ClaimLine(
            line.order_line_id, line.sku, line.category, True, line.available, line.unit_price
        )
        for line in lines
        if line.offered
    )
    if order.delivered_at is None or not offered:
        return None
    claims = (Claim(order.channel, order.delivered_at, "", c, offered) for c in classes)
    decisions = (evaluate_policy(claim, CustomerHistory(), book, now) for claim in claims)
    ends = [line.window_ends_at for d in decisions for line in d.lines if line.window_ends_at]
    return max(ends, default=None)


def order_choice(
    order: Order,
    lines: list[LineChoice],
    book: PolicyBook,
    classes: frozenset[ReasonClass],
    now: datetime,
) -> OrderChoice:
    """The order, eligible (until the last day some item may still go back for some reason)
    or with the reason it is not."""
    until = _window_ends(order, lines, book, classes, now)
    last = last_day(until) if until else None
    refusal = _refusal(order, lines, until, now)
    return OrderChoice(order.id, order.number, order.ordered_at, last, refusal)


async def order_choices(customer_id: int, book: PolicyBook, now: datetime) -> list[OrderChoice]:
    """The customer's recent orders, each eligible or with the reason it is not."""
    orders = await recent_orders(customer_id, now)
    if not orders:
        return []
    lines, classes = await lines_by_order(orders, book), await reason_classes()
    return [order_choice(order, lines[order.id], book, classes, now) for order in orders]


async def not_returnable_names(book: PolicyBook, channel: str) -> str:
    """The products that cannot be returned from orders of ``channel``, by name, at most
    ``SHOWN_PRODUCTS`` of them: those marked so and those a category or SKU rule excludes.
    A category is named by its products, never by its key (the shop's data has no words
    for it in the customer's language)."""
    categories, skus = book.not_returnable(channel)
    candidates = await Product.filter(
        Q(returnable=False) | Q(sku__in=skus) | Q(category__in=categories)
    ).order_by("name", "id")
    names = [p.name for p in candidates if not is_returnable(p, channel, book)]
    more = ("…",) if len(names) > SHOWN_PRODUCTS else ()
    return ", ".join((*names[:SHOWN_PRODUCTS], *more))


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
