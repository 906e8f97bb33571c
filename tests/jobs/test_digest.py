"""The daily digest for the staff chat: once a day, at nine in the shop's time zone."""

from datetime import UTC, datetime, timedelta

from aiohttp import web

from domain.stock import Location
from jobs.scheduler import CLUSTER_JOBS, build_scheduler
from models import StockLevel
from returndesk.runtime import BotEndpoint, Plan, running_bot
from returndesk.settings import load_settings
from services.digest import send_daily_digest
from services.review import approve_return
from tests.e2e.conftest import TOKEN
from tests.factories import REVIEWER, open_return
from tests.jobs.steps import STAFF_CHAT, containing, drain, open_staff_chat, send_parcel

DAY = timedelta(days=1)


async def test_digest_counts_new_open_overdue_and_low_stock_once_a_day(outbox):
    staff = open_staff_chat(outbox)
    clock, shop = outbox.shop.clock, outbox.shop
    await open_return(shop)  # overdue in review by tomorrow
    waiting = await open_return(shop, {"MUG-1": 1})
    await approve_return(waiting.id, actor=REVIEWER, clock=clock)
    clock.advance(DAY + timedelta(hours=1))
    await open_return(shop, {"TEE-1": 1})  # new today
    cap = shop.products["CAP-1"]
    await StockLevel.filter(product_id=cap.id, location=Location.SELLABLE).update(quantity=2)
    assert await send_daily_digest(clock) == 1
    assert await send_daily_digest(clock) == 0
    await drain(outbox)
    [digest] = containing(outbox, staff, "Daily digest")
    assert "Daily digest, 2026-03-11" in digest
    assert "New requests (24 h): 1" in digest
    assert "To review: 2 · waiting for the customer: 0" in digest
    assert "Awaiting the parcel: 1 · to inspect: 0" in digest
    assert "Overdue (SLA): 1" in digest
    assert "Products low on stock: 1" in digest
    clock.advance(DAY)
    assert await send_daily_digest(clock) == 1


async def test_digest_is_scheduled_at_nine_shop_time_and_every_job_on_a_cron(outbox):
    renderer = outbox.app.bot_data["renderer"]
    scheduler = build_scheduler(
        outbox.app.bot, renderer, clock=outbox.shop.clock, staff_chat_id=STAFF_CHAT
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"outbox", "photo_copies"} | {job.name for job in CLUSTER_JOBS}
    noon_in_shanghai = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    fire = jobs["daily_digest"].trigger.get_next_fire_time(None, noon_in_shanghai)
    assert fire.astimezone(renderer.zone).replace(tzinfo=None) == datetime(2026, 3, 11, 9, 0)
    reminders = jobs["ship_back_reminders"].trigger.get_next_fire_time(None, noon_in_shanghai)
    assert reminders - noon_in_shanghai <= timedelta(minutes=5)


async def test_digest_does_not_count_a_parcel_on_its_way_as_awaited(outbox):
    staff = open_staff_chat(outbox)
    clock, shop = outbox.shop.clock, outbox.shop
    for _ in range(2):
        approved = await open_return(shop, {"MUG-1": 1})
        await approve_return(approved.id, actor=REVIEWER, clock=clock)
    await send_parcel(outbox, approved)  # the second one's parcel is on its way
    assert await send_daily_digest(clock) == 1
    await drain(outbox)
    [digest] = containing(outbox, staff, "Daily digest")
    assert "Awaiting the parcel: 1 · to inspect: 0" in digest


async def test_the_staff_chat_reads_its_messages_in_the_configured_language(outbox):
    """RETURNDESK_STAFF_LANGUAGE, from the settings through the runtime's scheduler to the
    outbox: the digest and a new-request alert reach the staff chat in Russian."""
    staff = open_staff_chat(outbox)
    settings = load_settings({"RETURNDESK_STAFF_LANGUAGE": "ru"})
    endpoint = BotEndpoint(TOKEN, outbox.emu.base_url, staff)
    await open_return(outbox.shop)  # alerts the staff chat
    assert await send_daily_digest(outbox.shop.clock) == 1
    async with running_bot(
        settings, web.Application(), outbox.shop.clock, Plan(frozenset({"scheduler"})), endpoint
    ):
        received = [(await outbox.emu.next_bot_message(staff))["text"] for _ in range(2)]
    [digest] = [text for text in received if "Сводка за 2026-" in text]
    assert "Ждём посылку: 0" in digest
    assert any("Новая заявка на возврат" in text for text in received)
