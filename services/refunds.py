"""Money back to the customer: refunds, exchange differences, shipping replacements."""

from __future__ import annotations

from decimal import Decimal

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import PolicyViolation, ValidationError
from domain.ledger import (
    Account,
    RefundMethod,
    exchange_difference,
    exchange_entry,
    payment_entry,
    refund_entry,
)
from domain.money import ZERO, round_money, to_money
from domain.returns import Action, Actor, ReturnType
from domain.stock import ship_replacement as ship_out
from models import Payment, Refund, ReturnLine, ReturnRequest
from services.effects import apply_movements, post_entry
from services.followup import TRACKING
from services.ledger import credit_balance
from services.lifecycle import Step, advance, begin, notify_customer
from services.views import ReturnView

MAX_REFERENCE = 100


def _reference(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_REFERENCE:
        raise ValidationError("text_too_long", max=MAX_REFERENCE)
    return text


def _positive(amount: Decimal) -> Decimal:
    """An amount given to pay: exactly to the cent, and more than nothing."""
    amount = to_money(amount)
    if amount <= ZERO:
        raise ValidationError("amount_not_positive", value=str(amount))
    return amount


async def refundable_amount(return_id: int) -> Decimal:
    """What is still owed to the customer for this request's accepted units."""
    return await credit_balance(Account.REFUNDS_PAYABLE, return_id)


async def _record_refund(step: Step, amount: Decimal, method: RefundMethod, reference: str) -> None:
    await Refund.create(
        request=step.request,
        amount=amount,
        method=method,
        external_reference=reference,
        created_by=step.actor.label,
        created_at=step.now,
    )
    memo = f"Refund of {step.request.number}"
    await post_entry(refund_entry(memo, amount, method), step.actor, step.now, step.request)


def _require_type(request: ReturnRequest, kind: ReturnType) -> None:
    if request.type is not kind:
        raise PolicyViolation(f"not_{kind}_request", number=request.number)


async def refund_return(
    return_id: int,
    *,
    actor: Actor,
    clock: Clock,
    method: str = RefundMethod.ORIGINAL,
    amount: Decimal | None = None,
    reference: str = "",
    expected_version: int | None = None,
) -> ReturnView:
    """Pay the customer back for the accepted units, never more than is owed, by ``method``
    (one of RefundMethod, else ``invalid_refund_method``).

    ``amount`` must be above zero, exact to the cent and at most what is still owed;
    left out (None), it is all that is still owed. Refused with ``amount_not_positive``,
    ``refund_exceeds_refundable`` or a ``to_money`` refusal, changing nothing.
    """
    reference = _reference(reference)
    try:
        paid_by = RefundMethod(method)
    except ValueError:
        raise ValidationError("invalid_refund_method", method=str(method)) from None
    async with in_transaction():
        step = await begin(
            return_id, Action.REFUND, actor=actor, clock=clock, expected_version=expected_version
        )
        _require_type(step.request, ReturnType.REFUND)
        owed = await refundable_amount(step.request.id)
        amount = owed if amount is None else _positive(amount)
        if not ZERO < amount <= owed:  # nothing is owed any more, or less than asked
            raise ValidationError("refund_exceeds_refundable", maximum=str(owed))
        await advance(step, note=f"{amount} {paid_by}")
        await _record_refund(step, amount, paid_by, reference)
        await keep_amount_due(step.request)
        due = step.request.refund_due
        if due > 0:  # a part: the customer learns what is still to come
            await notify_customer(
                step, "refund_issued_partly", amount=str(amount), method=str(method), due=str(due)
            )
        else:
            await notify_customer(step, "refund_issued", amount=str(amount), method=str(method))
    return ReturnView.of(step.request)


async def _replacement_totals(request_id: int) -> tuple[Decimal, Decimal]:
    value, cost = ZERO, ZERO
    lines = await ReturnLine.filter(request_id=request_id).prefetch_related("replacement_product")
    for line in lines:
        units = line.resellable + line.defective
        if line.replacement_product is not None and line.replacement_unit_price and units:
            value += round_money(line.replacement_unit_price * units)
            cost += round_money(line.replacement_product.cost * units)
    return value, cost


async def exchange_due(return_id: int) -> Decimal:
    """What the customer still has to pay before the replacement ships (negative: owed back)."""
    value, _cost = await _replacement_totals(return_id)
    credit = await refundable_amount(return_id)
    prepaid = await credit_balance(Account.CUSTOMER_PREPAYMENTS, return_id)
    return exchange_difference(credit + prepaid, value)


async def keep_amount_due(request: ReturnRequest) -> None:
    """Keep on the request what is still to be paid: by the customer for an exchange's
    replacement, or by the shop for a refund (see the model)."""
    if request.type is ReturnType.EXCHANGE:
        request.exchange_due = await exchange_due(request.id)
        await ReturnRequest.filter(id=request.id).update(exchange_due=request.exchange_due)
    else:
        request.refund_due = await refundable_amount(request.id)
        await ReturnRequest.filter(id=request.id).update(refund_due=request.refund_due)


async def record_exchange_payment(
    return_id: int,
    amount: Decimal,
    *,
    actor: Actor,
    clock: Clock,
    reference: str = "",
    expected_version: int | None = None,
) -> ReturnView:
    """Record the customer's payment of a dearer replacement's difference."""
    reference = _reference(reference)
    amount = _positive(amount)
    async with in_transaction():
        step = await begin(
            return_id,
            Action.RECORD_PAYMENT,
            actor=actor,
            clock=clock,
            expected_version=expected_version,
        )
        _require_type(step.request, ReturnType.EXCHANGE)
        due = await exchange_due(step.request.id)
        if amount > due:
            raise ValidationError("payment_exceeds_due", maximum=str(max(due, ZERO)))
        await advance(step, note=str(amount))
        await Payment.create(
            request=step.request,
            amount=amount,
            external_reference=reference,
            created_by=actor.label,
            created_at=step.now,
        )
        memo = f"Exchange payment for {step.request.number}"
        await post_entry(payment_entry(memo, amount), actor, step.now, step.request)
        await keep_amount_due(step.request)
        if step.request.exchange_due > 0:
            still = str(step.request.exchange_due)
            await notify_customer(step, "payment_recorded_partly", amount=str(amount), due=still)
        else:
            await notify_customer(step, "payment_recorded", amount=str(amount))
    return ReturnView.of(step.request)


async def ship_replacement(
    return_id: int,
    tracking_number: str,
    *,
    actor: Actor,
    clock: Clock,
    expected_version: int | None = None,
) -> ReturnView:
    """Ship the reserved replacement once any difference is paid; refund a cheaper one's rest."""
    tracking_number = tracking_number.strip()
    if not TRACKING.fullmatch(tracking_number):
        raise ValidationError("invalid_tracking_number")
    async with in_transaction():
        step = await begin(
            return_id,
            Action.SHIP_REPLACEMENT,
            actor=actor,
            clock=clock,
            expected_version=expected_version,
        )
        _require_type(step.request, ReturnType.EXCHANGE)
        due = await exchange_due(step.request.id)
        if due > 0:
            raise PolicyViolation("difference_unpaid", amount=str(due))
        await advance(
            step, note=tracking_number, replacement_tracking=tracking_number, exchange_due=ZERO
        )
        await _ship(step)
        if due < 0:
            # no reference: the request being an exchange says what the refund was for
            await _record_refund(step, -due, RefundMethod.ORIGINAL, "")
            await notify_customer(
                step,
                "replacement_shipped_refunded",
                tracking_number=tracking_number,
                refunded=str(-due),
            )
        else:
            await notify_customer(step, "replacement_shipped", tracking_number=tracking_number)
    return ReturnView.of(step.request)


async def _ship(step: Step) -> None:
    lines = await ReturnLine.filter(request_id=step.request.id)
    moves = [
        ship_out(line.replacement_product_id, line.resellable + line.defective)
        for line in lines
        if line.replacement_product_id and line.resellable + line.defective
    ]
    await apply_movements(moves, step.actor, step.now, step.request)
    value, cost = await _replacement_totals(step.request.id)
    credit = await refundable_amount(step.request.id)
    memo = f"Replacement for {step.request.number}"
    await post_entry(exchange_entry(memo, credit, value, cost), step.actor, step.now, step.request)
