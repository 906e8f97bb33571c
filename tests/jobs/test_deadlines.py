"""Expiry after the ship-back deadline and auto-close after resolution: once, at their time."""

from datetime import timedelta
from decimal import Decimal

from domain.returns import Status
from models import PolicyRule, ReturnEvent, ReturnRequest
from services.deadlines import close_resolved_returns, expire_overdue_returns
from services.refunds import refund_return
from services.review import expire_return
from tests.factories import FINANCE
from tests.jobs.steps import (
    FIVE_REQUESTS,
    MINUTE,
    approved,
    containing,
    drain,
    inspected,
    refunded,
    send_parcel,
)

DAY = timedelta(days=1)


async def status_of(view) -> Status:
    return (await ReturnRequest.get(id=view.id)).status


async def test_expiry_cancels_once_when_the_deadline_passes(outbox):
    clock = outbox.shop.clock
    view = await approved(outbox)
    clock.set(view.deadline_at - MINUTE)
    assert await expire_overdue_returns(clock) == 0
    clock.set(view.deadline_at)
    assert await expire_overdue_returns(clock) == 1
    assert await expire_overdue_returns(clock) == 0
    assert await status_of(view) is Status.CANCELLED
    await drain(outbox)
    expired = containing(outbox, outbox.chat_id, "未在期限内寄回")
    [message] = expired
    assert view.number in message
    events = await ReturnEvent.filter(request_id=view.id, action="expire").count()
    assert events == 1


async def test_no_expiry_once_the_customer_sent_the_parcel(outbox):
    clock = outbox.shop.clock
    view = await approved(outbox)
    clock.set(view.deadline_at - DAY)
    await send_parcel(outbox, view)
    clock.set(view.deadline_at + DAY)
    assert await expire_overdue_returns(clock) == 0
    assert await status_of(view) is Status.APPROVED


async def test_a_parcel_sent_after_the_job_picked_the_request_is_not_expired(outbox, monkeypatch):
    """The customer gives a tracking number between the job's query and the expiry: the
    expiry is refused (parcel on its way), and the job counts the request as not expired."""
    clock = outbox.shop.clock
    view = await approved(outbox)
    clock.set(view.deadline_at)

    async def sent_just_before(return_id, *, clock):
        await send_parcel(outbox, view)
        return await expire_return(return_id, clock=clock)

    monkeypatch.setattr("services.deadlines.expire_return", sent_just_before)
    assert await expire_overdue_returns(clock) == 0
    assert await status_of(view) is Status.APPROVED
    assert (await ReturnRequest.get(id=view.id)).tracking_number == "SF1234567890"


async def test_auto_close_closes_once_after_the_delay(outbox):
    clock = outbox.shop.clock
    view = await refunded(outbox)
    resolved_at = clock.now()
    clock.set(resolved_at + 7 * DAY - MINUTE)
    assert await close_resolved_returns(clock) == 0
    clock.set(resolved_at + 7 * DAY)
    assert await close_resolved_returns(clock) == 1
    assert await close_resolved_returns(clock) == 0
    assert await status_of(view) is Status.CLOSED
    closed = await ReturnEvent.get(request_id=view.id, action="close")
    assert closed.actor == "auto_close"


async def test_auto_close_waits_while_part_of_the_refund_is_owed(outbox):
    clock = outbox.shop.clock
    view = await inspected(outbox)
    await refund_return(view.id, actor=FINANCE, clock=clock, amount=Decimal("1.00"))
    clock.advance(30 * DAY)
    assert await close_resolved_returns(clock) == 0
    assert await status_of(view) is Status.REFUNDED
    await refund_return(view.id, actor=FINANCE, clock=clock)
    clock.advance(7 * DAY)
    assert await close_resolved_returns(clock) == 1
    assert await status_of(view) is Status.CLOSED


async def test_auto_close_waits_for_the_delay_of_the_requests_channel(outbox):
    await PolicyRule.create(scope="channel", key="marketplace", settings={"auto_close_days": 1})
    clock = outbox.shop.clock
    view = await refunded(outbox)  # a web order: the default seven days
    clock.advance(6 * DAY)
    assert await close_resolved_returns(clock) == 0
    await PolicyRule.create(scope="channel", key="web", settings={"auto_close_days": 5})
    assert await close_resolved_returns(clock) == 1
    assert await status_of(view) is Status.CLOSED


async def test_expiry_goes_through_more_requests_than_one_batch(outbox, small_batches):
    clock = outbox.shop.clock
    views = [await approved(outbox, items) for items in FIVE_REQUESTS]
    clock.set(views[-1].deadline_at)
    assert await expire_overdue_returns(clock) == len(views) > 2 * small_batches
    assert await expire_overdue_returns(clock) == 0
    assert {await status_of(view) for view in views} == {Status.CANCELLED}


async def test_auto_close_goes_through_more_requests_than_one_batch(outbox, small_batches):
    clock = outbox.shop.clock
    views = [await refunded(outbox, items) for items in FIVE_REQUESTS]
    clock.advance(7 * DAY)
    assert await close_resolved_returns(clock) == len(views) > 2 * small_batches
    assert await close_resolved_returns(clock) == 0
    assert {await status_of(view) for view in views} == {Status.CLOSED}
