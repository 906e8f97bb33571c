"""SLA escalations to the staff chat: once per request and stage, when the SLA runs out."""

from datetime import timedelta

from services.escalations import escalate_overdue_returns
from services.followup import reply_to_question
from services.review import approve_return, ask_customer
from tests.factories import REVIEWER, customer_of, open_return
from tests.jobs.steps import (
    FIVE_REQUESTS,
    MINUTE,
    containing,
    drain,
    inspected,
    open_staff_chat,
    received,
)

HOUR = timedelta(hours=1)
OVERDUE = "is overdue"


async def escalations_at(outbox, moment) -> int:
    outbox.shop.clock.set(moment)
    return await escalate_overdue_returns(outbox.shop.clock)


async def test_review_overdue_after_24_hours_is_escalated_once_in_the_staff_language(outbox):
    staff = open_staff_chat(outbox)
    start = outbox.shop.clock.now()
    view = await open_return(outbox.shop)
    assert await escalations_at(outbox, start + 24 * HOUR - MINUTE) == 0
    assert await escalations_at(outbox, start + 24 * HOUR) == 1
    assert await escalations_at(outbox, start + 30 * HOUR) == 0
    await drain(outbox)
    [message] = containing(outbox, staff, OVERDUE)
    assert view.number in message
    assert "review has taken more than 24 h" in message


async def test_inspection_after_48_hours_and_refund_after_72_hours(outbox):
    staff = open_staff_chat(outbox)
    start = outbox.shop.clock.now()
    waiting_inspection = await received(outbox)
    waiting_refund = await inspected(outbox)
    assert await escalations_at(outbox, start + 48 * HOUR - MINUTE) == 0
    assert await escalations_at(outbox, start + 48 * HOUR) == 1
    assert await escalations_at(outbox, start + 72 * HOUR - MINUTE) == 0
    assert await escalations_at(outbox, start + 72 * HOUR) == 1
    assert await escalations_at(outbox, start + 100 * HOUR) == 0
    await drain(outbox)
    [inspection] = containing(outbox, staff, "inspection has taken more than 48 h")
    [refund] = containing(outbox, staff, "the refund or replacement has taken more than 72 h")
    assert waiting_inspection.number in inspection
    assert waiting_refund.number in refund


async def test_a_request_back_in_review_after_a_reply_is_escalated_again(outbox):
    clock = outbox.shop.clock
    start = clock.now()
    view = await open_return(outbox.shop)
    assert await escalations_at(outbox, start + 24 * HOUR) == 1
    await ask_customer(view.id, "Which size?", actor=REVIEWER, clock=clock)
    assert await escalations_at(outbox, start + 26 * HOUR) == 0
    await reply_to_question(view.id, "M", actor=customer_of(outbox.shop), clock=clock)
    assert await escalations_at(outbox, start + 50 * HOUR - MINUTE) == 0
    assert await escalations_at(outbox, start + 50 * HOUR) == 1


async def test_no_escalation_once_staff_acted_in_time(outbox):
    clock = outbox.shop.clock
    start = clock.now()
    view = await open_return(outbox.shop)
    clock.set(start + 23 * HOUR)
    await approve_return(view.id, actor=REVIEWER, clock=clock)
    assert await escalations_at(outbox, start + 24 * HOUR) == 0


async def test_escalations_go_through_more_requests_than_one_batch(outbox, small_batches):
    start = outbox.shop.clock.now()
    for items in FIVE_REQUESTS:
        await open_return(outbox.shop, items)
    escalated = await escalations_at(outbox, start + 24 * HOUR)
    assert escalated == len(FIVE_REQUESTS) > 2 * small_batches
    assert await escalations_at(outbox, start + 25 * HOUR) == 0


async def test_a_request_overdue_since_before_an_outage_is_still_escalated_once(outbox):
    staff = open_staff_chat(outbox)
    start = outbox.shop.clock.now()
    view = await open_return(outbox.shop)
    # nothing ran for ten days: the review SLA ran out nine days ago
    assert await escalations_at(outbox, start + 10 * 24 * HOUR) == 1
    assert await escalations_at(outbox, start + 10 * 24 * HOUR + 5 * MINUTE) == 0
    await drain(outbox)
    [message] = containing(outbox, staff, OVERDUE)
    assert view.number in message
