"""Shared steps of every action on a request: load it, check it, move it, release stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.clock import Clock
from domain.errors import ConcurrentModification, NotFound, PermissionDenied
from domain.returns import Action, Actor, ReturnType, Status, can_take, next_status
from domain.stock import Movement, release
from models import ReturnLine, ReturnRequest
from services.effects import apply_movements, enqueue, record_event


@dataclass
class Step:
    """One action under way: the request as loaded, who acts, where it goes, and when.

    ``action`` names the event it leaves: an Action, or a change that moves no status
    (``assign``).
    """

    request: ReturnRequest
    actor: Actor
    action: str
    source: Status
    target: Status
    now: datetime


async def load_request(return_id: int, actor: Actor) -> ReturnRequest:
    """Load and lock a request the actor may see; anyone else's is simply not found.

    The row lock (PostgreSQL; a no-op on SQLite) makes concurrent actions on one request
    take turns: each one's checks read what the one before it committed, so a loser is
    told the request changed (or that the action no longer fits) instead of acting on
    half-stale figures, and checks like "one survey per request" hold.
    """
    query = ReturnRequest.filter(id=return_id).select_for_update()
    if actor.is_customer:
        query = query.filter(customer_id=actor.id)
    request = await query.get_or_none()
    if request is None:
        raise NotFound("return_not_found", return_id=return_id)
    return request


async def begin(
    return_id: int,
    action: Action,
    *,
    actor: Actor,
    clock: Clock,
    expected_version: int | None = None,
) -> Step:
    """Load the request and check role, version and status for ``action``.

    A stale version is refused before the status: whoever acts on a page that changed
    meanwhile is told so, not that the action no longer fits the (new) status.
    """
    request = await load_request(return_id, actor)
    if not can_take(actor, action):
        raise PermissionDenied(action=str(action))
    if expected_version is not None and expected_version != request.version:
        raise ConcurrentModification(number=request.number)
    target = next_status(request.status, action)
    return Step(request, actor, action, request.status, target, clock.now())


async def advance(step: Step, note: str = "", **changes: object) -> None:
    """Move the request to the step's target, bump its version, and record the event.

    The update only matches the version that was loaded, so of two concurrent actions
    exactly one moves the request; the other is told it changed meanwhile. Call it before
    writing any other effect, so the loser waits on the row lock and does no work.
    """
    request = step.request
    source = step.source
    fields = {
        "status": step.target,
        "version": request.version + 1,
        "updated_at": step.now,
        "updated_by": step.actor.label,
        **changes,
    }
    if step.target != source:
        fields["status_changed_at"] = step.now
    moved = await ReturnRequest.filter(id=request.id, version=request.version).update(**fields)
    if not moved:
        raise ConcurrentModification(number=request.number)
    for name, value in fields.items():
        setattr(request, name, value)
    await record_event(
        request, step.actor, step.action, source=source, target=step.target, now=step.now, note=note
    )


async def reserved_lines(request: ReturnRequest, status: Status) -> list[ReturnLine]:
    """Lines whose replacement was held in reserved stock while the request was in ``status``."""
    if request.type is not ReturnType.EXCHANGE:
        return []
    if status not in (Status.APPROVED, Status.RECEIVED, Status.INSPECTED):
        return []
    return await ReturnLine.filter(request_id=request.id, replacement_product_id__isnull=False)


def still_reserved(line: ReturnLine, status: Status) -> int:
    """Units of the line's replacement held now: all of them until inspection settles it."""
    if status is Status.INSPECTED:
        return line.resellable + line.defective
    return line.quantity


async def release_reservations(step: Step) -> None:
    """Give every unit held for this request (before this step) back to sellable stock."""
    moves: list[Movement] = []
    for line in await reserved_lines(step.request, step.source):
        held = still_reserved(line, step.source)
        if held and line.replacement_product_id is not None:
            moves.append(release(line.replacement_product_id, held))
    await apply_movements(moves, step.actor, step.now, step.request)


async def notify_customer(
    step: Step, template: str, *, due_at: datetime | None = None, **params: object
) -> None:
    """Tell the request's customer about this step (through the outbox), now or at ``due_at``."""
    request = step.request
    await enqueue(
        template,
        f"{request.number}:{template}:{request.version}",
        due_at or step.now,
        customer_id=request.customer_id,
        params={"number": request.number, **params},
    )


async def notify_staff(step: Step, template: str, **params: object) -> None:
    """Tell the staff chat about this step (through the outbox)."""
    request = step.request
    await enqueue(
        template,
        f"staff:{request.number}:{template}:{request.version}",
        step.now,
        params={"number": request.number, **params},
    )
