"""Deciding and ending requests: approve, reject, ask, cancel, expire, close."""

from __future__ import annotations

from datetime import timedelta

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import InvalidTransition, ValidationError
from domain.ledger import Account
from domain.policy import PolicyDecision
from domain.returns import Action, Actor, ReturnType, Role
from domain.stock import reserve
from models import Message, ReturnLine
from services.effects import apply_movements
from services.ledger import credit_balance
from services.lifecycle import (
    Step,
    advance,
    begin,
    notify_customer,
    notify_staff,
    release_reservations,
)
from services.policies import load_policy_book
from services.rollups import uncount_return
from services.views import ReturnView

MAX_TEXT = 2000


def clean_text(text: str, *, required: bool = True) -> str:
    """Strip text and refuse it when empty (if required) or too long."""
    text = text.strip()
    if required and not text:
        raise ValidationError("text_required")
    if len(text) > MAX_TEXT:
        raise ValidationError("text_too_long", max=MAX_TEXT)
    return text


async def approve_step(step: Step) -> None:
    """Approve within the caller's transaction: deadline, reservations, instructions."""
    decision = PolicyDecision.from_snapshot(step.request.policy_decision)
    deadline = step.now + timedelta(days=decision.ship_back_days)
    await advance(step, deadline_at=deadline)
    if step.request.type is ReturnType.EXCHANGE:
        lines = await ReturnLine.filter(request_id=step.request.id)
        moves = [
            reserve(line.replacement_product_id, line.quantity)
            for line in lines
            if line.replacement_product_id is not None
        ]
        await apply_movements(moves, step.actor, step.now, step.request)
    await notify_customer(
        step,
        "return_approved",
        deadline=deadline.isoformat(),
        shipping_paid_by=decision.shipping_paid_by,
    )


async def approve_return(
    return_id: int, *, actor: Actor, clock: Clock, expected_version: int | None = None
) -> ReturnView:
    """Approve a submitted request: set the ship-back deadline, reserve any replacement."""
    async with in_transaction():
        step = await begin(
            return_id, Action.APPROVE, actor=actor, clock=clock, expected_version=expected_version
        )
        await approve_step(step)
    return ReturnView.of(step.request)


async def reject_return(
    return_id: int,
    reason: str,
    *,
    actor: Actor,
    clock: Clock,
    expected_version: int | None = None,
) -> ReturnView:
    """Reject a submitted request; the reason is required and told to the customer."""
    reason = clean_text(reason)
    async with in_transaction():
        step = await begin(
            return_id, Action.REJECT, actor=actor, clock=clock, expected_version=expected_version
        )
        await advance(step, note=reason)
        await uncount_return(step.request)
        await notify_customer(step, "return_rejected", reason=reason)
    return ReturnView.of(step.request)


async def ask_customer(
    return_id: int,
    question: str,
    *,
    actor: Actor,
    clock: Clock,
    expected_version: int | None = None,
) -> ReturnView:
    """Ask the customer for more information; the request waits for their reply."""
    question = clean_text(question)
    async with in_transaction():
        step = await begin(
            return_id, Action.ASK, actor=actor, clock=clock, expected_version=expected_version
        )
        await advance(step, note=question)
        await Message.create(
            request=step.request,
            author=actor.label,
            from_customer=False,
            text=question,
            created_at=step.now,
        )
        await notify_customer(step, "question_asked", question=question)
    return ReturnView.of(step.request)


async def cancel_return(
    return_id: int,
    *,
    actor: Actor,
    clock: Clock,
    reason: str = "",
    expected_version: int | None = None,
) -> ReturnView:
    """Cancel an open request (customer or staff); release any reserved replacement."""
    reason = clean_text(reason, required=False)
    async with in_transaction():
        step = await begin(
            return_id, Action.CANCEL, actor=actor, clock=clock, expected_version=expected_version
        )
        await advance(step, note=reason)
        await uncount_return(step.request)
        await release_reservations(step)
        if actor.is_customer:
            await notify_staff(step, "return_cancelled_by_customer")
        else:
            await notify_customer(step, "return_cancelled", reason=reason)
    return ReturnView.of(step.request)


async def expire_return(return_id: int, *, clock: Clock) -> ReturnView:
    """Cancel an approved request whose ship-back deadline has passed (never one whose
    parcel is on its way: the customer gave a tracking number)."""
    async with in_transaction():
        step = await begin(return_id, Action.EXPIRE, actor=Actor.system("expiry"), clock=clock)
        deadline = step.request.deadline_at
        if deadline is None or step.now < deadline:
            raise InvalidTransition("deadline_not_passed", number=step.request.number)
        if step.request.tracking_number:
            raise InvalidTransition("parcel_on_its_way", number=step.request.number)
        await advance(step)
        await uncount_return(step.request)
        await release_reservations(step)
        await notify_customer(step, "return_expired")
    return ReturnView.of(step.request)


async def close_return(
    return_id: int, *, actor: Actor, clock: Clock, expected_version: int | None = None
) -> ReturnView:
    """Close a resolved request (staff at any time, the system after the auto-close delay),
    never while part of a refund is still owed: closed, nobody would pay it."""
    async with in_transaction():
        step = await begin(
            return_id, Action.CLOSE, actor=actor, clock=clock, expected_version=expected_version
        )
        owed = await credit_balance(Account.REFUNDS_PAYABLE, step.request.id)
        if owed:
            raise InvalidTransition(
                "refund_outstanding", number=step.request.number, owed=str(owed)
            )
        book = await load_policy_book()
        policy = book.resolve(await _channel(step))
        if Role.SYSTEM in actor.roles:
            due = step.request.status_changed_at + timedelta(days=policy.auto_close_days)
            if step.now < due:
                raise InvalidTransition("close_not_due", number=step.request.number)
        await advance(step)
        survey_due = step.now + timedelta(days=policy.survey_delay_days)
        await notify_customer(step, "survey", due_at=survey_due)
    return ReturnView.of(step.request)


async def _channel(step: Step) -> str:
    await step.request.fetch_related("order")
    return str(step.request.order.channel)
