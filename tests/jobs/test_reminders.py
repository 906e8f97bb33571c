"""Ship-back reminders: day 3 and day 10 after approval, once each, only while awaited."""

from datetime import timedelta

from domain.returns import Actor
from models import PolicyRule
from services.reminders import send_ship_back_reminders
from services.review import ask_customer, cancel_return
from tests.factories import REVIEWER, open_return
from tests.jobs.steps import (
    FIVE_REQUESTS,
    MINUTE,
    approved,
    containing,
    drain,
    send_parcel,
    statuses,
    texts,
)

DAY = timedelta(days=1)
REMINDER_ZH = "提醒：请在"  # the Chinese reminder's opening words


async def test_ship_back_reminders_go_on_day_3_and_day_10_once_each(outbox):
    clock = outbox.shop.clock
    start = clock.now()
    view = await approved(outbox)
    clock.set(start + 3 * DAY - MINUTE)
    assert await send_ship_back_reminders(clock) == 0
    clock.set(start + 3 * DAY)
    assert await send_ship_back_reminders(clock) == 1
    assert await send_ship_back_reminders(clock) == 0
    await drain(outbox)
    reminders = containing(outbox, outbox.chat_id, REMINDER_ZH)
    assert len(reminders) == 1
    assert view.number in reminders[0]
    assert "/my" in reminders[0]
    for day in (5, 9):
        clock.set(start + day * DAY)
        assert await send_ship_back_reminders(clock) == 0
    clock.set(start + 10 * DAY)
    assert await send_ship_back_reminders(clock) == 1
    clock.set(start + 13 * DAY)
    assert await send_ship_back_reminders(clock) == 0
    await drain(outbox)
    assert len(containing(outbox, outbox.chat_id, REMINDER_ZH)) == 2


async def test_no_reminder_once_the_customer_sent_the_parcel(outbox):
    clock = outbox.shop.clock
    start = clock.now()
    view = await approved(outbox)
    clock.set(start + 2 * DAY)
    await send_parcel(outbox, view)
    for day in (3, 10, 13):
        clock.set(start + day * DAY)
        assert await send_ship_back_reminders(clock) == 0
    await drain(outbox)
    assert containing(outbox, outbox.chat_id, REMINDER_ZH) == []


async def test_a_queued_reminder_is_skipped_when_the_customer_acts_before_it_goes(outbox):
    clock = outbox.shop.clock
    start = clock.now()
    view = await approved(outbox)
    clock.set(start + 3 * DAY)
    assert await send_ship_back_reminders(clock) == 1
    await send_parcel(outbox, view)  # before the outbox got to the reminder
    await drain(outbox)
    assert containing(outbox, outbox.chat_id, REMINDER_ZH) == []
    assert await statuses("ship_back_reminder") == ["skipped"]


async def test_a_call_to_act_is_skipped_when_the_request_ended_before_it_went(outbox):
    clock = outbox.shop.clock
    shipped_back, asked = await approved(outbox), await open_return(outbox.shop, {"MUG-1": 1})
    await ask_customer(asked.id, "Which colour?", actor=REVIEWER, clock=clock)
    for view in (shipped_back, asked):  # before the outbox got to the approval or question
        await cancel_return(view.id, actor=Actor.customer(view.customer_id), clock=clock)

    await drain(outbox)

    assert await statuses("return_approved") == ["skipped"]
    assert await statuses("question_asked") == ["skipped"]
    told = texts(outbox, outbox.chat_id)
    assert [text for text in told if "Which colour?" in text or "已通过" in text] == []


async def test_after_a_missed_run_only_the_latest_reminder_goes(outbox):
    clock = outbox.shop.clock
    start = clock.now()
    await approved(outbox)
    clock.set(start + 11 * DAY)
    assert await send_ship_back_reminders(clock) == 1
    await drain(outbox)
    assert len(containing(outbox, outbox.chat_id, REMINDER_ZH)) == 1


async def test_reminder_days_follow_the_channel_policy(outbox):
    await PolicyRule.create(scope="channel", key="web", settings={"reminder_days": [1]})
    clock = outbox.shop.clock
    start = clock.now()
    await approved(outbox)
    clock.set(start + DAY)
    assert await send_ship_back_reminders(clock) == 1
    clock.set(start + 10 * DAY)
    assert await send_ship_back_reminders(clock) == 0


async def test_ship_back_reminders_go_through_more_requests_than_one_batch(outbox, small_batches):
    clock = outbox.shop.clock
    start = clock.now()
    for items in FIVE_REQUESTS:
        await approved(outbox, items)
    clock.set(start + 3 * DAY)
    assert await send_ship_back_reminders(clock) == len(FIVE_REQUESTS) > 2 * small_batches
    assert await send_ship_back_reminders(clock) == 0
    await drain(outbox)
    assert len(containing(outbox, outbox.chat_id, REMINDER_ZH)) == len(FIVE_REQUESTS)
