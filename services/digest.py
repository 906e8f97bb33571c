"""The daily digest for the staff chat: new requests, open ones per status, SLA breaches,
low stock."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from domain.clock import Clock
from domain.policy import PolicyBook
from domain.returns import Status
from models import Notification, ReturnRequest
from services.effects import enqueue
from services.escalations import count_overdue
from services.policies import load_policy_book
from services.queue import low_stock_levels
from services.reminders import AWAITING_PARCEL

__all__ = ["Digest", "collect_digest", "send_daily_digest"]


@dataclass(frozen=True)
class Digest:
    """The day's figures, as the staff chat reads them."""

    date: str
    new: int
    submitted: int
    needs_info: int
    approved: int
    received: int
    inspected: int
    overdue: int
    low_stock: int


async def collect_digest(now: datetime, day: date, book: PolicyBook) -> Digest:
    """Count what the staff should know about this morning: "approved" counts the requests
    still awaiting the parcel (one whose tracking number is in is on its way)."""
    per_status = {
        status: await ReturnRequest.filter(status=status).count()
        for status in (Status.SUBMITTED, Status.NEEDS_INFO, Status.RECEIVED, Status.INSPECTED)
    }
    per_status[Status.APPROVED] = await ReturnRequest.filter(**AWAITING_PARCEL).count()
    return Digest(
        date=day.isoformat(),
        new=await ReturnRequest.filter(created_at__gt=now - timedelta(days=1)).count(),
        **{str(status): count for status, count in per_status.items()},
        overdue=await count_overdue(now, book),
        low_stock=await low_stock_levels().count(),
    )


async def send_daily_digest(clock: Clock) -> int:
    """Queue today's digest (the shop's date) for the staff chat, once a day; 1 if queued."""
    now = clock.now()
    book = await load_policy_book()
    day = now.astimezone(book.resolve("").zone).date()
    key = f"digest:{day.isoformat()}"
    if await Notification.exists(dedupe_key=key):
        return 0
    digest = await collect_digest(now, day, book)
    await enqueue("daily_digest", key, now, params=asdict(digest))
    return 1
