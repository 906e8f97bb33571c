"""Who works on a request: assigning it to a staff member, or to nobody.

An assignment is not a status change: it bumps the request's version (a page shown before it
is stale, like after any other change) and leaves an ``assign`` or ``unassign`` event on the
timeline. Anyone on the staff may take a request and let go of their own; reviewers and
admins may give it to any active staff member or take it from them (``can_assign``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import (
    ConcurrentModification,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from domain.returns import ASSIGNERS, Actor, Status, can_assign, is_finished
from models import ReturnRequest, StaffUser
from services.lifecycle import Step, advance, load_request
from services.views import ReturnView

__all__ = ["ASSIGN", "UNASSIGN", "Assignment", "assign_return", "assignment_of"]

ASSIGN, UNASSIGN = "assign", "unassign"


@dataclass(frozen=True)
class Assignment:
    """A request's assignee as one staff member sees it, with what they may change."""

    assignee_id: int | None
    assignee: str  # the user name, or "" for nobody
    may_take: bool
    may_release: bool
    staff: list[tuple[int, str]] = field(default_factory=list)  # whom they may assign it to


async def _username(staff_id: int | None) -> str:
    if staff_id is None:
        return ""
    user = await StaffUser.get_or_none(id=staff_id)
    return user.username if user else ""


async def _active_staff() -> list[tuple[int, str]]:
    users = StaffUser.filter(active=True).order_by("username")
    return [(int(i), str(name)) for i, name in await users.values_list("id", "username")]


async def assignment_of(request: ReturnRequest, actor: Actor) -> Assignment:
    """The request's assignee and the assignment changes open to this actor now."""
    current = request.assigned_to_id
    open_ = not is_finished(Status(request.status))
    dispatcher = bool(actor.roles & ASSIGNERS) and open_
    return Assignment(
        assignee_id=current,
        assignee=await _username(current),
        may_take=open_ and current != actor.id and can_assign(actor, current, actor.id),
        may_release=current is not None and can_assign(actor, current, None),
        staff=await _active_staff() if dispatcher else [],
    )


async def _check(request: ReturnRequest, assignee_id: int | None, actor: Actor) -> str:
    """Refuse what the actor may not do; the assignee's user name, or "" for nobody."""
    if not can_assign(actor, request.assigned_to_id, assignee_id):
        raise PermissionDenied(action=ASSIGN)
    if assignee_id is None:
        return ""
    if is_finished(Status(request.status)):
        raise InvalidTransition(status=str(request.status), action=ASSIGN)
    user = await StaffUser.get_or_none(id=assignee_id, active=True)
    if user is None:
        raise ValidationError("unknown_assignee", staff_id=assignee_id)
    return str(user.username)


async def assign_return(
    return_id: int,
    assignee_id: int | None,
    *,
    actor: Actor,
    clock: Clock,
    expected_version: int | None = None,
) -> ReturnView:
    """Give the request to an active staff member, or to nobody (``None``).

    Refused (``PermissionDenied``) beyond what ``can_assign`` allows, for a stale
    ``expected_version`` (``ConcurrentModification``), for giving a finished request to
    someone (``InvalidTransition``) and for anyone but an active staff member
    (``ValidationError``). Assigning it to whom it is assigned already changes nothing.
    """
    async with in_transaction():
        request = await load_request(return_id, actor)
        if expected_version is not None and expected_version != request.version:
            raise ConcurrentModification(number=request.number)
        name = await _check(request, assignee_id, actor)
        if assignee_id == request.assigned_to_id:
            return ReturnView.of(request)
        event = ASSIGN if assignee_id is not None else UNASSIGN
        note = name or await _username(request.assigned_to_id)
        status = Status(request.status)
        step = Step(request, actor, event, status, status, clock.now())
        await advance(step, note=note, assigned_to_id=assignee_id)
    return ReturnView.of(request)
