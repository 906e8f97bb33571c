"""Customers as staff see them: the list, one customer's history, and their personal data.

An admin can export everything held about a customer, and anonymize one whose requests
all ended (closed, rejected or cancelled) longer ago than the retention period. Anonymizing
wipes who they are (name, phone, email, external id, Telegram link and chat state) and keeps
what happened: orders, requests, events, refunds and the ledger stay as they were.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Max, Sum
from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import NotFound, PermissionDenied, ValidationError
from domain.policy import CustomerHistory
from domain.returns import VOID_STATUSES, Action, Actor, Role, Status
from models import (
    Attachment,
    ChatState,
    Customer,
    Message,
    Notification,
    Order,
    OrderLine,
    Payment,
    Refund,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    Survey,
)
from services.attachments import StoredPhoto, photos_of_customer, remove_local_copies
from services.effects import record_event

PAGE_SIZE = 50
RETENTION_DAYS = 365
FINISHED_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.CANCELLED})
ANONYMOUS_NAME = "—"
ANONYMOUS_PHONE_PREFIX = "anon-"
__all__ = [
    "RETENTION_DAYS",
    "CustomerPage",
    "CustomerProfile",
    "CustomerRow",
    "anonymization_refusal",
    "anonymize_customer",
    "customer_profile",
    "export_customer",
    "list_customers",
]


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    phone: str
    email: str
    language: str
    returns: int

    @property
    def anonymized(self) -> bool:
        return self.phone.startswith(ANONYMOUS_PHONE_PREFIX)


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    next_cursor: int | None


def _search(text: str) -> Q:
    digits = text.replace(" ", "").replace("-", "")
    found = Q(name__icontains=text) | Q(email__icontains=text) | Q(external_id=text)
    if digits.lstrip("+").isdigit():
        found |= Q(phone__contains=digits.lstrip("+"))
    return found


async def list_customers(
    search: str = "", *, before: int | None = None, size: int = PAGE_SIZE
) -> CustomerPage:
    """One page of customers, newest first, paged by id; search by name, phone, email or id."""
    found = Customer.all()
    if search.strip():
        found = found.filter(_search(search.strip()))
    if before is not None:
        found = found.filter(id__lt=before)
    rows = (
        await found.annotate(n=Count("returns"))
        .group_by("id")
        .order_by("-id")
        .limit(size + 1)
        .values("id", "name", "phone", "email", "language", "n")
    )
    page = [
        CustomerRow(r["id"], r["name"], r["phone"], r["email"], r["language"], int(r["n"]))
        for r in rows[:size]
    ]
    return CustomerPage(page, page[-1].id if len(rows) > size and page else None)


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    channel: str
    ordered_at: datetime
    delivered_at: datetime | None
    units: int
    value: Decimal


@dataclass(frozen=True)
class ReturnRow:
    id: int
    number: str
    status: Status
    type: str
    reason_code: str
    created_at: datetime
    units: int


@dataclass(frozen=True)
class SurveyRow:
    return_id: int
    return_number: str
    score: int
    comment: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerProfile:
    """One customer's record, orders, requests, return rate and survey answers."""

    customer: CustomerRow
    external_id: str
    telegram_linked: bool
    created_at: datetime
    orders: list[OrderRow]
    returns: list[ReturnRow]
    history: CustomerHistory
    surveys: list[SurveyRow]
    anonymization_refusal: str | None

    @property
    def average_score(self) -> Decimal | None:
        if not self.surveys:
            return None
        total = Decimal(sum(s.score for s in self.surveys))
        return (total / len(self.surveys)).quantize(Decimal("0.1"))


async def _customer(customer_id: int, *, lock: bool = False) -> Customer:
    """The customer; with ``lock``, their row is held until the transaction ends."""
    query = Customer.filter(id=customer_id)
    customer = await (query.select_for_update() if lock else query).first()
    if customer is None:
        raise NotFound("customer_not_found", customer_id=customer_id)
    return customer


async def _orders(customer_id: int) -> list[OrderRow]:
    orders = await Order.filter(customer_id=customer_id).order_by("-ordered_at", "-id")
    units: dict[int, int] = {}
    value: dict[int, Decimal] = {}
    for line in await OrderLine.filter(order__customer_id=customer_id):
        units[line.order_id] = units.get(line.order_id, 0) + line.quantity
        value[line.order_id] = (
            value.get(line.order_id, Decimal(0)) + line.unit_price * line.quantity
        )
    return [
        OrderRow(
            o.id,
            o.number,
            o.channel,
            o.ordered_at,
            o.delivered_at,
            units.get(o.id, 0),
            value.get(o.id, Decimal("0.00")),
        )
        for o in orders
    ]


async def _returns(customer_id: int) -> list[ReturnRow]:
    requests = await ReturnRequest.filter(customer_id=customer_id).order_by("-created_at", "-id")
    units = {
        row["request_id"]: int(row["units"] or 0)
        for row in await ReturnLine.filter(request__customer_id=customer_id)
        .group_by("request_id")
        .annotate(units=Sum("quantity"))
        .values("request_id", "units")
    }
    return [
        ReturnRow(
            r.id,
            r.number,
            Status(r.status),
            str(r.type),
            r.reason_code,
            r.created_at,
            units.get(r.id, 0),
        )
        for r in requests
    ]


def _lifetime_history(orders: list[OrderRow], returns: list[ReturnRow]) -> CustomerHistory:
    """Units bought and returned over the customer's whole history (the policy looks at a
    year; cancelled and rejected requests returned nothing)."""
    returned = sum(r.units for r in returns if r.status not in VOID_STATUSES)
    return CustomerHistory(units_bought=sum(o.units for o in orders), units_returned=returned)


async def customer_profile(customer_id: int, *, now: datetime) -> CustomerProfile:
    """Everything staff need about one customer; NotFound if there is none."""
    customer = await _customer(customer_id)
    orders, returns = await _orders(customer_id), await _returns(customer_id)
    surveys = await Survey.filter(request__customer_id=customer_id).select_related("request")
    row = CustomerRow(
        customer.id,
        customer.name,
        customer.phone,
        customer.email,
        customer.language,
        len(returns),
    )
    return CustomerProfile(
        customer=row,
        external_id=customer.external_id or "",
        telegram_linked=customer.telegram_user_id is not None,
        created_at=customer.created_at,
        orders=orders,
        returns=returns,
        history=_lifetime_history(orders, returns),
        surveys=[
            SurveyRow(s.request.id, s.request.number, s.score, s.comment, s.created_at)
            for s in sorted(surveys, key=lambda s: s.created_at, reverse=True)
        ],
        anonymization_refusal=await anonymization_refusal(customer, now=now),
    )


# Personal data -------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-able value: money and times as ISO text, enums as their value."""
    if isinstance(value, Decimal | datetime):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


async def _values(query: Any, *, internal: Collection[str] = ()) -> list[dict[str, Any]]:
    """Every row of ``query`` with every field but the ``internal`` ones, oldest first."""
    shown = [name for name in query.model._meta.fields_db_projection if name not in internal]
    return [_plain(row) for row in await query.order_by(query.model._meta.pk_attr).values(*shown)]


async def export_customer(customer_id: int, *, actor: Actor) -> dict[str, Any]:
    """Everything held about one customer, as JSON-able data (admins only)."""
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied(action="export_customer")
    await _customer(customer_id)
    mine = {"request__customer_id": customer_id}
    return {
        "customer": (await _values(Customer.filter(id=customer_id)))[0],
        "orders": await _values(Order.filter(customer_id=customer_id)),
        "order_lines": await _values(OrderLine.filter(order__customer_id=customer_id)),
        "returns": await _values(ReturnRequest.filter(customer_id=customer_id)),
        "return_lines": await _values(ReturnLine.filter(**mine)),
        "events": await _values(ReturnEvent.filter(**mine)),
        "messages": await _values(Message.filter(**mine)),
        # where the server keeps its copy of a photo says nothing about the customer
        "attachments": await _values(Attachment.filter(**mine), internal={"local_path"}),
        "refunds": await _values(Refund.filter(**mine)),
        "payments": await _values(Payment.filter(**mine)),
        "surveys": await _values(Survey.filter(**mine)),
        "notifications": await _values(Notification.filter(customer_id=customer_id)),
        "chats": await _values(ChatState.filter(customer_id=customer_id)),
    }


async def anonymization_refusal(
    customer: Customer, *, now: datetime, retention_days: int = RETENTION_DAYS
) -> str | None:
    """Why this customer cannot be anonymized now (a refusal code), or None if they can."""
    if customer.phone.startswith(ANONYMOUS_PHONE_PREFIX):
        return "customer_already_anonymized"
    requests = ReturnRequest.filter(customer_id=customer.id)
    if await requests.exclude(status__in=list(FINISHED_STATUSES)).exists():
        return "customer_has_open_returns"
    rows = await requests.annotate(last=Max("status_changed_at")).values("last")
    last = rows[0]["last"] if rows else None
    if isinstance(last, str):  # SQLite hands an aggregate of datetimes back as text
        last = datetime.fromisoformat(last)
    if last is not None and last > now - timedelta(days=retention_days):
        return "customer_retention_not_over"
    return None


# The events whose note is text written by or to the customer (a refund's note is figures).
WRITTEN_NOTES = (Action.REJECT, Action.ASK, Action.REPLY, Action.CANCEL)


async def _forget_what_was_written(customer_id: int) -> list[StoredPhoto]:
    """Free text by or to the customer, their photos and their messages in the outbox can
    name them too: they go; scores, quantities and money stay. Return the photos removed,
    whose local copies go once this commits."""
    ids = await ReturnRequest.filter(customer_id=customer_id).values_list("id", flat=True)
    await ReturnRequest.filter(id__in=ids).update(description="")
    await ReturnEvent.filter(request_id__in=ids, action__in=WRITTEN_NOTES).update(note="")
    photos = await photos_of_customer(customer_id)
    await Attachment.filter(id__in=[p.id for p in photos]).delete()
    await Message.filter(request_id__in=ids).update(text="")
    await Survey.filter(request_id__in=ids).update(comment="")
    await Notification.filter(customer_id=customer_id).delete()
    return photos


async def anonymize_customer(
    customer_id: int, *, actor: Actor, clock: Clock, retention_days: int = RETENTION_DAYS
) -> CustomerRow:
    """Wipe who the customer is and keep what happened (admins only).

    Refused while any request of theirs is open or ended less than ``retention_days`` ago.
    Each of their requests gets an ``anonymize_customer`` event naming the admin. The local
    copies of their photos are deleted once the change is committed.
    """
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied(action="anonymize_customer")
    now = clock.now()
    async with in_transaction():
        # held until the end (PostgreSQL): a submission holds it too, from before it reads
        # the customer until its request is written (``services.submission``), so either
        # this sees the submitted request as open or the submission sees the anonymization
        customer = await _customer(customer_id, lock=True)
        refusal = await anonymization_refusal(customer, now=now, retention_days=retention_days)
        if refusal is not None:
            raise ValidationError(refusal, customer_id=customer_id)
        customer.name, customer.email = ANONYMOUS_NAME, ""
        customer.phone = f"{ANONYMOUS_PHONE_PREFIX}{customer.id}"
        customer.external_id, customer.telegram_user_id = None, None
        customer.updated_by = actor.label
        await customer.save()
        await ChatState.filter(customer_id=customer_id).delete()
        photos = await _forget_what_was_written(customer_id)
        for request in await ReturnRequest.filter(customer_id=customer_id):
            status = Status(request.status)
            await record_event(
                request, actor, "anonymize_customer", source=status, target=status, now=now
            )
    await remove_local_copies(photos)
    return CustomerRow(customer.id, customer.name, customer.phone, "", customer.language, 0)
