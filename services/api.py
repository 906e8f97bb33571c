"""What the JSON API reads: one return request by its RMA number, as plain values.

The list of returns is the queue's own (``services.queue.list_returns``); this module adds
the read of one request for callers that are not staff, without the staff-only parts of the
request page (messages, photos, the actions one may take), but with the money that moved
(refunds, exchange payments) so the shop's ERP can reconcile it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import NotFound
from domain.ledger import RefundMethod
from domain.policy import PolicyDecision
from domain.returns import ReturnType, Status
from models import Payment, Refund, ReturnEvent, ReturnLine, ReturnRequest

__all__ = [
    "DecisionSummary",
    "EventRecord",
    "LineRecord",
    "PaymentRecord",
    "RefundRecord",
    "ReturnRecord",
    "read_return",
]


@dataclass(frozen=True)
class DecisionSummary:
    """The policy's verdict as it was made when the request was submitted."""

    eligible: bool
    auto_approved: bool
    reason_class: str
    shipping_paid_by: str
    photo_required: bool
    ship_back_days: int
    refusals: list[tuple[str, Mapping[str, str]]]
    evaluated_at: datetime


@dataclass(frozen=True)
class LineRecord:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    restocking_fee_percent: Decimal
    replacement_sku: str | None
    replacement_unit_price: Decimal | None
    received: int
    resellable: int
    defective: int
    refused: int


@dataclass(frozen=True)
class EventRecord:
    action: str
    from_status: Status | None
    to_status: Status
    actor: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class RefundRecord:
    """Money paid back to the customer: how much, how, the payment system's reference."""

    amount: Decimal
    method: RefundMethod
    reference: str
    created_at: datetime


@dataclass(frozen=True)
class PaymentRecord:
    """A customer's payment of an exchange's price difference."""

    amount: Decimal
    reference: str
    created_at: datetime


@dataclass(frozen=True)
class ReturnRecord:
    number: str
    status: Status
    type: ReturnType
    reason_code: str
    description: str
    customer_name: str
    customer_phone: str
    order_number: str
    channel: str
    tracking_number: str
    replacement_tracking_number: str
    created_at: datetime
    status_changed_at: datetime
    deadline_at: datetime | None
    decision: DecisionSummary
    lines: list[LineRecord]
    events: list[EventRecord]
    refunds: list[RefundRecord]
    payments: list[PaymentRecord]


async def read_return(number: str) -> ReturnRecord:
    """Return the request numbered ``number`` with its lines, decision, events, refunds and
    exchange payments (each in the order they happened).

    Raises ``NotFound`` (code ``return_not_found``) when no request has that number.
    """
    request = await ReturnRequest.get_or_none(number=number).select_related("customer", "order")
    if request is None:
        raise NotFound("return_not_found", number=number)
    decision = PolicyDecision.from_snapshot(request.policy_decision)
    lines = (
        await ReturnLine.filter(request_id=request.id)
        .order_by("id")
        .prefetch_related("order_line__product", "replacement_product")
    )
    events = await ReturnEvent.filter(request_id=request.id).order_by("id")
    refunds = await Refund.filter(request_id=request.id).order_by("id")
    payments = await Payment.filter(request_id=request.id).order_by("id")
    return ReturnRecord(
        number=request.number,
        status=Status(request.status),
        type=ReturnType(request.type),
        reason_code=request.reason_code,
        description=request.description,
        customer_name=request.customer.name,
        customer_phone=request.customer.phone,
        order_number=request.order.number,
        channel=request.order.channel,
        tracking_number=request.tracking_number,
        replacement_tracking_number=request.replacement_tracking,
        created_at=request.created_at,
        status_changed_at=request.status_changed_at,
        deadline_at=request.deadline_at,
        decision=_summary(decision),
        lines=[_line(line, decision) for line in lines],
        events=[_event(event) for event in events],
        refunds=[_refund(refund) for refund in refunds],
        payments=[_payment(payment) for payment in payments],
    )


def _summary(decision: PolicyDecision) -> DecisionSummary:
    return DecisionSummary(
        eligible=decision.eligible,
        auto_approved=decision.auto_approved,
        reason_class=str(decision.reason_class),
        shipping_paid_by=decision.shipping_paid_by,
        photo_required=decision.photo_required,
        ship_back_days=decision.ship_back_days,
        refusals=[(refusal.code, dict(refusal.params)) for refusal in decision.refusals],
        evaluated_at=decision.evaluated_at,
    )


def _line(line: ReturnLine, decision: PolicyDecision) -> LineRecord:
    replacement = line.replacement_product
    return LineRecord(
        sku=line.order_line.product.sku,
        name=line.order_line.product.name,
        quantity=line.quantity,
        unit_price=line.order_line.unit_price,
        restocking_fee_percent=decision.fee_percent_for(line.order_line_id),
        replacement_sku=replacement.sku if replacement else None,
        replacement_unit_price=line.replacement_unit_price,
        received=line.received_quantity,
        resellable=line.resellable,
        defective=line.defective,
        refused=line.refused,
    )


def _event(event: ReturnEvent) -> EventRecord:
    return EventRecord(
        action=event.action,
        from_status=Status(event.from_status) if event.from_status else None,
        to_status=Status(event.to_status),
        actor=event.actor,
        note=event.note,
        created_at=event.created_at,
    )


def _refund(refund: Refund) -> RefundRecord:
    return RefundRecord(
        amount=refund.amount,
        method=RefundMethod(refund.method),
        reference=refund.external_reference,
        created_at=refund.created_at,
    )


def _payment(payment: Payment) -> PaymentRecord:
    return PaymentRecord(
        amount=payment.amount, reference=payment.external_reference, created_at=payment.created_at
    )
