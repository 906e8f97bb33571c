"""What staff read: the queue of requests, one request in full, the dashboard's counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from domain.errors import NotFound
from domain.policy import PolicyDecision
from domain.returns import OPEN_STATUSES, Action, Actor, ReturnType, Status, allowed_actions
from domain.stock import Location
from models import (
    Attachment,
    Customer,
    Message,
    Order,
    Refund,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    StatusRollup,
    StockLevel,
)
from services.assignment import Assignment, assignment_of
from services.escalations import overdue_filter
from services.keyset import NEWEST_FIRST, cursor_of, older_than
from services.policies import load_policy_book
from services.refunds import exchange_due, refundable_amount
from services.sql import fits
from services.work import work_filter

PAGE_SIZE = 50
NAMED_AT_MOST = 500  # customers a name search looks up by id; more: it checks the queue's rows


@dataclass(frozen=True)
class QueueFilter:
    """What a staff member asked the queue for; empty fields do not filter."""

    status: str = ""
    reason: str = ""
    type: str = ""
    channel: str = ""
    assignee: int | None = None
    unassigned: bool = False
    since: date | None = None
    until: date | None = None
    search: str = ""
    work: str = ""  # a kind of work waiting (a key of services.work.WORK)
    late_at: datetime | None = None  # past their stage's SLA at this moment


@dataclass(frozen=True)
class QueueRow:
    id: int
    number: str
    status: Status
    type: str
    reason_code: str
    customer_name: str
    order_number: str
    channel: str
    created_at: datetime
    status_changed_at: datetime
    assignee: str  # the assigned staff member's user name, or ""


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None


def _phone(digits: str) -> Q:
    """A phone as staff type it: international (+86…, 0086…) exactly; national (13800000000,
    07700 900123: no country code, maybe a trunk 0) by how the stored E.164 number ends."""
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+"):
        return Q(customer__phone=digits)
    ending = Customer.filter(phone__endswith=digits.lstrip("0")).values("id")
    return Q(customer_id__in=Subquery(ending))


async def _search(text: str) -> Q:
    text = text.strip()
    if text.upper().startswith("RMA-"):
        # no RMA number is longer than the column; a longer text matches nothing
        return Q(number=text.upper()) if fits(ReturnRequest, "number", text) else Q(id__in=[])
    digits = text.replace(" ", "").replace("-", "")
    if digits.lstrip("+").isdigit() and len(digits) >= 7:
        return _phone(digits)
    numbered = (
        await Order.filter(number=text).values_list("id", flat=True)
        if fits(Order, "number", text)
        else []
    )
    named = (
        await Customer.filter(name__icontains=text)
        .limit(NAMED_AT_MOST + 1)
        .values_list("id", flat=True)
    )
    if len(named) > NAMED_AT_MOST:
        # So common a word that the newest matches come soon: walk the queue newest first
        # and check each row against the (hashed) set of matching customers.
        every = Subquery(Customer.filter(name__icontains=text).values("id"))
        return Q(customer_id__in=every) | Q(order_id__in=numbered)
    # A few customers (found by the trigram index): their returns by the indexed keys.
    return Q(customer_id__in=named) | Q(order_id__in=numbered)


def _exact(query: QueueFilter) -> Q:
    exact = {
        "status": query.status,
        "reason_code": query.reason,
        "type": query.type,
        "order__channel": query.channel,
    }
    return Q(**{k: v for k, v in exact.items() if v})


def _assigned(query: QueueFilter) -> Q:
    if query.unassigned:
        return Q(assigned_to_id__isnull=True)
    return Q() if query.assignee is None else Q(assigned_to_id=query.assignee)


def _opened(query: QueueFilter, zone: ZoneInfo) -> Q:
    opened = Q()
    if query.since:
        opened &= Q(created_at__gte=datetime.combine(query.since, time(0), zone))
    if query.until:
        opened &= Q(created_at__lt=datetime.combine(query.until + timedelta(days=1), time(0), zone))
    return opened


async def _derived(query: QueueFilter) -> Q:
    """The sets other services define: a kind of work waiting, requests past their SLA."""
    derived = work_filter(query.work) if query.work else Q()
    if query.late_at is not None:
        late = overdue_filter(query.late_at, await load_policy_book())
        derived &= Q(id__in=Subquery(ReturnRequest.filter(late).values("id")))
    return derived


async def _filtered(query: QueueFilter, zone: ZoneInfo) -> Any:
    found = ReturnRequest.filter(
        _exact(query), _assigned(query), _opened(query, zone), await _derived(query)
    )
    if query.search.strip():
        found = found.filter(await _search(query.search))
    return found


async def list_returns(
    query: QueueFilter, *, zone: ZoneInfo, cursor: str | None = None, size: int = PAGE_SIZE
) -> QueuePage:
    """One page of the queue, newest first."""
    rows = (
        await (await _filtered(query, zone))
        .filter(older_than(cursor))
        .order_by(*NEWEST_FIRST)
        .limit(size + 1)
        .select_related("customer", "order", "assigned_to")
    )
    page = [
        QueueRow(
            r.id,
            r.number,
            Status(r.status),
            str(r.type),
            r.reason_code,
            r.customer.name,
            r.order.number,
            r.order.channel,
            r.created_at,
            r.status_changed_at,
            r.assigned_to.username if r.assigned_to else "",
        )
        for r in rows[:size]
    ]
    more = len(rows) > size
    next_cursor = cursor_of(page[-1].created_at, page[-1].id) if more and page else None
    return QueuePage(page, next_cursor)


@dataclass(frozen=True)
class LineView:
    id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    replacement: str
    replacement_price: Decimal | None
    received: int
    resellable: int
    defective: int
    refused: int


@dataclass(frozen=True)
class ReturnDetail:
    request: ReturnRequest
    customer_name: str
    customer_phone: str
    order_number: str
    channel: str
    decision: PolicyDecision
    lines: list[LineView]
    events: list[ReturnEvent]
    messages: list[Message]
    attachments: list[Attachment]
    refunds: list[Refund]
    refundable: Decimal
    assignment: Assignment
    actions: list[Action] = field(default_factory=list)
    exchange_due: Decimal | None = None  # an inspected exchange: what the customer still pays


async def return_detail(return_id: int, actor: Actor) -> ReturnDetail:
    """Everything about one request, with the actions this actor may take now."""
    request = await ReturnRequest.get_or_none(id=return_id).select_related("customer", "order")
    if request is None or not actor.is_staff:
        raise NotFound("return_not_found", return_id=return_id)
    refundable = await refundable_amount(return_id)
    due = await _exchange_due(request)
    lines = await ReturnLine.filter(request_id=return_id).prefetch_related(
        "order_line__product", "replacement_product"
    )
    return ReturnDetail(
        request=request,
        customer_name=request.customer.name,
        customer_phone=request.customer.phone,
        order_number=request.order.number,
        channel=request.order.channel,
        decision=PolicyDecision.from_snapshot(request.policy_decision),
        lines=[_line_view(line) for line in lines],
        events=await ReturnEvent.filter(request_id=return_id).order_by("id"),
        messages=await Message.filter(request_id=return_id).order_by("id"),
        attachments=await Attachment.filter(request_id=return_id).order_by("id"),
        refunds=await Refund.filter(request_id=return_id).order_by("id"),
        refundable=refundable,
        assignment=await assignment_of(request, actor),
        actions=_offered(actor, request, refundable, due),
        exchange_due=due,
    )


async def _exchange_due(request: ReturnRequest) -> Decimal | None:
    if request.type != ReturnType.EXCHANGE or request.status != Status.INSPECTED:
        return None
    return await exchange_due(request.id)


def _offered(
    actor: Actor, request: ReturnRequest, refundable: Decimal, due: Decimal | None
) -> list[Action]:
    """The actions to offer, of those the rules allow: a refunded request is refunded again
    while money is owed, and closed only once nothing is; an inspected exchange takes the
    customer's payment only while they owe some, and ships only once they owe nothing."""
    actions = allowed_actions(actor, Status(request.status), ReturnType(request.type))
    hidden = set()
    if request.status == Status.REFUNDED:
        hidden.add(Action.CLOSE if refundable else Action.REFUND)
    if due is not None:
        hidden.add(Action.SHIP_REPLACEMENT if due > 0 else Action.RECORD_PAYMENT)
    return [action for action in actions if action not in hidden]


def _line_view(line: ReturnLine) -> LineView:
    product = line.order_line.product
    replacement = line.replacement_product
    return LineView(
        id=line.id,
        sku=product.sku,
        name=product.name,
        quantity=line.quantity,
        unit_price=line.order_line.unit_price,
        replacement=replacement.name if replacement else "",
        replacement_price=line.replacement_unit_price,
        received=line.received_quantity,
        resellable=line.resellable,
        defective=line.defective,
        refused=line.refused,
    )


@dataclass(frozen=True)
class Dashboard:
    open_by_status: dict[str, int]
    low_stock: list[tuple[str, str, int, int]]


async def dashboard(open_statuses: Sequence[Status] = tuple(OPEN_STATUSES)) -> Dashboard:
    """Open requests per status (from the per-status rollup, never a count over the
    requests) and the products at or under their low-stock threshold."""
    rows = (
        await StatusRollup.filter(status__in=list(open_statuses))
        .group_by("status")
        .annotate(count=Sum("requests"))
        .values("status", "count")
    )
    # in lifecycle order (the order Status declares), not the order a frozenset iterates in
    counts = {str(s): 0 for s in Status if s in open_statuses}
    counts.update({str(row["status"]): int(row["count"]) for row in rows})
    return Dashboard(counts, await low_stock())


def low_stock_levels() -> QuerySet[StockLevel]:
    """The sellable stock levels of active products at or under their low-stock threshold
    (the dashboard lists them, the daily digest counts them)."""
    return StockLevel.filter(
        location=Location.SELLABLE,
        product__active=True,
        quantity__lte=F("product__low_stock_threshold"),
    )


async def low_stock(limit: int = 20) -> list[tuple[str, str, int, int]]:
    """Products whose sellable level is at or under their threshold: sku, name, level, threshold."""
    found = (
        await low_stock_levels()
        .order_by("quantity", "product__sku")
        .limit(limit)
        .values_list("product__sku", "product__name", "quantity", "product__low_stock_threshold")
    )
    return [(str(sku), str(name), int(level), int(low)) for sku, name, level, low in found]
