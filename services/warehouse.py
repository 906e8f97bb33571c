"""The warehouse's part: receiving parcels and inspecting what is in them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import ValidationError
from domain.ledger import InspectedLine, inspection_entry
from domain.policy import PolicyDecision
from domain.returns import INSPECTION_ALL_REFUSED, Action, Actor, ReturnType
from domain.stock import Movement, inspection_movements, receive, release
from models import ReturnLine
from services.effects import apply_movements, post_entry
from services.lifecycle import Step, advance, begin, notify_customer, release_reservations
from services.refunds import keep_amount_due
from services.rollups import recount_return, uncount_return
from services.views import ReturnView


@dataclass(frozen=True)
class Grades:
    """Units of one line graded A (resellable), B (defective) and R (refused)."""

    resellable: int = 0
    defective: int = 0
    refused: int = 0

    @property
    def total(self) -> int:
        return self.resellable + self.defective + self.refused


async def _lines(step: Step, keys: Mapping[int, object]) -> list[ReturnLine]:
    """The request's lines; a line id that is not one of them is bad input, like a bad count."""
    lines = await ReturnLine.filter(request_id=step.request.id).prefetch_related(
        "order_line__product"
    )
    unknown = set(keys) - {line.id for line in lines}
    if unknown:
        raise ValidationError("return_line_not_found", line_id=min(unknown))
    return lines


async def receive_return(
    return_id: int,
    received: Mapping[int, int],
    *,
    actor: Actor,
    clock: Clock,
    expected_version: int | None = None,
) -> ReturnView:
    """Count the units that arrived per line; they go to quarantine until inspected."""
    async with in_transaction():
        step = await begin(
            return_id, Action.RECEIVE, actor=actor, clock=clock, expected_version=expected_version
        )
        lines = await _lines(step, received)
        for line in lines:
            count = received.get(line.id, 0)
            if isinstance(count, bool) or not isinstance(count, int):
                raise ValidationError("invalid_quantity", line_id=line.id)
            if not 0 <= count <= line.quantity:
                raise ValidationError("invalid_quantity", line_id=line.id, maximum=line.quantity)
        if not any(received.values()):
            raise ValidationError("nothing_received")
        await advance(step)
        await recount_return(step.request, _count_received(lines, received))
        moves = [
            receive(line.order_line.product_id, line.received_quantity)
            for line in lines
            if line.received_quantity
        ]
        await apply_movements(moves, actor, step.now, step.request)
        await _tell_what_arrived(step, lines)
    return ReturnView.of(step.request)


async def _count_received(lines: list[ReturnLine], received: Mapping[int, int]) -> None:
    for line in lines:
        line.received_quantity = received.get(line.id, 0)
        await line.save(update_fields=["received_quantity"])


async def _tell_what_arrived(step: Step, lines: list[ReturnLine]) -> None:
    """The parcel arrived; if units are missing, the customer learns they are still theirs
    (they no longer count as returned: see domain.returns.BEFORE_RECEIPT)."""
    asked = sum(line.quantity for line in lines)
    arrived = sum(line.received_quantity for line in lines)
    if arrived == asked:
        await notify_customer(step, "return_received")
    else:
        await notify_customer(step, "return_received_short", received=arrived, asked=asked)


def _check_grades(lines: list[ReturnLine], grades: Mapping[int, Grades]) -> None:
    for line in lines:
        graded = grades.get(line.id, Grades())
        counts = (graded.resellable, graded.defective, graded.refused)
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in counts):
            raise ValidationError("invalid_quantity", line_id=line.id)
        if graded.total != line.received_quantity:
            raise ValidationError(
                "grades_do_not_match_received", line_id=line.id, received=line.received_quantity
            )


async def inspect_return(
    return_id: int,
    grades: Mapping[int, Grades],
    *,
    actor: Actor,
    clock: Clock,
    expected_version: int | None = None,
) -> ReturnView:
    """Grade every received unit: A back to sellable, B to defective, R back to the customer.

    Posts the reversal of the sale for accepted units (less any restocking fee), returns
    their cost to inventory and writes defective ones off. If every unit is refused the
    request ends as rejected and any reserved replacement is released.
    """
    async with in_transaction():
        step = await begin(
            return_id, Action.INSPECT, actor=actor, clock=clock, expected_version=expected_version
        )
        lines = await _lines(step, grades)
        _check_grades(lines, grades)
        if not any(g.resellable + g.defective for g in grades.values()):
            step.target = INSPECTION_ALL_REFUSED
        await advance(step)
        await recount_return(step.request, _store_grades(step, lines, grades))
        if step.target is INSPECTION_ALL_REFUSED:
            await uncount_return(step.request)
            await release_reservations(step)
            await notify_customer(step, "return_refused_at_inspection")
        else:
            await _settle_inspection(step, lines)
    return ReturnView.of(step.request)


async def _store_grades(step: Step, lines: list[ReturnLine], grades: Mapping[int, Grades]) -> None:
    moves: list[Movement] = []
    for line in lines:
        graded = grades.get(line.id, Grades())
        line.resellable, line.defective, line.refused = (
            graded.resellable,
            graded.defective,
            graded.refused,
        )
        await line.save(update_fields=["resellable", "defective", "refused"])
        moves += inspection_movements(
            line.order_line.product_id, graded.resellable, graded.defective, graded.refused
        )
    await apply_movements(moves, step.actor, step.now, step.request)


async def _settle_inspection(step: Step, lines: list[ReturnLine]) -> None:
    decision = PolicyDecision.from_snapshot(step.request.policy_decision)
    inspected = [
        InspectedLine(
            unit_price=line.order_line.unit_price,
            unit_cost=line.order_line.product.cost,
            resellable=line.resellable,
            defective=line.defective,
            fee_percent=decision.fee_percent_for(line.order_line_id),
        )
        for line in lines
    ]
    await post_entry(
        inspection_entry(f"Inspection of {step.request.number}", inspected),
        step.actor,
        step.now,
        step.request,
    )
    unused = [
        release(line.replacement_product_id, line.quantity - line.resellable - line.defective)
        for line in lines
        if line.replacement_product_id and line.quantity > line.resellable + line.defective
    ]
    await apply_movements(unused, step.actor, step.now, step.request)
    await keep_amount_due(step.request)
    await _tell_inspected(step, lines)
    if step.request.exchange_due > 0:  # a dearer replacement: it ships once this is paid
        await notify_customer(step, "exchange_payment_due", amount=str(step.request.exchange_due))


async def _tell_inspected(step: Step, lines: list[ReturnLine]) -> None:
    """What inspection accepted and, when less than was asked for, what happens next:
    refused units go back to the customer, a refund covers the accepted units, and an
    exchange's replacement shrinks to them."""
    asked = sum(line.quantity for line in lines)
    accepted = sum(line.resellable + line.defective for line in lines)
    refused = sum(line.refused for line in lines)
    if step.request.type is ReturnType.EXCHANGE and accepted < asked:
        cut = "return_inspected_exchange_refused" if refused else "return_inspected_exchange_short"
        await notify_customer(step, cut, accepted=accepted, refused=refused, asked=asked)
    elif refused:
        due = str(step.request.refund_due)
        await notify_customer(
            step, "return_inspected_refused", accepted=accepted, refused=refused, due=due
        )
    else:
        await notify_customer(step, "return_inspected", accepted=accepted, refused=refused)
