"""The work waiting for each role now: the dashboard's lists and the queue's ``work`` filter.

Each kind of work is a set of open requests, picked in SQL on the indexed status, and the
action that takes a request off the list; a staff member sees the kinds of work whose
action their roles allow (admins see them all)::

    review    submitted                                   reviewer   approve
    replies   submitted again: the customer answered      reviewer   approve
    receive   approved, the parcel awaited                warehouse  receive
    inspect   received, not yet graded                    warehouse  inspect
    ship      inspected exchange with nothing left to pay warehouse  ship_replacement
    refund    inspected refund, or one partly refunded     finance    refund
    payment   inspected exchange, the customer owes       finance    record_payment
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from domain.returns import Action, Actor, ReturnType, Role, Status, can_take
from models import ReturnEvent, ReturnRequest

__all__ = ["WORK", "Waiting", "Work", "waiting_work", "work_filter"]


def _in(status: Status) -> QuerySet[ReturnRequest]:
    return ReturnRequest.filter(status=status)


def _answered() -> QuerySet[ReturnRequest]:
    """Submitted requests the customer answered a question on: a request is submitted when
    it is opened and again only by a reply (replies are few, found by the indexed action)."""
    replied = ReturnEvent.filter(action=Action.REPLY).values("request_id")
    return _in(Status.SUBMITTED).filter(id__in=Subquery(replied))


def _inspected(kind: ReturnType) -> QuerySet[ReturnRequest]:
    return _in(Status.INSPECTED).filter(type=kind)


def _refunds_owed() -> QuerySet[ReturnRequest]:
    """Inspected refunds, and refunded ones with part of the money still owed."""
    partly = Q(status=Status.REFUNDED, refund_due__gt=0)
    return ReturnRequest.filter(Q(status=Status.INSPECTED, type=ReturnType.REFUND) | partly)


def _exchanges(owing: bool) -> QuerySet[ReturnRequest]:
    """Inspected exchanges whose customer still owes part of the replacement (or not)."""
    exchanges = _inspected(ReturnType.EXCHANGE)
    return exchanges.filter(exchange_due__gt=0) if owing else exchanges.filter(exchange_due__lte=0)


@dataclass(frozen=True)
class Work:
    """One kind of work: its key, whose it is, the action that ends it, and its requests."""

    key: str
    role: Role
    action: Action
    requests: Callable[[], QuerySet[ReturnRequest]]


WORK = {
    work.key: work
    for work in (
        Work("review", Role.REVIEWER, Action.APPROVE, lambda: _in(Status.SUBMITTED)),
        Work("replies", Role.REVIEWER, Action.APPROVE, _answered),
        Work("receive", Role.WAREHOUSE, Action.RECEIVE, lambda: _in(Status.APPROVED)),
        Work("inspect", Role.WAREHOUSE, Action.INSPECT, lambda: _in(Status.RECEIVED)),
        Work("ship", Role.WAREHOUSE, Action.SHIP_REPLACEMENT, lambda: _exchanges(owing=False)),
        Work("refund", Role.FINANCE, Action.REFUND, _refunds_owed),
        Work("payment", Role.FINANCE, Action.RECORD_PAYMENT, lambda: _exchanges(owing=True)),
    )
}


@dataclass(frozen=True)
class Waiting:
    """How many requests wait as one kind of work."""

    key: str
    count: int


async def waiting_work(actor: Actor) -> dict[Role, list[Waiting]]:
    """The kinds of work this actor's roles may do, per role, each with how many requests
    wait now (one count in SQL per kind), in the order of the lifecycle."""
    waiting: dict[Role, list[Waiting]] = {}
    for work in WORK.values():
        if can_take(actor, work.action):
            count = await work.requests().count()
            waiting.setdefault(work.role, []).append(Waiting(work.key, count))
    return waiting


def work_filter(key: str) -> Q:
    """The queue's filter for one kind of work (a key of ``WORK``)."""
    return Q(id__in=Subquery(WORK[key].requests().values("id")))
