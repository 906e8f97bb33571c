"""SLA escalations: the staff chat hears once about each request that overstays its stage.

Stages and their SLA (policy, per channel): review while ``submitted`` (24 h), inspection
while ``received`` (48 h), refund or exchange while ``inspected`` (72 h). A stage starts
when the request entered its status; a request that comes back to a stage (a reply to a
question sends it back to review) starts the clock again and may be escalated again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.clock import Clock
from domain.policy import PolicyBook
from domain.returns import Status
from models import Notification, ReturnRequest
from services.effects import enqueue
from services.policies import load_policy_book

__all__ = ["STAGES", "Overdue", "escalate_overdue_returns", "overdue_returns"]

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


async def overdue_returns(now: datetime, book: PolicyBook | None = None) -> list[Overdue]:
    """List open requests that stayed in their stage longer than its SLA allows."""
    book = book or await load_policy_book()
    staged = await ReturnRequest.filter(status__in=list(STAGES)).select_related("order")
    overdue = []
    for request in staged:
        stage, field = STAGES[request.status]
        hours = int(getattr(book.resolve(request.order.channel), field))
        if request.status_changed_at + timedelta(hours=hours) <= now:
            overdue.append(Overdue(request, stage, hours))
    return overdue


async def escalate_overdue_returns(clock: Clock) -> int:
    """Tell the staff chat about each newly overdue request, once per stage; return how many."""
    now = clock.now()
    escalated = 0
    for item in await overdue_returns(now):
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
