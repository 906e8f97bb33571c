"""Ending requests when their time is up: expiry after the ship-back deadline, auto-close.

Both go through the lifecycle services (``expire_return``, ``close_return`` as the system),
one request at a time, so each is one transaction with its own version check; a request
someone else moved meanwhile is left alone. The due requests are picked in SQL and read a
batch at a time (:func:`in_batches`), so a run's memory does not grow with the backlog.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.clock import Clock
from domain.errors import DomainError
from domain.policy import PolicyBook
from domain.returns import Actor, Status
from models import ReturnRequest
from services.policies import load_policy_book
from services.review import close_return, expire_return

__all__ = ["BATCH", "close_resolved_returns", "expire_overdue_returns", "in_batches"]

AUTO_CLOSE = Actor.system("auto_close")
BATCH = 200  # rows a job reads per query: it holds one batch, however many are due

M = TypeVar("M", bound=Model)


async def in_batches(query: QuerySet[M]) -> AsyncIterator[list[M]]:
    """Yield ``query``'s rows ``BATCH`` at a time in id order, holding one batch at a time.

    Keyset paging: each query starts after the last id seen, so the rows the caller acted on
    (which may no longer match) shift nothing, and a row it left alone is not read again.
    """
    last = 0
    while batch := await query.filter(id__gt=last).order_by("id").limit(BATCH):
        yield batch
        last = batch[-1].pk


async def _succeeded(action: Awaitable[bool]) -> bool:
    """Run one request's action; a refusal (it moved on meanwhile) counts as not done."""
    try:
        return await action
    except DomainError:
        return False


async def expire_overdue_returns(clock: Clock) -> int:
    """Cancel approved requests whose deadline passed with no parcel sent; return how many."""
    overdue = ReturnRequest.filter(
        status=Status.APPROVED, tracking_number="", deadline_at__lte=clock.now()
    ).only("id")
    expired = 0
    async for batch in in_batches(overdue):
        for request in batch:
            expired += await _succeeded(_expire(request.id, clock))
    return expired


async def _expire(return_id: int, clock: Clock) -> bool:
    """Expire the request (refused, as ``parcel_on_its_way``, once it has a tracking number:
    ``expire_return`` checks it on the locked row, so a tracking number added now wins or
    waits)."""
    await expire_return(return_id, clock=clock)
    return True


async def _close(return_id: int, clock: Clock) -> bool:
    """Close the request (refused while part of its refund is still owed: finance pays it
    first)."""
    await close_return(return_id, actor=AUTO_CLOSE, clock=clock)
    return True


async def close_resolved_returns(clock: Clock) -> int:
    """Close refunded and exchanged requests after the auto-close delay; return how many.

    The delay is the request's channel policy's ``auto_close_days``: the due requests are
    picked in SQL one channel at a time (the channels with a policy of their own, then all
    the others with the default delay) and closed a batch at a time.
    """
    book = await load_policy_book()
    closed = 0
    for due in _due_for_closing(book, clock.now()):
        async for batch in in_batches(due.only("id")):
            for request in batch:
                closed += await _succeeded(_close(request.id, clock))
    return closed


def _due_for_closing(book: PolicyBook, now: datetime) -> Iterator[QuerySet[ReturnRequest]]:
    resolved = ReturnRequest.filter(status__in=[Status.REFUNDED, Status.EXCHANGED])
    for channel in book.channels:
        closing = now - timedelta(days=book.resolve(channel).auto_close_days)
        yield resolved.filter(order__channel=channel, status_changed_at__lte=closing)
    closing = now - timedelta(days=book.resolve("").auto_close_days)
    others = resolved.exclude(order__channel__in=list(book.channels))
    yield others.filter(status_changed_at__lte=closing)
