"""An instance without a bot token still runs the cluster's jobs (SPEC §9: it serves
everything but the bot); what the jobs say to customers waits in the outbox."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime, timedelta

from domain.clock import SystemClock
from domain.returns import Status
from models import Notification, ReturnRequest
from services.review import approve_return
from tests.factories import REVIEWER
from tests.production.harness import Instance, Shopper, cluster, eventually, seed_shop, submitted_by


async def test_jobs_run_without_a_bot_token_and_their_messages_wait(
    db_url, emulator, http, tmp_path
):
    await seed_shop(1)
    request_id = await submitted_by(Shopper(emulator, 0))
    request = await ReturnRequest.get(id=request_id)
    if request.status == Status.SUBMITTED:
        await approve_return(request_id, actor=REVIEWER, clock=SystemClock())
    overdue = datetime.now(UTC) - timedelta(days=1)
    await ReturnRequest.filter(id=request_id).update(deadline_at=overdue)
    jobs_only = Instance(
        "jobs",
        db_url,
        emulator,
        tmp_path,
        parts=("scheduler", "backoffice"),
        extra_env={"TELEGRAM_BOT_TOKEN": ""},
    )
    async with cluster([jobs_only], emulator, http):
        os.kill(jobs_only.pid, signal.SIGUSR1)  # every cluster job now, as after an outage

        async def expired() -> bool:
            return (await ReturnRequest.get(id=request_id)).status == Status.CANCELLED

        await eventually(expired, within=30, what="the overdue request to expire")
    waiting = await Notification.get(template="return_expired")
    assert waiting.status == "pending"
    assert emulator.calls["sendMessage"] == 0
    assert "scheduled jobs run" in jobs_only.log_path.read_text(encoding="utf-8")
