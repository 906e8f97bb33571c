"""Cluster-once jobs on PostgreSQL: a held lease makes the other instance skip, and two
instances ticking together do each tick's work once."""

import asyncio
from datetime import timedelta

import pytest

from domain.returns import ReturnType
from jobs.scheduler import CLUSTER_JOBS, run_cluster_job
from models import Notification, Order, OrderLine, ReturnEvent
from services.leases import run_exclusively
from services.review import approve_return
from services.submission import LineRequest, ReturnDraft, submit_return
from tests.factories import REVIEWER, build_shop, customer_of, place_order

pytestmark = pytest.mark.postgres
REQUESTS = 12


async def test_a_job_whose_lease_is_held_is_skipped_by_the_other_instance(pg_db):
    inside, release = asyncio.Event(), asyncio.Event()

    async def slow() -> int:
        inside.set()
        await release.wait()
        return 1

    async def quick() -> int:
        return 2

    first = asyncio.create_task(run_exclusively("expiry", slow))
    await inside.wait()
    assert await run_exclusively("expiry", quick) is None
    assert await run_exclusively("digest", quick) == 2  # other jobs have their own lease
    release.set()
    assert await first == 1
    assert await run_exclusively("expiry", quick) == 2  # free again once the holder is done


async def approved_requests(clock, count: int) -> list[int]:
    shop = await build_shop(clock)
    phone = shop.customer.phone
    await place_order(
        clock, "SO-9", phone, clock.now() - timedelta(days=1), [("TEE-2", count, "150.00")]
    )
    order = await Order.get(number="SO-9")
    line = await OrderLine.get(order_id=order.id)
    ids = []
    for _ in range(count):
        draft = ReturnDraft(
            order.id, ReturnType.REFUND, "quality_defect", (LineRequest(line.id, 1),), ("p",)
        )
        view = await submit_return(draft, actor=customer_of(shop), clock=clock)
        await approve_return(view.id, actor=REVIEWER, clock=clock)
        ids.append(view.id)
    return ids


async def instance_tick(clock) -> list[int | None]:
    """One instance's tick: every cluster job in turn, as its scheduler would run them."""
    turn = asyncio.Lock()
    return [await run_cluster_job(job, clock, turn) for job in CLUSTER_JOBS]


async def two_instances_tick(clock) -> dict[str, list[int | None]]:
    first, second = await asyncio.gather(instance_tick(clock), instance_tick(clock))
    return {job.name: [a, b] for job, a, b in zip(CLUSTER_JOBS, first, second, strict=True)}


def work_done(results: list[int | None]) -> int:
    """What the tick did, asserting that one instance at most did any of it."""
    assert min(r or 0 for r in results) == 0
    return sum(r or 0 for r in results)


async def test_two_instances_ticking_together_do_each_ticks_work_once(pg_db, clock):
    start = clock.now()
    await approved_requests(clock, REQUESTS)
    clock.set(start + timedelta(days=3))
    day3 = await two_instances_tick(clock)
    assert work_done(day3["ship_back_reminders"]) == REQUESTS
    assert work_done(day3["report_snapshots"]) == 2  # the dashboard's and the page's periods
    clock.set(start + timedelta(days=14))
    deadline = await two_instances_tick(clock)
    assert work_done(deadline["expiry"]) == REQUESTS
    assert work_done(deadline["daily_digest"]) == 1
    assert await Notification.filter(template="ship_back_reminder").count() == REQUESTS
    assert await Notification.filter(template="return_expired").count() == REQUESTS
    assert await ReturnEvent.filter(action="expire").count() == REQUESTS
    assert await Notification.filter(template="daily_digest").count() == 2
