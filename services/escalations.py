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


# A request overdue for longer than this was escalated by an earlier run (the job runs every
# few minutes); looking no further back keeps each run small however many requests exist.
LOOKBACK = timedelta(days=2)


def _sla_hours(book: PolicyBook, channel: str, field: str) -> int:
    return int(getattr(book.resolve(channel), field))


def _sla_bounds(book: PolicyBook, field: str) -> tuple[int, int]:
    """The shortest and longest SLA (hours) of a stage over the default and every channel."""
    hours = [_sla_hours(book, channel, field) for channel in ("", *book.channels)]
    return min(hours), max(hours)


async def overdue_returns(now: datetime, book: PolicyBook | None = None) -> AsyncIterator[Overdue]:
    """Yield open requests that recently outstayed their stage's SLA (picked in SQL, read a
    batch at a time, then checked against their channel's SLA)."""
    book = book or await load_policy_book()
    for status, (stage, field) in STAGES.items():
        shortest, longest = _sla_bounds(book, field)
        candidates = ReturnRequest.filter(
            status=status,
            status_changed_at__lte=now - timedelta(hours=shortest),
            status_changed_at__gt=now - timedelta(hours=longest) - LOOKBACK,
        ).select_related("order")
        async for batch in in_batches(candidates):
            for request in batch:
                hours = _sla_hours(book, request.order.channel, field)
                if request.status_changed_at + timedelta(hours=hours) <= now:
                    yield Overdue(request, stage, hours)


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
    """Tell the staff chat about each newly overdue request, once per stage; return how many."""
    now = clock.now()
    escalated = 0
    async for item in overdue_returns(now):
        if await Notification.exists(dedupe_key=item.dedupe_key):
            continue
        request = item.request
        await enqueue(
            "sla_overdue",
            item.dedupe_key,
            now,
            params={"number": request.number, "stage": item.stage, "hours": item.hours},
        )
        escalated += 1
    return escalated
