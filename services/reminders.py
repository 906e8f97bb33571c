"""Reminders to customers: send the parcel back (day 3 and day 10), answer the survey.

A reminder is queued when its day comes, and only while it still makes sense: the request
is still approved without a tracking number, or the closed request's survey is still
unanswered. One that waited in the outbox while the customer acted is skipped when it is
claimed (:func:`is_still_wanted`, called by the outbox), as is a call to act on a request
that was cancelled or rejected meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.clock import Clock
from domain.policy import Policy
from domain.returns import VOID_STATUSES, Status
from models import Notification, ReturnRequest, Survey
from services.deadlines import in_batches
from services.effects import enqueue
from services.policies import load_policy_book

__all__ = [
    "AWAITING_PARCEL",
    "SURVEY_REMINDER_AFTER",
    "awaits_parcel",
    "awaits_survey",
    "is_still_wanted",
    "send_ship_back_reminders",
    "send_survey_reminders",
]

SURVEY_REMINDER_AFTER = timedelta(days=2)
# Surveys sent longer ago than this are not chased (say, after the job was down for weeks).
SURVEY_REMINDER_STALE = timedelta(days=7)


# The customer still has to send the parcel: approved, no tracking number yet. One rule, as
# filters for queries (these reminders, the daily digest) and for one request (awaits_parcel).
AWAITING_PARCEL = {"status": Status.APPROVED, "tracking_number": ""}


def awaits_parcel(request: ReturnRequest) -> bool:
    """Tell whether the customer still has to send the parcel of an approved request."""
    return all(getattr(request, name) == value for name, value in AWAITING_PARCEL.items())


async def awaits_survey(request: ReturnRequest) -> bool:
    """Tell whether the closed request's survey is still unanswered."""
    return request.status is Status.CLOSED and not await Survey.exists(request_id=request.id)


# Messages that ask the customer to do something for a request that is still going on.
CALLS_TO_ACT = frozenset({"return_approved", "question_asked"})


async def is_still_wanted(template: str, request_id: int | None) -> bool:
    """Tell whether a queued message is still worth sending: reminders only while awaited,
    and no call to act (send the parcel, answer a question) once the request was cancelled
    or rejected — the customer would be told to ship a request that has ended."""
    if template not in {"ship_back_reminder", "survey_reminder", *CALLS_TO_ACT}:
        return True
    request = await ReturnRequest.get_or_none(id=request_id) if request_id else None
    if request is None:
        return False
    if template in CALLS_TO_ACT:
        return request.status not in VOID_STATUSES
    if template == "ship_back_reminder":
        return awaits_parcel(request)
    return await awaits_survey(request)


async def send_ship_back_reminders(clock: Clock) -> int:
    """Queue each ship-back reminder whose day (after approval) has come; return how many.

    Reminder days come from the request's channel policy (``reminder_days``, 3 and 10 by
    default). When a run was missed, only the latest day reached is sent, not a backlog.
    """
    now = clock.now()
    book = await load_policy_book()
    queued = 0
    awaiting = ReturnRequest.filter(**AWAITING_PARCEL, deadline_at__gt=now).select_related("order")
    async for batch in in_batches(awaiting):
        for request in batch:
            day = reminder_day(request, book.resolve(request.order.channel), now)
            if day is not None and await _queue_ship_back_reminder(request, day, now):
                queued += 1
    return queued


def approved_at(request: ReturnRequest) -> datetime:
    """When the request was approved: its deadline less the ship-back days it was given."""
    assert request.deadline_at is not None
    return request.deadline_at - timedelta(days=request.policy_decision["ship_back_days"])


def reminder_day(request: ReturnRequest, policy: Policy, now: datetime) -> int | None:
    """The latest reminder day reached by ``now``, if any."""
    start = approved_at(request)
    reached = [day for day in policy.reminder_days if start + timedelta(days=day) <= now]
    return max(reached, default=None)


async def _queue_ship_back_reminder(request: ReturnRequest, day: int, now: datetime) -> bool:
    key = f"{request.number}:ship_back_reminder:{day}"
    if await Notification.exists(dedupe_key=key):
        return False
    assert request.deadline_at is not None
    await enqueue(
        "ship_back_reminder",
        key,
        now,
        customer_id=request.customer_id,
        params={"number": request.number, "deadline": request.deadline_at.isoformat()},
    )
    return True


async def send_survey_reminders(clock: Clock) -> int:
    """Queue one survey reminder per survey sent two days ago and still unanswered."""
    now = clock.now()
    sent = Notification.filter(
        template="survey",
        sent_at__lte=now - SURVEY_REMINDER_AFTER,
        sent_at__gt=now - SURVEY_REMINDER_AFTER - SURVEY_REMINDER_STALE,
    ).only("id", "params")
    queued = 0
    async for batch in in_batches(sent):
        numbers = [survey.params.get("number", "") for survey in batch]
        for request in await ReturnRequest.filter(number__in=numbers):
            queued += await _queue_survey_reminder(request, now)
    return queued


async def _queue_survey_reminder(request: ReturnRequest, now: datetime) -> bool:
    key = f"{request.number}:survey_reminder"
    if not await awaits_survey(request) or await Notification.exists(dedupe_key=key):
        return False
    await enqueue(
        "survey_reminder",
        key,
        now,
        customer_id=request.customer_id,
        params={"number": request.number},
    )
    return True
