"""The instance's scheduler: SIGUSR1 runs every cluster job now, once, then the cron goes on."""

import asyncio
import os
import signal
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_MODIFIED, EVENT_SCHEDULER_SHUTDOWN

from jobs.scheduler import CLUSTER_JOBS, build_scheduler
from tests.jobs.steps import STAFF_CHAT


async def test_sigusr1_brings_every_cluster_job_forward_to_now(outbox):
    app = outbox.app
    scheduler = build_scheduler(
        app.bot, app.bot_data["renderer"], clock=outbox.shop.clock, staff_chat_id=STAFF_CHAT
    )
    cluster_jobs = {"photo_copies"} | {job.name for job in CLUSTER_JOBS}
    modified: set[str] = set()
    all_modified = asyncio.Event()

    def note(event) -> None:
        modified.add(event.job_id)
        if len(modified) == len(cluster_jobs):
            all_modified.set()

    stopped = asyncio.Event()
    scheduler.add_listener(note, EVENT_JOB_MODIFIED)
    scheduler.add_listener(lambda _event: stopped.set(), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.start(paused=True)
    outbox_due = scheduler.get_job("outbox").next_run_time
    os.kill(os.getpid(), signal.SIGUSR1)
    await asyncio.wait_for(all_modified.wait(), timeout=10)
    now = datetime.now(UTC)
    assert modified == cluster_jobs
    assert all(scheduler.get_job(name).next_run_time <= now for name in cluster_jobs)
    assert scheduler.get_job("outbox").next_run_time == outbox_due
    scheduler.shutdown(wait=False)
    await asyncio.wait_for(stopped.wait(), timeout=10)
    assert not asyncio.get_running_loop().remove_signal_handler(signal.SIGUSR1)
