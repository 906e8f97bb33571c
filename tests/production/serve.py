"""`returndesk serve`, with one cluster-once job brought forward to every few seconds.

    python -m tests.production.serve serve --log-json

The real command (``returndesk.cli.main``) with one change made before it builds its
scheduler: the job named by RETURNDESK_TEST_FAST_JOB fires every RETURNDESK_TEST_FAST_EVERY
seconds (on the wall clock's multiples, so every instance fires together, as the hourly
and five-minute jobs do) instead of on its cron schedule, and holds its lease for
RETURNDESK_TEST_FAST_HOLD seconds. Every attempt is appended to RETURNDESK_TEST_JOURNAL as
``attempted_at ran started finished`` so a test can see who ran each firing and who
skipped it. Nothing else differs from `returndesk serve`.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace

from jobs import scheduler
from returndesk.cli import main

FAST_JOB = os.environ.get("RETURNDESK_TEST_FAST_JOB", "")
EVERY = int(os.environ.get("RETURNDESK_TEST_FAST_EVERY", "3"))
HOLD = float(os.environ.get("RETURNDESK_TEST_FAST_HOLD", "1"))
JOURNAL = os.environ.get("RETURNDESK_TEST_JOURNAL", "")
last_run = [0.0, 0.0]  # started, finished: the held job's latest run in this process


def fast(job: scheduler.ClusterJob) -> scheduler.ClusterJob:
    """The job every EVERY seconds, holding its lease HOLD seconds before its work."""
    service = job.service

    async def held(clock):  # type: ignore[no-untyped-def]
        started = time.time()
        await asyncio.sleep(HOLD)  # long enough for the other instance to meet the lease
        await service(clock)
        last_run[:] = [started, time.time()]
        return 0

    return replace(job, service=held, cron={"second": f"*/{EVERY}"})


def write_journal(attempted: float, ran: bool) -> None:
    started, finished = last_run if ran else (0.0, 0.0)
    with open(JOURNAL, "a", encoding="utf-8") as journal:
        journal.write(f"{attempted} {int(ran)} {started} {finished}\n")


def bring_forward() -> None:
    scheduler.CLUSTER_JOBS = tuple(
        fast(job) if job.name == FAST_JOB else job for job in scheduler.CLUSTER_JOBS
    )
    run = scheduler.run_cluster_job

    async def journaled(job, clock, turn):  # type: ignore[no-untyped-def]
        attempted = time.time()
        done = await run(job, clock, turn)
        if job.name == FAST_JOB and JOURNAL:
            write_journal(attempted, done is not None)
        return done

    scheduler.run_cluster_job = journaled


if __name__ == "__main__":
    if FAST_JOB:
        bring_forward()
    main()
