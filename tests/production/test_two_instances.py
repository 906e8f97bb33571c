"""Two `returndesk serve` instances on one PostgreSQL, webhooks alternating between them.

Several customers' refund conversations run interleaved; the load balancer (the emulator)
hands each update to the next instance in turn, so one customer's steps land on both. Every
conversation must end in one whole request; staff then take every request to the end on
alternating instances; each notification that produces reaches its chat once, although
both instances' schedulers deliver the outbox; and the cluster-once job brought forward to
every few seconds runs on one instance per firing, never on both at once.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

from models import Refund, ReturnRequest
from tests.production.harness import (
    CHAT_REPLIES,
    REFUND_WALK,
    STAFF_STEPS,
    Instance,
    Shopper,
    action_fields,
    add_staff,
    assert_each_notification_once,
    assert_submitted_refund,
    cluster,
    events_by_request,
    eventually,
    notifications_of,
    outbox_settled,
    phone,
    seed_shop,
    signed_in,
    trial_balance,
)

CUSTOMERS = 8
FAST_JOB, EVERY, HOLD = "expiry", 3, 1.0
WHOLE_REFUND = ["submit", *STAFF_STEPS]


def launcher(journal: Path) -> dict[str, object]:
    """Run the real command through tests.production.serve (one job every few seconds)."""
    return {
        "command": [sys.executable, "-m", "tests.production.serve"],
        "extra_env": {
            "RETURNDESK_TEST_FAST_JOB": FAST_JOB,
            "RETURNDESK_TEST_FAST_EVERY": str(EVERY),
            "RETURNDESK_TEST_FAST_HOLD": str(HOLD),
            "RETURNDESK_TEST_JOURNAL": str(journal),
        },
    }


async def staff_take_every_request_to_the_end(instances: list[Instance]) -> None:
    """One staff member, each form posted to the next instance in turn."""
    async with signed_in(instances[0].url) as staff:
        turns = itertools.cycle(instances)
        ids = await ReturnRequest.all().order_by("id").values_list("id", flat=True)
        for action in STAFF_STEPS:
            for request_id in ids:
                fields = await action_fields(request_id, action)
                status = await staff.act(next(turns).url, request_id, action, fields)
                assert status == 303, f"{action} on {request_id}: {status}"


def journal_runs(journal: Path) -> tuple[dict[int, list[tuple[float, float]]], dict[int, int]]:
    """Per firing: the runs (start, end) and how many instances attempted it."""
    runs: dict[int, list[tuple[float, float]]] = {}
    attempts: dict[int, int] = {}
    lines = journal.read_text().splitlines() if journal.exists() else []
    for line in lines:
        attempted, ran, started, finished = line.split()
        firing = int(float(attempted) // EVERY)
        attempts[firing] = attempts.get(firing, 0) + 1
        if ran == "1":
            runs.setdefault(firing, []).append((float(started), float(finished)))
    return runs, attempts


async def test_interleaved_conversations_complete_on_two_instances(
    db_url, emulator, http, tmp_path
):
    await seed_shop(CUSTOMERS)
    await add_staff()
    journal = tmp_path / "journal.txt"
    a = Instance("a", db_url, emulator, tmp_path, **launcher(journal))
    b = Instance("b", db_url, emulator, tmp_path, **launcher(journal))
    async with cluster([a, b], emulator, http):
        shoppers = [Shopper(emulator, n) for n in range(CUSTOMERS)]
        numbers = await asyncio.gather(*(shopper.walk() for shopper in shoppers))

        updates = CUSTOMERS * len(REFUND_WALK)
        assert a.webhook_posts() + b.webhook_posts() == updates
        assert min(a.webhook_posts(), b.webhook_posts()) >= updates // 3, "not alternating"
        assert len(set(numbers)) == CUSTOMERS
        for shopper, number in zip(shoppers, numbers, strict=True):
            await assert_submitted_refund(shopper, number)

        await staff_take_every_request_to_the_end([a, b])
        await eventually(outbox_settled, within=90, what="the outbox to drain")

        events = await events_by_request()
        assert all(actions == WHOLE_REFUND for actions in events.values()), events
        assert await Refund.all().count() == CUSTOMERS
        assert await trial_balance() == 0
        for shopper in shoppers:
            notes = await notifications_of(phone(shopper.n))
            assert [n.template for n in notes if n.status != "sent"] == ["survey"]
            sent = [n.template for n in notes if n.status == "sent"]
            assert len(set(sent)) == len(sent), sent
            assert_each_notification_once(emulator, shopper, notes, CHAT_REPLIES)
        await eventually(
            lambda: firings_seen(journal), within=30, what="three firings of the job on both"
        )
        assert_cluster_job_ran_once_per_firing(journal)
        assert a.errors() == []
        assert b.errors() == []


async def firings_seen(journal: Path, count: int = 3) -> bool:
    """Both instances have attempted ``count`` firings of the job."""
    _runs, attempts = journal_runs(journal)
    return sum(1 for n in attempts.values() if n == 2) >= count


def assert_cluster_job_ran_once_per_firing(journal: Path) -> None:
    runs, attempts = journal_runs(journal)
    contended = [f for f, count in attempts.items() if count == 2]
    assert len(contended) >= 3, f"too few firings seen: {attempts}"
    for firing in contended:
        assert len(runs.get(firing, [])) == 1, f"firing {firing}: {runs.get(firing)}"
    intervals = sorted(run for firing_runs in runs.values() for run in firing_runs)
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert start >= end, "the job ran on both instances at once"
