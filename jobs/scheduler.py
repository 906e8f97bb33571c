"""The scheduler: APScheduler's AsyncIOScheduler on the app's event loop.

Outbox delivery runs on every instance: claims with ``SKIP LOCKED`` split the work. Every
other job must run once per cluster: it takes its lease (``services.leases``) and calls one
service function. Cron jobs fire on the minute in the shop's time zone, so instances
fire together and contend for the lease rather than running one after the other.

Copying customer photos needs the bot, so only an instance with one schedules it; it is a
cluster job all the same (two instances copying at once would fetch each photo twice).

``SIGUSR1`` brings every cluster job forward to now, once (each still under its lease), for
an operator after an outage and for the memory benchmark, which must see every job run.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot

from bot.app import download_file
from bot.i18n import Renderer
from domain.clock import Clock
from jobs.outbox import deliver_due
from jobs.photos import PhotoCopier
from services.deadlines import close_resolved_returns, expire_overdue_returns
from services.digest import send_daily_digest
from services.escalations import escalate_overdue_returns
from services.leases import run_exclusively
from services.reminders import send_ship_back_reminders, send_survey_reminders
from services.report_snapshots import refresh_report_snapshots
from services.reports import SNAPSHOT_MINUTES

log = logging.getLogger("returndesk.jobs")

OUTBOX_EVERY_SECONDS = 1
OUTBOX_BATCH = 50
OUTBOX_WORKERS = 2
OUTBOX_BUDGET_SECONDS = 30.0
MISFIRE_GRACE_SECONDS = 60


@dataclass(frozen=True)
class ClusterJob:
    """A job that must run once per cluster: one service call on a cron schedule."""

    name: str
    service: Callable[[Clock], Awaitable[int]]
    cron: Mapping[str, str] = field(default_factory=dict)


CLUSTER_JOBS = (
    ClusterJob("ship_back_reminders", send_ship_back_reminders, {"minute": "*/5"}),
    ClusterJob("expiry", expire_overdue_returns, {"minute": "*/5"}),
    ClusterJob("sla_escalations", escalate_overdue_returns, {"minute": "*/5"}),
    ClusterJob("survey_reminders", send_survey_reminders, {"minute": "*/15"}),
    ClusterJob("auto_close", close_resolved_returns, {"minute": "0"}),
    ClusterJob("daily_digest", send_daily_digest, {"hour": "9", "minute": "0"}),
    ClusterJob("report_snapshots", refresh_report_snapshots, {"minute": f"*/{SNAPSHOT_MINUTES}"}),
)
PHOTO_COPIES_EVERY = {"second": "*/15"}


def photo_copies(bot: Bot) -> ClusterJob:
    """The cluster job that keeps a local copy of every customer photo, fetched by ``bot``."""
    return ClusterJob("photo_copies", PhotoCopier(partial(download_file, bot)), PHOTO_COPIES_EVERY)


async def deliver_backlog(
    bot: Bot,
    renderer: Renderer,
    *,
    clock: Clock,
    staff_chat_id: int | None,
    staff_language: str = "en",
    limit: int = OUTBOX_BATCH,
    budget: float = OUTBOX_BUDGET_SECONDS,
    workers: int = OUTBOX_WORKERS,
) -> int:
    """Deliver batch after batch while full batches come back, for at most ``budget`` s.

    ``workers`` loops claim and send side by side (their claims skip each other's rows), so
    one batch's database work overlaps another's sending and the rate limiter stays busy.
    """
    stop_at = asyncio.get_running_loop().time() + budget

    async def work() -> int:
        total = 0
        while True:
            sent = await deliver_due(
                bot,
                renderer,
                clock=clock,
                staff_chat_id=staff_chat_id,
                staff_language=staff_language,
                limit=limit,
            )
            total += sent
            if sent < limit or asyncio.get_running_loop().time() >= stop_at:
                return total

    return sum(await asyncio.gather(*(work() for _ in range(workers))))


async def run_cluster_job(job: ClusterJob, clock: Clock, turn: asyncio.Lock) -> int | None:
    """Run ``job`` under its lease; None when another instance is running it.

    ``turn`` lets one cluster job at a time run on this instance, so the connections that
    hold leases never take the whole pool from the jobs' own queries.
    """
    async with turn:
        done = await run_exclusively(job.name, lambda: job.service(clock))
    if done:
        log.info("%s: %d done", job.name, done)
    return done


def build_scheduler(
    bot: Bot,
    renderer: Renderer,
    *,
    clock: Clock,
    staff_chat_id: int | None,
    staff_language: str = "en",
    zone: ZoneInfo | None = None,
) -> AsyncIOScheduler:
    """Every job of the desk, the staff chat's messages in ``staff_language``; start it
    inside the running loop."""
    scheduler = build_cluster_scheduler(
        clock=clock, zone=zone or renderer.zone, bot_jobs=(photo_copies(bot),)
    )
    scheduler.add_job(
        deliver_backlog,
        "interval",
        seconds=OUTBOX_EVERY_SECONDS,
        kwargs={
            "bot": bot,
            "renderer": renderer,
            "clock": clock,
            "staff_chat_id": staff_chat_id,
            "staff_language": staff_language,
        },
        id="outbox",
        max_instances=1,
        coalesce=True,
    )
    return scheduler


def build_cluster_scheduler(
    *, clock: Clock, zone: ZoneInfo, bot_jobs: tuple[ClusterJob, ...] = ()
) -> AsyncIOScheduler:
    """The once-per-cluster jobs, and ``bot_jobs`` on an instance with a bot (without one,
    what the jobs say to people waits in the outbox for an instance that has one); start it
    inside the running loop."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    turn = asyncio.Lock()
    jobs = (*CLUSTER_JOBS, *bot_jobs)
    for job in jobs:
        scheduler.add_job(
            run_cluster_job,
            "cron",
            args=(job, clock, turn),
            id=job.name,
            timezone=zone,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            **job.cron,
        )
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, run_cluster_jobs_now, scheduler, jobs)
    scheduler.add_listener(
        lambda _event: loop.remove_signal_handler(signal.SIGUSR1), EVENT_SCHEDULER_SHUTDOWN
    )
    return scheduler


def run_cluster_jobs_now(scheduler: AsyncIOScheduler, jobs: tuple[ClusterJob, ...]) -> None:
    """Bring every cluster job's next run forward to now; its cron goes on from there."""
    now = datetime.now(UTC)
    for job in jobs:
        scheduler.modify_job(job.name, next_run_time=now)
