"""Assigning requests to staff: who may, what it leaves on the timeline, and the queue's
assignee filter, on SQLite and PostgreSQL."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from domain.clock import FakeClock
from domain.errors import (
    ConcurrentModification,
    DomainError,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from domain.returns import Status
from models import ReturnEvent, ReturnRequest, StaffUser
from services.assignment import assign_return, assignment_of
from services.queue import QueueFilter, list_returns
from services.review import cancel_return
from tests.factories import (
    ADMIN,
    FINANCE,
    REVIEWER,
    WAREHOUSE,
    Shop,
    build_shop,
    customer_of,
    open_return,
)

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    shop = await build_shop(clock)
    for actor in (ADMIN, REVIEWER, WAREHOUSE, FINANCE):  # ids 1–4, as the factory's actors
        await StaffUser.create(
            id=actor.id, username=actor.label.removeprefix("staff:"), password_hash="x"
        )
    return shop


async def timeline(return_id: int) -> list[tuple[str, str, str, str, str]]:
    events = await ReturnEvent.filter(request_id=return_id).order_by("id")
    return [(e.actor, e.action, str(e.from_status), str(e.to_status), e.note) for e in events]


async def test_taking_a_request_and_letting_it_go_leave_events_but_move_no_status(
    shop: Shop,
) -> None:
    r = await open_return(shop)
    before = await ReturnRequest.get(id=r.id)

    await assign_return(r.id, WAREHOUSE.id, actor=WAREHOUSE, clock=shop.clock)
    taken = await ReturnRequest.get(id=r.id)
    await assign_return(r.id, None, actor=WAREHOUSE, clock=shop.clock)
    released = await ReturnRequest.get(id=r.id)

    assert (taken.assigned_to_id, released.assigned_to_id) == (WAREHOUSE.id, None)
    assert (taken.version, released.version) == (before.version + 1, before.version + 2)
    assert released.status is Status.SUBMITTED
    assert released.status_changed_at == before.status_changed_at
    assert (await timeline(r.id))[-2:] == [
        ("staff:wang", "assign", "submitted", "submitted", "wang"),
        ("staff:wang", "unassign", "submitted", "submitted", "wang"),
    ]


async def test_only_reviewers_and_admins_hand_a_request_to_someone_else(shop: Shop) -> None:
    r = await open_return(shop)
    clock = shop.clock
    for actor, assignee in [(WAREHOUSE, FINANCE.id), (FINANCE, REVIEWER.id)]:
        with pytest.raises(PermissionDenied):
            await assign_return(r.id, assignee, actor=actor, clock=clock)

    await assign_return(r.id, WAREHOUSE.id, actor=REVIEWER, clock=clock)
    with pytest.raises(PermissionDenied):  # not theirs to let go
        await assign_return(r.id, None, actor=FINANCE, clock=clock)
    await assign_return(r.id, FINANCE.id, actor=FINANCE, clock=clock)  # but theirs to take
    await assign_return(r.id, REVIEWER.id, actor=ADMIN, clock=clock)

    assert [e[1:] for e in await timeline(r.id) if e[1] == "assign"] == [
        ("assign", "submitted", "submitted", "wang"),
        ("assign", "submitted", "submitted", "fiona"),
        ("assign", "submitted", "submitted", "rita"),
    ]
    with pytest.raises(PermissionDenied):
        await assign_return(r.id, None, actor=customer_of(shop), clock=clock)


async def test_a_refused_assignment_changes_nothing(shop: Shop) -> None:
    r = await open_return(shop)
    await StaffUser.filter(id=FINANCE.id).update(active=False)
    version = (await ReturnRequest.get(id=r.id)).version
    await assign_return(r.id, WAREHOUSE.id, actor=WAREHOUSE, clock=shop.clock)
    before = await timeline(r.id), await ReturnRequest.get(id=r.id)

    refusals: list[tuple[type[DomainError], int | None, int | None]] = [
        (ConcurrentModification, REVIEWER.id, version),  # a stale page
        (ValidationError, FINANCE.id, None),  # deactivated
        (ValidationError, 987654, None),  # no such account
    ]
    for refusal, assignee, expected in refusals:
        with pytest.raises(refusal):
            await assign_return(
                r.id, assignee, actor=REVIEWER, clock=shop.clock, expected_version=expected
            )

    after = await timeline(r.id), await ReturnRequest.get(id=r.id)
    assert after[0] == before[0]
    assert (after[1].assigned_to_id, after[1].version) == (WAREHOUSE.id, before[1].version)


async def test_the_same_assignee_again_changes_nothing(shop: Shop) -> None:
    r = await open_return(shop)
    await assign_return(r.id, REVIEWER.id, actor=REVIEWER, clock=shop.clock)
    before = await timeline(r.id), (await ReturnRequest.get(id=r.id)).version
    await assign_return(r.id, REVIEWER.id, actor=REVIEWER, clock=shop.clock)
    assert (await timeline(r.id), (await ReturnRequest.get(id=r.id)).version) == before


async def test_a_finished_request_is_given_to_nobody_new_but_can_be_let_go(shop: Shop) -> None:
    r = await open_return(shop)
    await assign_return(r.id, REVIEWER.id, actor=REVIEWER, clock=shop.clock)
    await cancel_return(r.id, actor=customer_of(shop), clock=shop.clock)
    request = await ReturnRequest.get(id=r.id)

    with pytest.raises(InvalidTransition):
        await assign_return(r.id, ADMIN.id, actor=ADMIN, clock=shop.clock)
    offered = await assignment_of(request, ADMIN)
    assert (offered.may_take, offered.may_release, offered.staff) == (False, True, [])
    await assign_return(r.id, None, actor=ADMIN, clock=shop.clock)
    assert (await ReturnRequest.get(id=r.id)).assigned_to_id is None


async def test_each_person_is_offered_what_they_may_change(shop: Shop) -> None:
    r = await open_return(shop)
    await assign_return(r.id, WAREHOUSE.id, actor=WAREHOUSE, clock=shop.clock)
    request = await ReturnRequest.get(id=r.id)

    wang, fiona, rita = [await assignment_of(request, a) for a in (WAREHOUSE, FINANCE, REVIEWER)]
    assert (wang.assignee, wang.may_take, wang.may_release, wang.staff) == ("wang", False, True, [])
    assert (fiona.may_take, fiona.may_release, fiona.staff) == (True, False, [])
    assert (rita.may_take, rita.may_release) == (True, True)
    assert [name for _id, name in rita.staff] == ["admin", "fiona", "rita", "wang"]


async def test_the_queue_shows_and_filters_by_assignee(shop: Shop) -> None:
    mine = await open_return(shop, {"TEE-1": 1})
    theirs = await open_return(shop, {"MUG-1": 1})
    nobodys = await open_return(shop, {"CAP-1": 1})
    await assign_return(mine.id, REVIEWER.id, actor=REVIEWER, clock=shop.clock)
    await assign_return(theirs.id, WAREHOUSE.id, actor=REVIEWER, clock=shop.clock)

    async def rows(filters: QueueFilter) -> dict[str, str]:
        return {r.number: r.assignee for r in (await list_returns(filters, zone=ZONE)).rows}

    assert await rows(QueueFilter()) == {
        mine.number: "rita",
        theirs.number: "wang",
        nobodys.number: "",
    }
    assert await rows(QueueFilter(assignee=REVIEWER.id)) == {mine.number: "rita"}
    assert await rows(QueueFilter(unassigned=True)) == {nobodys.number: ""}
