"""A session ends for good: a copy of its cookie opens nothing once the account signs out,
gets a new password, or is deactivated (and reactivated).

Each test signs in through the form, copies the ``returndesk_session`` cookie as it was,
and replays it from another browser after the account's sessions have ended.
"""

from __future__ import annotations

import pytest

from models import StaffUser
from tests.security.conftest import Browser, Office, make_staff


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def replay(office: Office, cookie: str) -> Browser:
    """Another browser holding a copy of ``cookie``."""
    browser = await office.browser()
    browser.client.session.cookie_jar.update_cookies({"returndesk_session": cookie})
    return browser


async def opens_finance(browser: Browser) -> bool:
    status, _ = await browser.get("/finance")
    return status == 200


async def staff_id(username: str) -> int:
    return (await StaffUser.get(username=username)).id


async def test_a_copied_cookie_works_until_the_account_signs_out(office: Office) -> None:
    finance = await office.staff("finance")
    copied = finance.cookie()
    assert await opens_finance(await replay(office, copied))

    answer = await finance.post("/logout")

    assert (answer.status, answer.headers["Location"]) == (303, "/login")
    assert not await opens_finance(await replay(office, copied))
    assert not await opens_finance(finance)


async def test_signing_out_ends_the_accounts_sessions_on_every_device(office: Office) -> None:
    phone, laptop = await office.staff("finance"), await office.staff("finance")

    await phone.post("/logout")

    status, _ = await laptop.get("/finance")
    assert status == 303
    assert await office.staff("finance")  # and signing in again works


async def test_a_password_reset_ends_the_old_sessions(office: Office) -> None:
    warehouse = await office.staff("warehouse")
    copied = warehouse.cookie()
    admin = await office.staff("admin")
    page = f"/staff/{await staff_id('warehouse')}"
    await admin.page(page)

    answer = await admin.post(f"{page}/password", {"password": "a brand new password"})

    assert answer.status == 303
    for browser in (warehouse, await replay(office, copied)):
        status, _ = await browser.get("/inventory")
        assert status == 303
    assert await opens_finance(admin)


async def test_a_deactivated_session_stays_ended_after_reactivation(office: Office) -> None:
    finance = await office.staff("finance")
    copied = finance.cookie()
    admin = await office.staff("admin")
    page = f"/staff/{await staff_id('finance')}"
    await admin.page(page)

    await admin.post(f"{page}/active", {"active": "0"})
    assert not await opens_finance(await replay(office, copied))
    await admin.page(page)
    await admin.post(f"{page}/active", {"active": "1"})

    assert (await StaffUser.get(username="finance")).active
    assert not await opens_finance(await replay(office, copied))
    assert not await opens_finance(finance)


async def test_new_roles_keep_the_session(office: Office) -> None:
    await make_staff("reviewer")
    reviewer = await office.staff("reviewer")
    admin = await office.staff("admin")
    page = f"/staff/{await staff_id('reviewer')}"
    await admin.page(page)

    await admin.post(f"{page}/roles", {"roles": "finance"})

    assert await opens_finance(reviewer)
