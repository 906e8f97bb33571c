"""Staff accounts: add, change roles, deactivate and reactivate, reset a password."""

from __future__ import annotations

import pytest

from models import AuditEntry, StaffUser
from tests.backoffice.conftest import PASSWORD, Desk, staff_id
from tests.factories import Shop
from tests.security.conftest import everything


async def test_admin_adds_an_account_that_can_sign_in(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    form = {"username": "WuMing", "roles": ["warehouse", "finance"], "language": "zh_Hans"}
    form["password"] = "a long first password"

    status, _page = await desk.post("/staff", form, page="/staff")

    user = await StaffUser.get(username="wuming")
    assert status == 200
    assert (sorted(user.roles), user.language, user.updated_by) == (
        ["finance", "warehouse"],
        "zh_Hans",
        "staff:admin",
    )
    assert await desk.sign_in("wuming", "a long first password") == 303


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"username": "ok_name", "password": "short", "roles": "reviewer"}, "too short"),
        ({"username": "rita", "password": "long enough pass", "roles": "reviewer"}, "is taken"),
        ({"username": "x", "password": "long enough pass", "roles": "reviewer"}, "A user name"),
        ({"username": "no_roles", "password": "long enough pass"}, "at least one role"),
    ],
)
async def test_bad_accounts_are_refused(
    desk: Desk, shop: Shop, form: dict[str, str], words: str
) -> None:
    await desk.as_("admin")
    status, page = await desk.post("/staff", {**form, "language": "en"}, page="/staff")
    assert status == 400
    assert words in page
    assert await StaffUser.all().count() == 4


async def test_a_deactivated_account_is_signed_out_and_cannot_sign_in(
    desk: Desk, shop: Shop
) -> None:
    rita = await staff_id("rita")
    await desk.as_("admin")
    page = f"/staff/{rita}"

    await desk.post(f"{page}/active", {"active": "0"}, page=page)

    assert await desk.sign_in("rita") == 401
    await desk.post(f"{page}/active", {"active": "1"}, page=page)
    assert await desk.sign_in("rita") == 303


async def test_an_admin_cannot_deactivate_themselves(desk: Desk, shop: Shop) -> None:
    me = await staff_id("admin")
    await desk.as_("admin")
    page = f"/staff/{me}"

    status, text = await desk.post(f"{page}/active", {"active": "0"}, page=page)

    assert status == 400
    assert "your own account" in text
    assert (await StaffUser.get(id=me)).active


async def test_reset_password_replaces_the_old_one(desk: Desk, shop: Shop) -> None:
    wang = await staff_id("wang")
    await desk.as_("admin")
    page = f"/staff/{wang}"

    short, _ = await desk.post(f"{page}/password", {"password": "short"}, page=page)
    await desk.post(f"{page}/password", {"password": "a brand new password"}, page=page)

    assert short == 400
    assert await desk.sign_in("wang", PASSWORD) == 401
    assert await desk.sign_in("wang", "a brand new password") == 303


async def test_staff_pages_are_for_admins_only(desk: Desk, shop: Shop) -> None:
    rita = await staff_id("rita")
    await desk.as_("fiona")
    assert (await desk.get("/staff"))[0] == 403
    assert (await desk.get(f"/staff/{rita}"))[0] == 403
    assert (await desk.post(f"/staff/{rita}/password", {"password": "x" * 12}))[0] == 403
    await desk.as_("admin")
    assert (await desk.get("/staff/99999"))[0] == 404


# --- roles ------------------------------------------------------------------------------------

CHECKED = '<input type="checkbox" name="roles" value="{}" checked>'


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_admin_changes_roles_which_hold_from_the_next_page(desk: Desk, shop: Shop) -> None:
    rita = await staff_id("rita")
    page = f"/staff/{rita}"
    await desk.as_("admin")
    assert CHECKED.format("reviewer") in (await desk.get(page))[1]

    status, shown = await desk.post(
        f"{page}/roles", {"roles": ["reviewer", "warehouse"]}, page=page
    )

    assert status == 200
    assert "Done." in shown
    assert CHECKED.format("warehouse") in shown
    assert CHECKED.format("finance") not in shown
    entry = await AuditEntry.get()
    assert (entry.actor, entry.action, entry.subject) == ("staff:admin", "change_roles", "rita")
    _, audit = await desk.get("/audit?action=change_roles")
    assert f'<a href="{page}">rita</a> Reviewer → Reviewer, Warehouse' in audit
    await desk.as_("rita")
    assert (await desk.get("/inventory"))[0] == 200


async def test_the_last_admin_cannot_drop_their_own_admin_role(desk: Desk, shop: Shop) -> None:
    me = await staff_id("admin")
    await StaffUser.filter(id=me).update(language="ru")
    page = f"/staff/{me}"
    await desk.as_("admin")
    before = await everything()

    status, shown = await desk.post(f"{page}/roles", {"roles": ["reviewer"]}, page=page)

    assert status == 400
    assert "Это последний активный администратор" in shown
    assert await everything() == before
    assert (await desk.get("/staff"))[0] == 200


async def test_an_admin_who_drops_the_role_lands_on_the_dashboard(desk: Desk, shop: Shop) -> None:
    await StaffUser.create(username="deputy", password_hash="unused", roles=["admin"])
    me = await staff_id("admin")
    page = f"/staff/{me}"
    await desk.as_("admin")

    status, shown = await desk.post(f"{page}/roles", {"roles": ["finance"]}, page=page)

    assert status == 200
    assert "Done." in shown
    assert 'href="/finance"' in shown
    assert (await desk.get("/staff"))[0] == 403


async def test_no_roles_are_refused(desk: Desk, shop: Shop) -> None:
    rita = await staff_id("rita")
    page = f"/staff/{rita}"
    await desk.as_("admin")
    before = await everything()

    status, shown = await desk.post(f"{page}/roles", {}, page=page)

    assert status == 400
    assert "Choose at least one role." in shown
    assert await everything() == before


@pytest.mark.parametrize("username", ["rita", "wang", "fiona"])
async def test_only_admins_change_roles(desk: Desk, shop: Shop, username: str) -> None:
    me = await staff_id(username)
    await desk.as_(username)
    before = await everything()

    status, _ = await desk.post(f"/staff/{me}/roles", {"roles": ["admin"]})

    assert status == 403
    assert await everything() == before


async def test_roles_of_an_unknown_account_are_not_found(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    assert (await desk.post("/staff/987654/roles", {"roles": ["reviewer"]}))[0] == 404
