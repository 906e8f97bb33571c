"""Changing a staff member's roles (SPEC §1, admins manage staff accounts and roles), on SQLite
and PostgreSQL: audited, admin-only, and never leaving the shop without an active admin; and
the end of an account's sessions (its session epoch)."""

from __future__ import annotations

import asyncio

import pytest

from domain.clock import FakeClock
from domain.errors import DomainError, NotFound, PermissionDenied, ValidationError
from domain.returns import Actor, Role
from models import AuditEntry, StaffUser
from services.staff import (
    StaffView,
    change_staff_roles,
    end_sessions,
    reset_password,
    set_staff_active,
    signed_in_staff,
)
from tests.security.conftest import everything


async def account(username: str, *roles: str, active: bool = True) -> Actor:
    user = await StaffUser.create(
        username=username, password_hash="not used here", roles=list(roles), active=active
    )
    return Actor.staff(user.id, username, {Role(r) for r in roles})


@pytest.fixture
async def boss(db: str) -> Actor:
    """The shop's only active admin, with a reviewer beside her."""
    actor = await account("boss", "admin")
    await account("rita", "reviewer")
    return actor


async def roles_of(username: str) -> list[str]:
    return (await StaffUser.get(username=username)).roles


async def test_an_admin_changes_roles_and_the_change_is_audited(
    boss: Actor, clock: FakeClock
) -> None:
    rita = await StaffUser.get(username="rita")

    view = await change_staff_roles(rita.id, ["warehouse", "reviewer"], actor=boss, clock=clock)

    assert view.roles == ("reviewer", "warehouse")
    assert await roles_of("rita") == ["reviewer", "warehouse"]
    assert (await StaffUser.get(id=rita.id)).updated_by == "staff:boss"
    entry = await AuditEntry.get()
    assert (entry.actor, entry.action, entry.subject, entry.created_at) == (
        "staff:boss",
        "change_roles",
        "rita",
        clock.now(),
    )
    assert entry.details == {
        "staff_id": rita.id,
        "before": ["reviewer"],
        "after": ["reviewer", "warehouse"],
    }


async def test_the_same_roles_again_change_nothing(boss: Actor, clock: FakeClock) -> None:
    rita = await StaffUser.get(username="rita")
    before = await everything()

    await change_staff_roles(rita.id, ["reviewer"], actor=boss, clock=clock)

    assert await everything() == before


@pytest.mark.parametrize(
    ("roles", "code"),
    [
        ([], "invalid_roles"),
        (["reviewer", "boss"], "invalid_roles"),
        (["customer"], "invalid_roles"),
    ],
    ids=["none", "unknown", "not-a-staff-role"],
)
async def test_bad_roles_are_refused_and_change_nothing(
    boss: Actor, clock: FakeClock, roles: list[str], code: str
) -> None:
    rita = await StaffUser.get(username="rita")
    before = await everything()

    with pytest.raises(ValidationError) as caught:
        await change_staff_roles(rita.id, roles, actor=boss, clock=clock)

    assert caught.value.code == code
    assert await everything() == before


async def test_only_admins_change_roles(boss: Actor, clock: FakeClock) -> None:
    warehouse = await account("wang", "warehouse", "reviewer")
    rita = await StaffUser.get(username="rita")
    before = await everything()

    with pytest.raises(PermissionDenied):
        await change_staff_roles(rita.id, ["admin"], actor=warehouse, clock=clock)

    assert await everything() == before


async def test_the_last_active_admin_cannot_give_up_the_admin_role(
    boss: Actor, clock: FakeClock
) -> None:
    await account("old_boss", "admin", active=False)  # an admin who cannot sign in does not count
    before = await everything()

    with pytest.raises(ValidationError) as caught:
        await change_staff_roles(boss.id or 0, ["reviewer"], actor=boss, clock=clock)

    assert caught.value.code == "last_admin"
    assert await everything() == before
    await change_staff_roles(boss.id or 0, ["admin", "finance"], actor=boss, clock=clock)
    assert await roles_of("boss") == ["admin", "finance"]


async def test_an_admin_may_give_up_the_role_while_another_admin_remains(
    boss: Actor, clock: FakeClock
) -> None:
    await account("deputy", "admin")

    await change_staff_roles(boss.id or 0, ["finance"], actor=boss, clock=clock)

    assert await roles_of("boss") == ["finance"]


async def test_an_unknown_account_is_not_found(boss: Actor, clock: FakeClock) -> None:
    with pytest.raises(NotFound):
        await change_staff_roles(987654, ["reviewer"], actor=boss, clock=clock)


@pytest.mark.postgres
async def test_two_admins_giving_up_the_role_at_once_leave_one_admin(
    pg_db: str, clock: FakeClock
) -> None:
    first, second = await account("ann", "admin"), await account("bob", "admin")

    results = await asyncio.gather(
        change_staff_roles(first.id or 0, ["finance"], actor=first, clock=clock),
        change_staff_roles(second.id or 0, ["finance"], actor=second, clock=clock),
        return_exceptions=True,
    )

    assert sum(isinstance(r, StaffView) for r in results) == 1
    refusals = [r for r in results if isinstance(r, DomainError)]
    assert [r.code for r in refusals] == ["last_admin"]
    admins = [u.username for u in await StaffUser.all() if "admin" in u.roles]
    assert len(admins) == 1
    assert await AuditEntry.all().count() == 1


# --- sessions ------------------------------------------------------------------------------


async def test_a_session_of_the_current_epoch_finds_its_account(boss: Actor) -> None:
    rita = await StaffUser.get(username="rita")
    found = await signed_in_staff(rita.id, 0)
    assert found is not None
    assert (found.username, found.session_epoch) == ("rita", 0)
    assert await signed_in_staff(rita.id, 1) is None


async def test_ending_sessions_twice_at_once_moves_the_epoch_twice(boss: Actor) -> None:
    rita = await StaffUser.get(username="rita")
    await asyncio.gather(end_sessions(rita.id), end_sessions(rita.id))
    assert (await StaffUser.get(id=rita.id)).session_epoch == 2


@pytest.mark.parametrize("change", ["reset_password", "deactivate"])
async def test_a_password_reset_or_deactivation_ends_the_sessions(
    boss: Actor, clock: FakeClock, change: str
) -> None:
    rita = await StaffUser.get(username="rita")
    if change == "reset_password":
        view = await reset_password(rita.id, "a brand new password", actor=boss, clock=clock)
    else:
        view = await set_staff_active(rita.id, False, actor=boss, clock=clock)
        await set_staff_active(rita.id, True, actor=boss, clock=clock)
    assert view.session_epoch == 1
    assert await signed_in_staff(rita.id, 0) is None
    assert await signed_in_staff(rita.id, 1) is not None


async def test_new_roles_keep_the_sessions(boss: Actor, clock: FakeClock) -> None:
    rita = await StaffUser.get(username="rita")
    await change_staff_roles(rita.id, ["finance"], actor=boss, clock=clock)
    assert await signed_in_staff(rita.id, 0) is not None
