"""Staff accounts: add, deactivate and reactivate, reset a password."""

from __future__ import annotations

import pytest

from models import StaffUser
from tests.backoffice.conftest import PASSWORD, Desk, staff_id
from tests.factories import Shop


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
