"""Ending requests when their time is up: expiry after the ship-back deadline, auto-close.

Both go through the lifecycle services (``expire_return``, ``close_return`` as the system),
one request at a time, so each is one transaction with its own version check; a request
someone else moved meanwhile is left alone.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import DomainError
from domain.returns import Actor, Status
from models import ReturnRequest
from services.policies import load_policy_book
from services.review import close_return, expire_return

__all__ = ["close_resolved_returns", "expire_overdue_returns"]

AUTO_CLOSE = Actor.system("auto_close")


async def _succeeded(action: Awaitable[bool]) -> bool:
    """Run one request's action; a refusal (it moved on meanwhile) counts as not done."""
    try:
        return await action
    except DomainError:
        return False


async def expire_overdue_returns(clock: Clock) -> int:
    """Cancel approved requests whose deadline passed with no parcel sent; return how many."""
    overdue = await ReturnRequest.filter(
        status=Status.APPROVED, tracking_number="", deadline_at__lte=clock.now()
    ).only("id")
    expired = 0
    for request in overdue:
        expired += await _succeeded(_expire_unless_sent(request.id, clock))
    return expired


async def _expire_unless_sent(return_id: int, clock: Clock) -> bool:
    """Expire the request while holding its row, so a tracking number added now wins or waits."""
    async with in_transaction():
        waiting = (
            await ReturnRequest.filter(id=return_id, tracking_number="").select_for_update().first()
        )
        if waiting is None:
            return False
        await expire_return(return_id, clock=clock)
    return True


async def _close(return_id: int, clock: Clock) -> bool:
    await close_return(return_id, actor=AUTO_CLOSE, clock=clock)
    return True


async def close_resolved_returns(clock: Clock) -> int:
    """Close refunded and exchanged requests after the auto-close delay; return how many."""
    now = clock.now()
    book = await load_policy_book()
    resolved = await ReturnRequest.filter(
        status__in=[Status.REFUNDED, Status.EXCHANGED]
    ).select_related("order")
    closed = 0
    for request in resolved:
        delay = timedelta(days=book.resolve(request.order.channel).auto_close_days)
        if request.status_changed_at + delay <= now:
            closed += await _succeeded(_close(request.id, clock))
    return closed
