"""Every action the lifecycle does not allow is refused and changes nothing (SPEC §2).

The matrices are generated from ``domain.returns.TRANSITIONS`` and ``ACTION_ROLES``: each
(status, action) pair missing from the table, each role an action does not admit, another
customer, and a stale version. Each case drives a real request to the status it needs,
snapshots everything an action could write, calls the action's service and compares.

The full matrix runs on SQLite and on PostgreSQL: about 370 cases take well under a minute
on each, so no slicing is needed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.clock import FakeClock
from domain.errors import ConcurrentModification, InvalidTransition, NotFound, PermissionDenied
from domain.returns import ACTION_ROLES, TRANSITIONS, Action, Actor, ReturnType, Role, Status
from models import ReturnLine, ReturnRequest
from services.followup import add_tracking_number, reply_to_question
from services.refunds import exchange_due, record_exchange_payment, refund_return, ship_replacement
from services.review import (
    approve_return,
    ask_customer,
    cancel_return,
    close_return,
    expire_return,
    reject_return,
)
from services.views import ReturnView
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import (
    ADMIN,
    FINANCE,
    REVIEWER,
    SYSTEM,
    WAREHOUSE,
    Shop,
    build_shop,
    customer_of,
    open_return,
)
from tests.services.test_returns import events, snapshot

S, A = Status, Action


# --- Bringing a request to each status ----------------------------------------------------

# How each status is reached from the one before it; SUBMITTED is the root.
PARENT: dict[Status, Status] = {
    S.NEEDS_INFO: S.SUBMITTED,
    S.APPROVED: S.SUBMITTED,
    S.REJECTED: S.SUBMITTED,
    S.CANCELLED: S.APPROVED,
    S.RECEIVED: S.APPROVED,
    S.INSPECTED: S.RECEIVED,
    S.REFUNDED: S.INSPECTED,
    S.EXCHANGED: S.INSPECTED,
    S.CLOSED: S.REFUNDED,
}
# Exchanges (TEE-1 for the dearer TEE-2) wherever the status allows, so that refused actions
# also have a reservation they could wrongly touch; refunds where only they get there.
REFUND_ONLY = frozenset({S.REFUNDED, S.CLOSED})


def kind_for(status: Status) -> ReturnType:
    return ReturnType.REFUND if status in REFUND_ONLY else ReturnType.EXCHANGE


async def _lines(return_id: int) -> list[ReturnLine]:
    return await ReturnLine.filter(request_id=return_id).order_by("id")


async def _counted(shop: Shop, r: ReturnView) -> ReturnView:
    counts = {line.id: line.quantity for line in await _lines(r.id)}
    return await receive_return(r.id, counts, actor=WAREHOUSE, clock=shop.clock)


async def _graded(shop: Shop, r: ReturnView) -> ReturnView:
    grades = {line.id: Grades(resellable=line.quantity) for line in await _lines(r.id)}
    return await inspect_return(r.id, grades, actor=WAREHOUSE, clock=shop.clock)


async def _shipped(shop: Shop, r: ReturnView) -> ReturnView:
    # 2 x TEE-2 (300.00) for 2 x TEE-1 (200.00): 100.00 to pay first
    await record_exchange_payment(r.id, Decimal("100.00"), actor=FINANCE, clock=shop.clock)
    return await ship_replacement(r.id, "SF0000001", actor=WAREHOUSE, clock=shop.clock)


# The step that takes a request from PARENT[status] to status.
STEP: dict[Status, Callable[[Shop, ReturnView], Awaitable[ReturnView]]] = {
    S.NEEDS_INFO: lambda shop, r: ask_customer(
        r.id, "Which size?", actor=REVIEWER, clock=shop.clock
    ),
    S.APPROVED: lambda shop, r: approve_return(r.id, actor=REVIEWER, clock=shop.clock),
    S.REJECTED: lambda shop, r: reject_return(r.id, "Worn", actor=REVIEWER, clock=shop.clock),
    S.CANCELLED: lambda shop, r: cancel_return(r.id, actor=customer_of(shop), clock=shop.clock),
    S.RECEIVED: _counted,
    S.INSPECTED: _graded,
    S.REFUNDED: lambda shop, r: refund_return(r.id, actor=FINANCE, clock=shop.clock),
    S.EXCHANGED: _shipped,
    S.CLOSED: lambda shop, r: close_return(r.id, actor=ADMIN, clock=shop.clock),
}


async def drive(shop: Shop, status: Status, kind: ReturnType | None = None) -> ReturnView:
    """Open a request for 2 x TEE-1 and take it, through the real services, to ``status``."""
    kind = kind or kind_for(status)
    if status is S.SUBMITTED:
        replacement = "TEE-2" if kind is ReturnType.EXCHANGE else None
        return await open_return(shop, {"TEE-1": 2}, kind=kind, replacement=replacement)
    r = await drive(shop, PARENT[status], kind)
    after = await STEP[status](shop, r)
    assert after.status is status
    return after


# --- Taking each action through its service ---------------------------------------------------

Take = Callable[[Shop, ReturnView, Actor, "int | None"], Awaitable[ReturnView]]


async def _receive(shop: Shop, r: ReturnView, actor: Actor, version: int | None) -> ReturnView:
    counts = {line.id: line.quantity for line in await _lines(r.id)}
    return await receive_return(
        r.id, counts, actor=actor, clock=shop.clock, expected_version=version
    )


async def _inspect(shop: Shop, r: ReturnView, actor: Actor, version: int | None) -> ReturnView:
    grades = {line.id: Grades(resellable=line.quantity) for line in await _lines(r.id)}
    return await inspect_return(
        r.id, grades, actor=actor, clock=shop.clock, expected_version=version
    )


# Every input is valid, so that only status, role, owner or version can refuse the action.
TAKE: dict[Action, Take] = {
    A.APPROVE: lambda shop, r, actor, v: approve_return(
        r.id, actor=actor, clock=shop.clock, expected_version=v
    ),
    A.REJECT: lambda shop, r, actor, v: reject_return(
        r.id, "Not eligible", actor=actor, clock=shop.clock, expected_version=v
    ),
    A.ASK: lambda shop, r, actor, v: ask_customer(
        r.id, "Which colour?", actor=actor, clock=shop.clock, expected_version=v
    ),
    A.REPLY: lambda shop, r, actor, _v: reply_to_question(
        r.id, "Blue", actor=actor, clock=shop.clock
    ),
    A.CANCEL: lambda shop, r, actor, v: cancel_return(
        r.id, actor=actor, clock=shop.clock, expected_version=v
    ),
    A.ADD_TRACKING: lambda shop, r, actor, _v: add_tracking_number(
        r.id, "SF1000001", actor=actor, clock=shop.clock
    ),
    A.EXPIRE: lambda shop, r, _actor, _v: expire_return(r.id, clock=shop.clock),
    A.RECEIVE: _receive,
    A.INSPECT: _inspect,
    A.REFUND: lambda shop, r, actor, v: refund_return(
        r.id, actor=actor, clock=shop.clock, expected_version=v
    ),
    A.RECORD_PAYMENT: lambda shop, r, actor, _v: record_exchange_payment(
        r.id, Decimal("10.00"), actor=actor, clock=shop.clock
    ),
    A.SHIP_REPLACEMENT: lambda shop, r, actor, v: ship_replacement(
        r.id, "SF2000002", actor=actor, clock=shop.clock, expected_version=v
    ),
    A.CLOSE: lambda shop, r, actor, v: close_return(
        r.id, actor=actor, clock=shop.clock, expected_version=v
    ),
}
VERSIONED = frozenset(
    {A.APPROVE, A.REJECT, A.ASK, A.CANCEL, A.RECEIVE, A.INSPECT, A.REFUND,
     A.SHIP_REPLACEMENT, A.CLOSE}
)  # fmt: skip
# expire_return takes no actor: it is always the system's.
ACTORLESS = frozenset({A.EXPIRE})

STAFF_ACTORS = {
    Role.REVIEWER: REVIEWER,
    Role.WAREHOUSE: WAREHOUSE,
    Role.FINANCE: FINANCE,
    Role.ADMIN: ADMIN,
    Role.SYSTEM: SYSTEM,
}
# The one permitted actor each action is taken with in the status matrix.
PERMITTED: dict[Action, Role] = {
    A.APPROVE: Role.REVIEWER,
    A.REJECT: Role.REVIEWER,
    A.ASK: Role.REVIEWER,
    A.REPLY: Role.CUSTOMER,
    A.CANCEL: Role.CUSTOMER,
    A.ADD_TRACKING: Role.CUSTOMER,
    A.EXPIRE: Role.SYSTEM,
    A.RECEIVE: Role.WAREHOUSE,
    A.INSPECT: Role.WAREHOUSE,
    A.REFUND: Role.FINANCE,
    A.RECORD_PAYMENT: Role.FINANCE,
    A.SHIP_REPLACEMENT: Role.WAREHOUSE,
    A.CLOSE: Role.SYSTEM,
}


def actor_for(shop: Shop, role: Role) -> Actor:
    return customer_of(shop) if role is Role.CUSTOMER else STAFF_ACTORS[role]


def source_of(action: Action) -> Status:
    """The first status the table allows ``action`` from."""
    return next(s for (s, a) in TRANSITIONS if a is action)


def kind_of(action: Action) -> ReturnType | None:
    """A request type the action makes sense for (None: whatever the status suggests)."""
    if action is A.REFUND:
        return ReturnType.REFUND
    if action in (A.RECORD_PAYMENT, A.SHIP_REPLACEMENT):
        return ReturnType.EXCHANGE
    return None


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    return await build_shop(clock)


def test_matrix_covers_every_action_and_permitted_actor() -> None:
    assert set(TAKE) == set(Action) == set(PERMITTED)
    assert all(role in ACTION_ROLES[action] for action, role in PERMITTED.items())
    assert set(PARENT) == set(STEP) == set(Status) - {S.SUBMITTED}


# --- The table itself, taken through the services --------------------------------------------


@pytest.mark.parametrize(
    ("status", "action"), list(TRANSITIONS), ids=[f"{s}-{a}" for s, a in TRANSITIONS]
)
async def test_every_allowed_transition_leads_where_the_table_says(
    shop: Shop, status: Status, action: Action
) -> None:
    if (status, action) == (S.REFUNDED, A.REFUND):  # refunded in part: the rest is still owed
        r = await drive(shop, S.INSPECTED, ReturnType.REFUND)
        r = await refund_return(r.id, actor=FINANCE, clock=shop.clock, amount=Decimal("1.00"))
    else:
        r = await drive(shop, status, kind_of(action))
    shop.clock.advance(timedelta(days=30))  # past ship-back and auto-close delays
    if action is A.SHIP_REPLACEMENT:
        due = await exchange_due(r.id)
        await record_exchange_payment(r.id, due, actor=FINANCE, clock=shop.clock)
        r = ReturnView.of(await ReturnRequest.get(id=r.id))
    actor = actor_for(shop, PERMITTED[action])

    after = await TAKE[action](shop, r, actor, None)

    assert after.status is TRANSITIONS[(status, action)]
    assert after.version == r.version + 1
    label = "expiry" if action in ACTORLESS else actor.label
    assert (await events(r.id))[-1] == (label, str(action), status, after.status)


# --- Every pair missing from the table ---------------------------------------------------------

REFUSED = [(s, a) for s in Status for a in Action if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=[f"{s}-{a}" for s, a in REFUSED])
async def test_action_not_in_the_table_is_refused_and_changes_nothing(
    shop: Shop, status: Status, action: Action
) -> None:
    r = await drive(shop, status)
    shop.clock.advance(timedelta(days=30))  # so no deadline or delay is what refuses it
    before = await snapshot(r.id)

    with pytest.raises(InvalidTransition) as caught:
        await TAKE[action](shop, r, actor_for(shop, PERMITTED[action]), None)

    assert caught.value.code == "invalid_transition"
    assert caught.value.params == {"status": str(status), "action": str(action)}
    assert await snapshot(r.id) == before


# --- Every role an action does not admit ------------------------------------------------------

FORBIDDEN = [
    (action, role)
    for action in Action
    if action not in ACTORLESS
    for role in Role
    if role not in ACTION_ROLES[action]
]


@pytest.mark.parametrize(("action", "role"), FORBIDDEN, ids=[f"{a}-by-{r}" for a, r in FORBIDDEN])
async def test_action_by_a_role_not_allowed_is_refused_and_changes_nothing(
    shop: Shop, action: Action, role: Role
) -> None:
    r = await drive(shop, source_of(action), kind_of(action))
    before = await snapshot(r.id)

    with pytest.raises(PermissionDenied) as caught:
        await TAKE[action](shop, r, actor_for(shop, role), None)

    assert caught.value.code == "permission_denied"
    assert await snapshot(r.id) == before


# --- Another customer's request ------------------------------------------------------------

FOREIGN = [a for a in Action if a not in ACTORLESS]


@pytest.mark.parametrize("action", FOREIGN, ids=[str(a) for a in FOREIGN])
async def test_another_customers_request_is_not_found_and_unchanged(
    shop: Shop, action: Action
) -> None:
    r = await drive(shop, source_of(action), kind_of(action))
    before = await snapshot(r.id)

    with pytest.raises(NotFound) as caught:
        await TAKE[action](shop, r, Actor.customer(shop.other.id), None)

    assert caught.value.code == "return_not_found"
    assert await snapshot(r.id) == before


# --- A stale version -------------------------------------------------------------------------

STALE = sorted(VERSIONED)


@pytest.mark.parametrize("action", STALE, ids=[str(a) for a in STALE])
async def test_stale_version_is_refused_as_changed_meanwhile(shop: Shop, action: Action) -> None:
    r = await drive(shop, source_of(action), kind_of(action))
    shop.clock.advance(timedelta(days=30))
    before = await snapshot(r.id)

    with pytest.raises(ConcurrentModification) as caught:
        await TAKE[action](shop, r, actor_for(shop, PERMITTED[action]), r.version - 1)

    assert caught.value.code == "changed_meanwhile"
    assert caught.value.params == {"number": r.number}
    assert await snapshot(r.id) == before
