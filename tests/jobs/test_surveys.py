"""The survey after closing and its one reminder: at their time, in the customer's language
when it is sent, and never after the customer answered."""

from datetime import timedelta

from models import Customer
from services.deadlines import close_resolved_returns
from services.followup import submit_survey
from services.reminders import send_survey_reminders
from tests.factories import customer_of
from tests.jobs.steps import FIVE_REQUESTS, MINUTE, containing, drain, refunded, statuses

DAY = timedelta(days=1)
SURVEY_RU = "Оцените нас от 1 до 5"
REMINDER_RU = "Напоминаем: как мы справились"


async def closed_and_surveyed(outbox):
    """Refund, auto-close a week later, deliver the survey two days after that."""
    clock = outbox.shop.clock
    view = await refunded(outbox)
    clock.advance(7 * DAY)
    assert await close_resolved_returns(clock) == 1
    await drain(outbox)
    clock.advance(2 * DAY)
    await drain(outbox)
    return view


async def test_survey_goes_two_days_after_closing_in_the_language_of_that_day(outbox):
    clock = outbox.shop.clock
    view = await refunded(outbox)
    clock.advance(7 * DAY)
    await close_resolved_returns(clock)
    await Customer.filter(id=outbox.shop.customer.id).update(language="ru")
    clock.advance(2 * DAY - MINUTE)
    await drain(outbox)
    assert containing(outbox, outbox.chat_id, SURVEY_RU) == []
    clock.advance(MINUTE)
    await drain(outbox)
    surveys = [m for m in outbox.emu.messages(outbox.chat_id) if SURVEY_RU in m["text"]]
    [survey] = surveys
    assert view.number in survey["text"]
    stars = survey["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in stars] == [f"sv:{view.id}:{n}" for n in range(1, 6)]


async def test_one_survey_reminder_two_days_after_an_unanswered_survey(outbox):
    clock = outbox.shop.clock
    view = await closed_and_surveyed(outbox)
    await Customer.filter(id=outbox.shop.customer.id).update(language="ru")
    clock.advance(2 * DAY - MINUTE)
    assert await send_survey_reminders(clock) == 0
    clock.advance(MINUTE)
    assert await send_survey_reminders(clock) == 1
    assert await send_survey_reminders(clock) == 0
    await drain(outbox)
    reminders = [m for m in outbox.emu.messages(outbox.chat_id) if REMINDER_RU in m["text"]]
    [reminder] = reminders
    assert view.number in reminder["text"]
    assert len(reminder["reply_markup"]["inline_keyboard"][0]) == 5
    for _day in range(5):
        clock.advance(DAY)
        assert await send_survey_reminders(clock) == 0


async def test_no_survey_reminder_once_the_customer_answered(outbox):
    clock = outbox.shop.clock
    view = await closed_and_surveyed(outbox)
    clock.advance(DAY)
    await submit_survey(view.id, 4, actor=customer_of(outbox.shop), clock=clock)
    clock.advance(2 * DAY)
    assert await send_survey_reminders(clock) == 0


async def test_a_queued_survey_reminder_is_skipped_when_the_customer_answers_first(outbox):
    clock = outbox.shop.clock
    view = await closed_and_surveyed(outbox)
    clock.advance(2 * DAY)
    assert await send_survey_reminders(clock) == 1
    await submit_survey(view.id, 5, actor=customer_of(outbox.shop), clock=clock)
    await drain(outbox)
    assert containing(outbox, outbox.chat_id, "温馨提醒") == []
    assert await statuses("survey_reminder") == ["skipped"]


async def test_survey_reminders_go_through_more_surveys_than_one_batch(outbox, small_batches):
    clock = outbox.shop.clock
    for items in FIVE_REQUESTS:
        await refunded(outbox, items)
    clock.advance(7 * DAY)
    assert await close_resolved_returns(clock) == len(FIVE_REQUESTS)
    clock.advance(2 * DAY)
    await drain(outbox)
    clock.advance(2 * DAY)
    assert await send_survey_reminders(clock) == len(FIVE_REQUESTS) > 2 * small_batches
    assert await send_survey_reminders(clock) == 0
    assert await statuses("survey_reminder") == ["pending"] * len(FIVE_REQUESTS)
