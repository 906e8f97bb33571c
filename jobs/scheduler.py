"""The scheduler: APScheduler's AsyncIOScheduler on the app's event loop."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot

from bot.i18n import Renderer
from domain.clock import Clock
from jobs.outbox import deliver_due

OUTBOX_EVERY_SECONDS = 1


def build_scheduler(
    bot: Bot, renderer: Renderer, *, clock: Clock, staff_chat_id: int | None
) -> AsyncIOScheduler:
    """Every job of the desk; start it inside the running loop."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        deliver_due,
        "interval",
        seconds=OUTBOX_EVERY_SECONDS,
        kwargs={"bot": bot, "renderer": renderer, "clock": clock, "staff_chat_id": staff_chat_id},
        id="outbox",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
