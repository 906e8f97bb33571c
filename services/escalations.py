"""SLA escalations: the staff chat hears once about each request that overstays its stage.

Stages and their SLA (policy, per channel): review while ``submitted`` (24 h), inspection
while ``received`` (48 h), refund or exchange while ``inspected`` (72 h). A stage starts
when the request entered its status; a request that comes back to a stage (a reply to a
question sends it back to review) starts the clock again and may be escalated again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from domain.clock import Clock
from domain.policy import PolicyBook
from domain.returns import Status
from models import Notification, ReturnRequest
from services.deadlines import in_batches
from services.effects import enqueue
from services.policies import load_policy_book

__all__ = [
    "STAGES",
    "Breaches",
    "Overdue",
    "count_overdue",
    "escalate_overdue_returns",
    "overdue_filter",
    "overdue_returns",
    "sla_breaches",
    "stage_overdue_filter",
]

# status → (stage, the policy field with its SLA in hours)
STAGES = {
    Status.SUBMITTED: ("review", "sla_review_hours"),
    Status.RECEIVED: ("inspection", "sla_inspection_hours"),
    Status.INSPECTED: ("refund", "sla_refund_hours"),
}


@dataclass(frozen=True)
class Overdue:
    """A request past its stage's SLA, the stage, and that SLA in hours."""

    request: ReturnRequest
    stage: str
    hours: int

    @property
    def dedupe_key(self) -> str:
        request = self.request
        entered = int(request.status_changed_at.timestamp())
        return f"staff:{request.number}:sla_overdue:{self.stage}:{entered}"


def _sla_hours(book: PolicyBook, channel: str, field: str) -> int:
    return int(getattr(book.resolve(channel), field))


async def overdue_returns(
    now: datetime, book: PolicyBook | None = None
) -> AsyncIterator[list[Overdue]]:
    """Yield, a batch at a time, the open requests past their stage's SLA however long ago
    (picked in SQL by the shortest SLA of the stage, then checked against their channel's):
    an outage of any length leaves none of them unescalated."""
    book = book or await load_policy_book()
    for status, (stage, field) in STAGES.items():
        shortest = min(_sla_hours(book, channel, field) for channel in ("", *book.channels))
        candidates = ReturnRequest.filter(
            status=status, status_changed_at__lte=now - timedelta(hours=shortest)
        ).select_related("order")
        async for batch in in_batches(candidates):
            yield _past_their_sla(batch, (stage, field), book, now)


def _past_their_sla(
    batch: list[ReturnRequest], stage: tuple[str, str], book: PolicyBook, now: datetime
) -> list[Overdue]:
    """The requests of ``batch`` past the SLA their channel sets for the stage."""
    name, field = stage
    overdue = []
    for request in batch:
        hours = _sla_hours(book, request.order.channel, field)
        if request.status_changed_at + timedelta(hours=hours) <= now:
            overdue.append(Overdue(request, name, hours))
    return overdue


def overdue_filter(now: datetime, book: PolicyBook) -> Q:
    """Requests past their stage's SLA at ``now``, each by its channel's SLA (a filter on the
    indexed status and the time the stage began)."""
    return Q(*(stage_overdue_filter(status, now, book) for status in STAGES), join_type=Q.OR)


def stage_overdue_filter(status: Status, now: datetime, book: PolicyBook) -> Q:
    """Requests in ``status`` (one of the STAGES) past that stage's SLA at ``now``."""
    field = STAGES[status][1]

    def late(channel: str) -> Q:
        return Q(status_changed_at__lte=now - timedelta(hours=_sla_hours(book, channel, field)))

    default = late("")
    if book.channels:
        default &= ~Q(order__channel__in=list(book.channels))
    own = [Q(order__channel=channel) & late(channel) for channel in book.channels]
    return Q(status=status) & Q(default, *own, join_type=Q.OR)


@dataclass(frozen=True)
class Breaches:
    """How many open requests are past one stage's SLA; ``hours`` is the shop's default SLA
    for the stage (a channel's own may differ, and is the one each request is held to)."""

    stage: str
    status: Status
    hours: int
    count: int


async def sla_breaches(now: datetime, book: PolicyBook | None = None) -> list[Breaches]:
    """Per stage, how many open requests are past its SLA right now (counted in SQL)."""
    book = book or await load_policy_book()
    return [
        Breaches(
            stage,
            status,
            _sla_hours(book, "", field),
            await ReturnRequest.filter(stage_overdue_filter(status, now, book)).count(),
        )
        for status, (stage, field) in STAGES.items()
    ]


async def count_overdue(now: datetime, book: PolicyBook) -> int:
    """How many open requests are past their stage's SLA right now (counted in SQL)."""
    return sum(breaches.count for breaches in await sla_breaches(now, book))


async def escalate_overdue_returns(clock: Clock) -> int:
    """Tell the staff chat about each overdue request not yet escalated, once per stage (one
    lookup of the batch's dedupe keys); return how many."""
    now = clock.now()
    escalated = 0
    async for batch in overdue_returns(now):
        keys = [item.dedupe_key for item in batch]
        told = set(
            await Notification.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
        )
        for item in batch:
            if item.dedupe_key not in told:
                await _escalate(item, now)
                escalated += 1
    return escalated


async def _escalate(item: Overdue, now: datetime) -> None:
    params = {"number": item.request.number, "stage": item.stage, "hours": item.hours}
    await enqueue("sla_overdue", item.dedupe_key, now, params=params)
