"""Many people acting at once on PostgreSQL: one winner, nothing lost, nothing overdrawn.

Each transaction of Tortoise takes its own connection from the asyncpg pool and binds it to
the task through a context variable (``TransactionContextPooled``), so tasks started with
``asyncio.gather`` really run in different sessions; the pool is made big enough here for
every task to hold one at once (``maxsize`` in the URL; Tortoise's default is 5).

To make the race certain rather than likely, ``together`` starts every action while a
blocker transaction holds the row they all need (``SELECT … FOR UPDATE``), waits until
PostgreSQL reports every unfinished action waiting on a lock, and only then lets go: all of
them are lined up at once behind the same row. No sleeps: the waiting is asked of
``pg_stat_activity``. The ``gathered`` variants just launch everything with
``asyncio.gather``, as a busy shop would.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections
from tortoise.functions import Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.clock import FakeClock
from domain.errors import (
    ConcurrentModification,
    DomainError,
    InsufficientStock,
    InvalidTransition,
    ValidationError,
)
from domain.ledger import Account, RefundMethod
from domain.returns import Actor, ReturnType, Role, Status
from domain.stock import Location
from models import (
    ApiToken,
    AuditEntry,
    Customer,
    Notification,
    OrderLine,
    Product,
    Refund,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    StaffUser,
    StockLevel,
    StockMovement,
    Survey,
)
from services.assignment import assign_return
from services.customers import anonymize_customer
from services.followup import submit_survey
from services.imports import ImportRejected, upsert_customers
from services.ledger import credit_balance, is_balanced, trial_balance
from services.refunds import refund_return
from services.review import approve_return, ask_customer, close_return, reject_return
from services.rollups import expected_rollups, stored_rollups
from services.staff import add_staff_user, create_staff_user, set_staff_active
from services.submission import LineRequest, ReturnDraft, submit_return
from services.tokens import create_api_token, revoke_api_token
from services.views import ReturnView
from services.warehouse import Grades, inspect_return, receive_return
from tests.conftest import fresh_database
from tests.factories import (
    ADMIN,
    FINANCE,
    REVIEWER,
    WAREHOUSE,
    Shop,
    build_shop,
    customer_of,
    open_return,
    place_order,
)

pytestmark = pytest.mark.postgres

POOL = 60  # every task of a race holds a connection at once, plus the blocker and the watcher
WAIT_LIMIT = 60.0  # seconds: a race that never lines up is a failure, not a hang


@pytest.fixture
async def pg_db() -> AsyncIterator[str]:
    """conftest's fresh PostgreSQL database, with a pool big enough for the races below."""
    async with fresh_database("postgres", pool=f"?minsize=1&maxsize={POOL}"):
        yield "postgres"


@pytest.fixture
async def shop(pg_db: str, clock: FakeClock) -> Shop:
    return await build_shop(clock)


# --- Racing -----------------------------------------------------------------------------------


async def sessions_waiting_on_locks() -> int:
    rows = await connections.get("postgres").execute_query_dict(
        "SELECT count(*) AS n FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return int(rows[0]["n"])


async def together(
    calls: Sequence[Callable[[], Awaitable[Any]]], hold: Callable[[], QuerySet[Any]]
) -> list[Any]:
    """Run every call at once, all of them having read the rows ``hold`` selects unchanged.

    A blocker locks those rows; the calls start, and once every one that is still running
    waits on a lock in PostgreSQL, the blocker commits. Returns results and refusals in order.
    """
    locked, release = asyncio.Event(), asyncio.Event()

    async def blocker() -> None:
        async with in_transaction():
            assert await hold().select_for_update(), "nothing to hold"
            locked.set()
            await release.wait()

    blocking = asyncio.create_task(blocker())
    await locked.wait()
    tasks = [asyncio.create_task(call()) for call in calls]  # type: ignore[arg-type]
    deadline = time.monotonic() + WAIT_LIMIT
    try:
        while await sessions_waiting_on_locks() < sum(not t.done() for t in tasks):
            assert time.monotonic() < deadline, "the actions never all waited on the lock"
    finally:
        release.set()
        await blocking
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def meanwhile(
    first: Callable[[], Awaitable[Any]], then: Callable[[], Awaitable[Any]]
) -> list[Any]:
    """Run ``then`` while ``first`` is done but not yet committed: ``first`` runs in a
    transaction held open until ``then`` waits on a lock in PostgreSQL (or has finished, if
    nothing held it up). Returns both results or refusals, in order."""
    done, release = asyncio.Event(), asyncio.Event()

    async def held() -> Any:
        try:
            async with in_transaction():
                result = await first()
                done.set()
                await release.wait()
            return result
        finally:
            done.set()  # refused: ``then`` runs after it, and nothing waits

    holding = asyncio.create_task(held())
    await done.wait()
    later = asyncio.create_task(then())
    deadline = time.monotonic() + WAIT_LIMIT
    try:
        while not holding.done() and not later.done() and await sessions_waiting_on_locks() < 1:
            assert time.monotonic() < deadline, "the second action never waited nor finished"
    finally:
        release.set()
    return list(await asyncio.gather(holding, later, return_exceptions=True))


def split(results: list[Any]) -> tuple[list[Any], list[BaseException]]:
    """Successes and refusals; anything else (a crash, a deadlock) fails the test here."""
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors:
        if not isinstance(error, DomainError):
            raise error
    return [r for r in results if not isinstance(r, BaseException)], errors


async def assert_stock_true() -> None:
    """Every level equals the sum of its movements, and none is negative."""
    moved: Counter[tuple[int, str]] = Counter()
    for column, sign in (("target", 1), ("source", -1)):
        rows = (
            await StockMovement.filter(**{f"{column}__isnull": False})
            .group_by("product_id", column)
            .annotate(total=Sum("quantity"))
            .values("product_id", column, "total")
        )
        for r in rows:
            moved[(r["product_id"], str(r[column]))] += sign * int(r["total"])
    for product_id, location, quantity in await StockLevel.all().values_list(
        "product_id", "location", "quantity"
    ):
        assert quantity >= 0, (product_id, location, quantity)
        assert quantity == moved[(product_id, str(location))], (product_id, location)


async def level(product_id: int, location: Location) -> int:
    return (await StockLevel.get(product_id=product_id, location=location)).quantity


async def event_count(return_id: int) -> int:
    return await ReturnEvent.filter(request_id=return_id).count()


# --- The pool really gives each transaction its own session -------------------------------


async def test_concurrent_transactions_use_different_connections(pg_db: str) -> None:
    all_in = asyncio.Barrier(10)

    async def backend_pid() -> int:
        async with in_transaction() as connection:
            rows = await connection.execute_query_dict("SELECT pg_backend_pid() AS pid")
            await all_in.wait()  # every transaction is open at once
            return int(rows[0]["pid"])

    pids = await asyncio.gather(*(backend_pid() for _ in range(10)))
    assert len(set(pids)) == 10


# --- (a) Twenty staff on one submitted request ------------------------------------------------

STAFF = [REVIEWER, ADMIN, Actor.staff(5, "ruth", {Role.REVIEWER})]


def review_calls(
    return_id: int, clock: FakeClock, approvals: int, rejections: int, questions: int, version: Any
) -> list[Callable[[], Awaitable[ReturnView]]]:
    calls: list[Callable[[], Awaitable[ReturnView]]] = []
    for n in range(approvals):
        actor = STAFF[n % len(STAFF)]
        calls.append(
            lambda actor=actor: approve_return(
                return_id, actor=actor, clock=clock, expected_version=version
            )
        )
    for n in range(rejections):
        calls.append(
            lambda n=n: reject_return(
                return_id,
                f"Not eligible #{n}",
                actor=REVIEWER,
                clock=clock,
                expected_version=version,
            )
        )
    for n in range(questions):
        calls.append(
            lambda n=n: ask_customer(
                return_id, f"Which size? #{n}", actor=ADMIN, clock=clock, expected_version=version
            )
        )
    return calls


async def assert_one_review_won(shop: Shop, return_id: int, wins: list[ReturnView]) -> None:
    """One new event, version 2, and the replacement reserved exactly once if approved."""
    assert len(wins) == 1
    request = await ReturnRequest.get(id=return_id)
    assert request.version == 2
    assert request.status == wins[0].status
    assert await event_count(return_id) == 2
    tee2 = shop.products["TEE-2"].id
    reserved = 1 if request.status is Status.APPROVED else 0
    assert await level(tee2, Location.RESERVED) == reserved
    assert await StockMovement.filter(return_request_id=return_id).count() == reserved
    assert await Notification.filter(template="return_approved").count() == reserved
    await assert_stock_true()


@pytest.mark.parametrize(("approvals", "rejections", "questions"), [(10, 5, 5), (20, 0, 0)])
async def test_twenty_reviewers_with_the_same_version_exactly_one_wins(
    shop: Shop, approvals: int, rejections: int, questions: int
) -> None:
    r = await open_return(shop, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    calls = review_calls(r.id, shop.clock, approvals, rejections, questions, version=1)

    wins, losses = split(await together(calls, hold=lambda: ReturnRequest.filter(id=r.id)))

    assert len(losses) == 19
    assert all(isinstance(e, ConcurrentModification) for e in losses), losses
    assert {e.code for e in losses} == {"changed_meanwhile"}
    await assert_one_review_won(shop, r.id, wins)


async def test_twenty_reviewers_launched_together_exactly_one_wins(shop: Shop) -> None:
    """Plain gather: some read before the winner commits, some after; all are told it changed."""
    r = await open_return(shop, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    calls = review_calls(r.id, shop.clock, 10, 5, 5, version=1)

    wins, losses = split(await asyncio.gather(*(c() for c in calls), return_exceptions=True))

    assert len(losses) == 19
    assert {e.code for e in losses} == {"changed_meanwhile"}, losses
    await assert_one_review_won(shop, r.id, wins)


async def test_a_reviewer_acting_on_an_old_page_is_told_it_changed(shop: Shop) -> None:
    """Late, not simultaneous: the request moved on; the version says so, not the status."""
    r = await open_return(shop)
    await approve_return(r.id, actor=REVIEWER, clock=shop.clock, expected_version=1)
    for call in review_calls(r.id, shop.clock, 1, 1, 1, version=1):
        with pytest.raises(ConcurrentModification):
            await call()
    assert await event_count(r.id) == 2


@pytest.mark.parametrize("blocked", [True, False], ids=["lined-up", "gathered"])
async def test_twenty_reviewers_without_a_version_never_write_twice(
    shop: Shop, blocked: bool
) -> None:
    r = await open_return(shop, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    calls = review_calls(r.id, shop.clock, 10, 5, 5, version=None)
    if blocked:
        results = await together(calls, hold=lambda: ReturnRequest.filter(id=r.id))
    else:
        results = await asyncio.gather(*(c() for c in calls), return_exceptions=True)

    wins, losses = split(results)

    assert len(losses) == 19
    assert all(isinstance(e, ConcurrentModification | InvalidTransition) for e in losses), losses
    await assert_one_review_won(shop, r.id, wins)


# --- (b) Fifty parcels of one product received and inspected at once ---------------------------

ORDERS, UNITS = 10, 5  # ten orders of five TEE-1 each: fifty one-unit requests


async def fifty_approved(shop: Shop) -> list[tuple[int, int]]:
    """Fifty approved one-unit requests of TEE-1 from ten orders: (request id, line id)."""
    phone = shop.customer.phone
    for n in range(ORDERS):
        delivered = shop.clock.now() - timedelta(days=1)
        await place_order(shop.clock, f"BULK-{n}", phone, delivered, [("TEE-1", UNITS, "100.00")])
    pairs = []
    for order_line in await OrderLine.filter(order__number__startswith="BULK-").order_by("id"):
        for _ in range(UNITS):
            draft = ReturnDraft(
                order_line.order_id,
                ReturnType.REFUND,
                "quality_defect",
                (LineRequest(order_line.id, 1),),
                ("photo",),
            )
            r = await submit_return(draft, actor=customer_of(shop), clock=shop.clock)
            await approve_return(r.id, actor=REVIEWER, clock=shop.clock)
            line = await ReturnLine.get(request_id=r.id)
            pairs.append((r.id, line.id))
    return pairs


def grade(n: int) -> Grades:
    return (Grades(1, 0, 0), Grades(0, 1, 0), Grades(0, 0, 1))[n % 3]


def receive_call(shop: Shop, rid: int, lid: int) -> Callable[[], Awaitable[ReturnView]]:
    return lambda: receive_return(rid, {lid: 1}, actor=WAREHOUSE, clock=shop.clock)


def inspect_call(shop: Shop, rid: int, lid: int, n: int) -> Callable[[], Awaitable[ReturnView]]:
    return lambda: inspect_return(rid, {lid: grade(n)}, actor=ADMIN, clock=shop.clock)


async def test_fifty_receipts_and_inspections_at_once_lose_nothing(shop: Shop) -> None:
    tee1 = shop.products["TEE-1"].id
    sellable_before = await level(tee1, Location.SELLABLE)
    pairs = await fifty_approved(shop)
    first, second = pairs[:25], pairs[25:]
    for rid, lid in first:
        await receive_return(rid, {lid: 1}, actor=WAREHOUSE, clock=shop.clock)
    quarantine = lambda: StockLevel.filter(product_id=tee1, location=Location.QUARANTINE)  # noqa: E731

    # Half are inspected while the other half is received, each twice (one must lose).
    calls = [inspect_call(shop, rid, lid, n) for n, (rid, lid) in enumerate(first)]
    calls += [receive_call(shop, rid, lid) for rid, lid in second]
    calls += [receive_call(shop, rid, lid) for rid, lid in second[:5]]
    wins, losses = split(await together(calls, hold=quarantine))
    assert len(wins) == 50
    assert all(isinstance(e, ConcurrentModification | InvalidTransition) for e in losses)
    assert len(losses) == 5
    await assert_stock_true()

    # Then the second half is inspected, all at once.
    calls = [inspect_call(shop, rid, lid, n) for n, (rid, lid) in enumerate(second, start=25)]
    wins, losses = split(await together(calls, hold=quarantine))
    assert (len(wins), losses) == (25, [])

    graded = Counter(grade(n) for n in range(50))
    resellable, defective = graded[Grades(1, 0, 0)], graded[Grades(0, 1, 0)]
    assert await level(tee1, Location.QUARANTINE) == 0
    assert await level(tee1, Location.SELLABLE) == sellable_before + resellable
    assert await level(tee1, Location.DEFECTIVE) == defective
    kinds = Counter(await StockMovement.filter(product_id=tee1).values_list("kind", flat=True))
    assert (kinds["receive"], kinds["restock"], kinds["write_off"], kinds["send_back"]) == (
        50,
        resellable,
        defective,
        50 - resellable - defective,
    )
    await assert_stock_true()
    statuses = Counter(await ReturnRequest.all().values_list("status", flat=True))
    refused = 50 - resellable - defective
    assert statuses == {Status.INSPECTED: resellable + defective, Status.REJECTED: refused}
    assert is_balanced(await trial_balance())


# --- (c) Refunds at once ------------------------------------------------------------------------


async def two_units_inspected(shop: Shop) -> ReturnView:
    """TEE-1 ×2 at 100.00, one resellable, one defective: 200.00 refundable."""
    r = await open_return(shop, {"TEE-1": 2})
    await approve_return(r.id, actor=REVIEWER, clock=shop.clock)
    line = await ReturnLine.get(request_id=r.id)
    await receive_return(r.id, {line.id: 2}, actor=WAREHOUSE, clock=shop.clock)
    return await inspect_return(r.id, {line.id: Grades(1, 1, 0)}, actor=WAREHOUSE, clock=shop.clock)


AMOUNTS = ["50.00", "75.00", "100.00", "125.00", "150.00", "199.99", "200.00", "60.00", "1.00"]
METHODS = list(RefundMethod)


@pytest.mark.parametrize("blocked", [True, False], ids=["lined-up", "gathered"])
async def test_refunds_at_once_never_exceed_what_is_refundable(shop: Shop, blocked: bool) -> None:
    r = await two_units_inspected(shop)
    assert await credit_balance(Account.REFUNDS_PAYABLE, r.id) == Decimal("200.00")
    calls = [
        lambda n=n, amount=amount: refund_return(
            r.id,
            actor=(FINANCE, ADMIN)[n % 2],
            clock=shop.clock,
            method=METHODS[n % len(METHODS)],
            amount=Decimal(amount),
            expected_version=(r.version if n % 2 else None),
        )
        for n, amount in enumerate([*AMOUNTS, *AMOUNTS])
    ]
    if blocked:
        results = await together(calls, hold=lambda: ReturnRequest.filter(id=r.id))
    else:
        results = await asyncio.gather(*(c() for c in calls), return_exceptions=True)

    wins, losses = split(results)

    # A partial refund leaves the rest refundable, so several may win, one after another;
    # the others see a newer version or too little left. Never more than is owed, in total.
    assert wins
    refused = ConcurrentModification | InvalidTransition | ValidationError
    odd = [e for e in losses if not isinstance(e, refused)]
    assert not odd, odd
    too_much = [e for e in losses if isinstance(e, ValidationError)]
    assert all(e.code == "refund_exceeds_refundable" for e in too_much), too_much
    refunded = (await Refund.filter(request_id=r.id).annotate(t=Sum("amount")).values("t"))[0]["t"]
    assert await Refund.filter(request_id=r.id).count() == len(wins)
    assert Decimal(refunded) <= Decimal("200.00")
    left = await credit_balance(Account.REFUNDS_PAYABLE, r.id)
    assert left == Decimal("200.00") - Decimal(refunded)
    assert left >= 0
    assert await event_count(r.id) == r.version + len(wins)
    assert is_balanced(await trial_balance())


# --- (d) Submissions at once on the same order line ----------------------------------------------


def draft(shop: Shop, items: dict[str, int]) -> ReturnDraft:
    lines = tuple(LineRequest(shop.lines[sku].id, n) for sku, n in items.items())
    return ReturnDraft(shop.order.id, ReturnType.REFUND, "changed_mind", lines)


DRAFTS = [
    {"MUG-1": 1},
    {"MUG-1": 2},
    {"MUG-1": 1, "TEE-1": 1},
    {"TEE-1": 1, "MUG-1": 1},
    {"MUG-1": 3},
    {"TEE-1": 2},
    {"MUG-1": 1},
    {"TEE-1": 1, "MUG-1": 2},
]


async def assert_never_more_than_bought(
    shop: Shop, drafts: list[ReturnDraft], results: list[Any]
) -> None:
    """What the winners asked for is exactly what is held, and never more than was bought."""
    held = dict(
        await ReturnLine.all()
        .group_by("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    asked: Counter[int] = Counter()
    for d, result in zip(drafts, results, strict=True):
        if isinstance(result, ReturnView):
            asked.update({line.order_line_id: line.quantity for line in d.lines})
    assert held == dict(asked)
    assert held.get(shop.lines["MUG-1"].id, 0) <= 3
    assert held.get(shop.lines["TEE-1"].id, 0) <= 2
    numbers = [r.number for r in results if isinstance(r, ReturnView)]
    assert len(set(numbers)) == len(numbers) == await ReturnRequest.all().count()


@pytest.mark.parametrize("blocked", [True, False], ids=["lined-up", "gathered"])
async def test_submissions_at_once_never_hold_more_than_was_bought(
    shop: Shop, blocked: bool
) -> None:
    drafts = [draft(shop, items) for items in DRAFTS + DRAFTS]
    calls = [
        lambda d=d: submit_return(d, actor=customer_of(shop), clock=shop.clock) for d in drafts
    ]
    if blocked:
        mug = shop.lines["MUG-1"].id
        results = await together(calls, hold=lambda: OrderLine.filter(id=mug))
    else:
        results = await asyncio.gather(*(c() for c in calls), return_exceptions=True)

    wins, losses = split(results)

    assert wins
    assert all(isinstance(e, ValidationError) for e in losses), losses
    assert {e.code for e in losses} <= {"quantity_exceeds_available"}
    await assert_never_more_than_bought(shop, drafts, results)


async def test_first_submissions_of_the_year_at_once_get_different_numbers(shop: Shop) -> None:
    """No RMA counter yet: ten customers' first requests create it together."""
    phones = [f"+8613900000{n:03d}" for n in range(10)]
    await upsert_customers(
        [(n, {"name": f"C{n}", "phone": p}) for n, p in enumerate(phones, start=2)], actor=ADMIN
    )
    for n, phone in enumerate(phones):
        delivered = shop.clock.now() - timedelta(days=1)
        await place_order(shop.clock, f"NEW-{n}", phone, delivered, [("MUG-1", 1, "80.00")])
    calls = []
    for order_line in await OrderLine.filter(order__number__startswith="NEW-").prefetch_related(
        "order"
    ):
        d = ReturnDraft(
            order_line.order_id,
            ReturnType.REFUND,
            "changed_mind",
            (LineRequest(order_line.id, 1),),
        )
        actor = Actor.customer(order_line.order.customer_id)
        calls.append(lambda d=d, actor=actor: submit_return(d, actor=actor, clock=shop.clock))

    wins, losses = split(await asyncio.gather(*(c() for c in calls), return_exceptions=True))

    assert losses == []
    assert sorted(w.number for w in wins) == [f"RMA-2026-{n:06d}" for n in range(1, 11)]


# --- Replacements reserved at once from little stock --------------------------------------------


async def test_exchanges_approved_at_once_never_reserve_more_than_is_sellable(shop: Shop) -> None:
    """CAP-1 has 4 sellable (threshold 3): six exchanges for it, approved at once."""
    delivered = shop.clock.now() - timedelta(days=1)
    await place_order(shop.clock, "SO-6", shop.customer.phone, delivered, [("TEE-1", 6, "100.00")])
    order_line = await OrderLine.get(order__number="SO-6")
    cap = shop.products["CAP-1"].id
    ids = []
    for _ in range(6):
        d = ReturnDraft(
            order_line.order_id,
            ReturnType.EXCHANGE,
            "size_fit",
            (LineRequest(order_line.id, 1, cap),),
        )
        ids.append((await submit_return(d, actor=customer_of(shop), clock=shop.clock)).id)
    calls = [
        lambda rid=rid: approve_return(rid, actor=REVIEWER, clock=shop.clock, expected_version=1)
        for rid in ids
    ]
    sellable = lambda: StockLevel.filter(product_id=cap, location=Location.SELLABLE)  # noqa: E731

    wins, losses = split(await together(calls, hold=sellable))

    assert len(wins) == 4
    assert len(losses) == 2
    assert all(isinstance(e, InsufficientStock) for e in losses), losses
    assert await level(cap, Location.SELLABLE) == 0
    assert await level(cap, Location.RESERVED) == 4
    assert await Notification.filter(template="low_stock").count() == 1
    statuses = Counter(await ReturnRequest.all().values_list("status", flat=True))
    assert statuses == {Status.APPROVED: 4, Status.SUBMITTED: 2}
    await assert_stock_true()
    assert (await Product.get(id=cap)).low_stock_threshold == 3


# --- Surveys answered twice at once ---------------------------------------------------------------


async def test_a_survey_answered_twice_at_once_is_kept_once(shop: Shop) -> None:
    """A double tap on the score buttons: one survey, the other tap is refused cleanly."""
    r = await two_units_inspected(shop)
    await refund_return(r.id, actor=FINANCE, clock=shop.clock)
    await close_return(r.id, actor=FINANCE, clock=shop.clock)
    calls = [
        lambda n=n: submit_survey(r.id, 1 + n % 5, actor=customer_of(shop), clock=shop.clock)
        for n in range(10)
    ]

    results = await together(calls, hold=lambda: ReturnRequest.filter(id=r.id))

    wins, losses = split(results)
    assert len(wins) == 1
    assert {e.code for e in losses} == {"survey_already_answered"}, losses
    assert await Survey.filter(request_id=r.id).count() == 1


# --- Staff taking one request at once -----------------------------------------------------------


async def test_staff_taking_one_request_at_once_from_the_same_page_exactly_one_wins(
    shop: Shop,
) -> None:
    """Ten staff press "Assign to me" on the same page: one gets it, nine are told it changed."""
    takers = [Actor.staff(n, f"taker{n}", {Role.WAREHOUSE}) for n in range(1, 11)]
    for taker in takers:
        await StaffUser.create(
            id=taker.id, username=taker.label.removeprefix("staff:"), password_hash="x"
        )
    r = await open_return(shop)
    calls = [
        lambda taker=taker: assign_return(
            r.id, taker.id, actor=taker, clock=shop.clock, expected_version=r.version
        )
        for taker in takers
    ]

    wins, losses = split(await together(calls, hold=lambda: ReturnRequest.filter(id=r.id)))

    assert len(wins) == 1
    assert {e.code for e in losses} == {"changed_meanwhile"}, losses
    request = await ReturnRequest.get(id=r.id)
    [assigned] = await ReturnEvent.filter(request_id=r.id, action="assign")
    assert assigned.actor == f"staff:taker{request.assigned_to_id}"
    assert request.version == r.version + 1


# --- An order re-imported while its customer submits a return ----------------------------------

CHANGED_LINES = [("TEE-1", 2, "100.00"), ("CAP-1", 1, "55.00"), ("MUG-1", 3, "80.00")]


def reimport(shop: Shop, phone: str, items: list[tuple[str, int, str]]) -> Callable[[], Any]:
    """The ERP sends order SO-1 again, for ``phone``, with ``items`` as its lines."""
    delivered = shop.clock.now() - timedelta(days=2)
    return lambda: place_order(shop.clock, "SO-1", phone, delivered, items)


async def assert_rollups_true() -> None:
    assert await stored_rollups() == await expected_rollups()


async def test_a_reimport_while_a_return_is_being_submitted_keeps_the_returned_lines(
    shop: Shop,
) -> None:
    """The submission has written its request when the import looks for returns: the
    import waits for it, sees the request and refuses to replace the lines (before, its
    DELETE waited for the submission to commit, then cascaded its return lines away)."""
    before = sorted(await OrderLine.filter(order_id=shop.order.id).values_list("id", flat=True))

    submitted, refused = await meanwhile(
        lambda: open_return(shop, {"TEE-1": 1}), reimport(shop, shop.customer.phone, CHANGED_LINES)
    )

    assert isinstance(submitted, ReturnView), submitted
    assert isinstance(refused, ImportRejected), refused
    assert [e.reason for e in refused.errors] == ["order_has_returns"]
    assert await ReturnLine.filter(request_id=submitted.id).count() == 1
    after = sorted(await OrderLine.filter(order_id=shop.order.id).values_list("id", flat=True))
    assert after == before
    await assert_rollups_true()


@pytest.mark.parametrize(
    "change", ["lines", "customer"], ids=["lines-replaced", "order-changes-hands"]
)
async def test_a_return_submitted_while_its_order_is_reimported_waits_and_is_refused(
    shop: Shop, change: str
) -> None:
    """The import has replaced the order's lines, or given the order to another customer,
    when the customer confirms: the submission waits for the import and then finds neither
    the lines nor the order it was drafted against (before, a request was written for the
    old owner of an order that had just changed hands)."""
    if change == "lines":
        work, code = reimport(shop, shop.customer.phone, CHANGED_LINES), "order_line_not_found"
    else:
        items = [
            (line.product.sku, line.quantity, str(line.unit_price)) for line in shop.lines.values()
        ]
        work, code = reimport(shop, shop.other.phone, items), "order_not_found"

    imported, refused = await meanwhile(work, lambda: open_return(shop, {"TEE-1": 1}))

    assert imported is None, imported
    assert isinstance(refused, DomainError), refused
    assert refused.code == code
    assert await ReturnRequest.all().count() == 0
    assert await ReturnLine.all().count() == 0
    await assert_rollups_true()


# --- Two admins changing one staff account or token at once -------------------------------------


@pytest.mark.parametrize("active", [False, True], ids=["deactivated", "reactivated"])
async def test_two_admins_changing_one_account_at_once_record_it_once(
    pg_db: str, clock: FakeClock, active: bool
) -> None:
    admins = [await add_staff_user(name, "x" * 12, ["admin"]) for name in ("anna", "bob")]
    wang = await add_staff_user("wang", "x" * 12, ["warehouse"])
    actors = [Actor.staff(u.id, u.username, {Role.ADMIN}) for u in admins]
    if active:
        await set_staff_active(wang.id, False, actor=actors[0], clock=clock)
    epoch = (await StaffUser.get(id=wang.id)).session_epoch
    calls = [
        lambda actor=actor: set_staff_active(wang.id, active, actor=actor, clock=clock)
        for actor in actors
    ]

    wins, losses = split(await together(calls, hold=lambda: StaffUser.filter(id=wang.id)))

    assert (len(wins), losses) == (2, [])  # the second finds it done: nothing to change
    assert {w.active for w in wins} == {active}
    action = "reactivate_staff" if active else "deactivate_staff"
    assert await AuditEntry.filter(action=action).count() == 1
    after = await StaffUser.get(id=wang.id)
    assert after.active is active
    assert after.session_epoch == epoch + (0 if active else 1)


async def test_a_token_revoked_twice_at_once_keeps_its_first_revocation_once(
    pg_db: str, clock: FakeClock
) -> None:
    await create_api_token("erp", actor=ADMIN, clock=clock)
    token = await ApiToken.get(name="erp")
    later = FakeClock(clock.now() + timedelta(hours=1))
    calls = [lambda c=c: revoke_api_token(token.id, actor=ADMIN, clock=c) for c in (clock, later)]

    wins, losses = split(await together(calls, hold=lambda: ApiToken.filter(id=token.id)))

    assert (len(wins), losses) == (2, [])
    [entry] = await AuditEntry.filter(action="revoke_token")
    revoked = (await ApiToken.get(id=token.id)).revoked_at
    assert revoked == entry.created_at
    assert {w.revoked_at for w in wins} == {revoked}


# --- A customer anonymized while they submit a return --------------------------------------------


async def test_a_customer_cannot_be_anonymized_while_their_return_is_being_submitted(
    shop: Shop,
) -> None:
    """The request is written but not committed when the admin anonymizes: the
    anonymization waits for it and finds it open (before, it went ahead and the customer
    was left with an open request and no name, phone or chat)."""
    submitted, refused = await meanwhile(
        lambda: open_return(shop),
        lambda: anonymize_customer(shop.customer.id, actor=ADMIN, clock=shop.clock),
    )

    assert isinstance(submitted, ReturnView), submitted
    assert isinstance(refused, ValidationError), refused
    assert refused.code == "customer_has_open_returns"
    customer = await Customer.get(id=shop.customer.id)
    assert customer.phone == shop.customer.phone


async def test_a_return_submitted_while_its_customer_is_anonymized_is_refused(shop: Shop) -> None:
    """The anonymization is not committed yet when the customer confirms: the submission
    waits for it and is refused (before, it wrote an open request for nobody)."""
    anonymized, refused = await meanwhile(
        lambda: anonymize_customer(shop.customer.id, actor=ADMIN, clock=shop.clock),
        lambda: open_return(shop),
    )

    assert not isinstance(anonymized, BaseException), anonymized
    assert isinstance(refused, ValidationError), refused
    assert refused.code == "customer_anonymized"
    assert await ReturnRequest.all().count() == 0


async def test_a_user_name_taken_at_the_same_moment_is_refused_as_taken(
    pg_db: str, clock: FakeClock
) -> None:
    """Both checks found the name free; the unique index refuses the second insert, which
    reads as the name being taken (before, the IntegrityError was a server error)."""
    made, refused = await meanwhile(
        lambda: StaffUser.create(username="anna", password_hash="x", roles=["admin"]),
        lambda: create_staff_user(
            "anna", "x" * 12, ["warehouse"], language="en", actor=ADMIN, clock=clock
        ),
    )

    assert isinstance(made, StaffUser), made
    assert isinstance(refused, ValidationError), refused
    assert (refused.code, refused.params) == ("username_taken", {"username": "anna"})
    assert await StaffUser.filter(username="anna").values_list("roles", flat=True) == [["admin"]]
    assert await AuditEntry.filter(action="create_staff").count() == 0
