"""Login throttling (SPEC §6): a name guessed at from one address is held there, the rest of
the shop at that address is not; an address trying name after name is held as a whole;
whoever is held is told so and for how long. Time moves on the shop's FakeClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backoffice.security import Blocked, LoginThrottle
from domain.clock import FakeClock
from tests.security.conftest import Office, make_staff

START = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
HELD_NAME = "Too many wrong passwords for this name: it is blocked here for {} more minutes."
HELD_ADDRESS = (
    "Too many failed sign-ins from this address: signing in from here is blocked for {} more"
)


async def test_five_wrong_passwords_hold_that_name_even_against_the_right_one(
    office: Office,
) -> None:
    await make_staff("reviewer")
    visitor = await office.browser()
    for attempt in range(1, 6):
        answer = await visitor.sign_in("reviewer", password=f"wrong password {attempt}")
        assert answer.status == 401, attempt
        assert "Wrong name or password." in answer.text
        assert "blocked" not in answer.text

    answer = await visitor.sign_in("reviewer")

    assert answer.status == 429
    assert "Location" not in answer.headers
    assert HELD_NAME.format(15) in answer.text
    assert (await visitor.get("/"))[0] == 303  # still signed out


async def test_colleagues_at_the_same_address_still_sign_in(office: Office) -> None:
    await make_staff("reviewer", "admin", "finance")
    visitor = await office.browser()
    for attempt in range(7):
        await visitor.sign_in("reviewer", password=f"wrong password {attempt}")
    assert (await visitor.sign_in("reviewer")).status == 429

    for colleague in ("admin", "finance"):
        answer = await (await office.browser()).sign_in(colleague)
        assert (answer.status, answer.headers.get("Location")) == (303, "/"), colleague


async def test_the_hold_says_how_long_is_left_and_ends_on_time(office: Office) -> None:
    clock: FakeClock = office.shop.clock
    await make_staff("reviewer")
    visitor = await office.browser()
    for _ in range(5):
        await visitor.sign_in("reviewer", password="wrong")
        clock.advance(timedelta(minutes=1))  # failures at 0, 1, 2, 3 and 4 minutes

    assert HELD_NAME.format(10) in (await visitor.sign_in("reviewer")).text
    clock.advance(timedelta(minutes=9, seconds=30))
    answer = await visitor.sign_in("reviewer")
    assert answer.status == 429
    assert "blocked here for 1 more minute." in answer.text
    clock.advance(timedelta(seconds=30))  # the first failure is 15 minutes old

    assert (await visitor.sign_in("reviewer")).status == 303


async def test_an_address_trying_name_after_name_is_held_as_a_whole(office: Office) -> None:
    await make_staff("reviewer")
    visitor = await office.browser()
    for n in range(50):
        assert (await visitor.sign_in(f"guess{n}", password="wrong")).status == 401, n

    answer = await visitor.sign_in("reviewer")

    assert answer.status == 429
    assert HELD_ADDRESS.format(15) in answer.text


@pytest.mark.parametrize("language", ["zh_Hans", "ru"])
async def test_the_hold_is_told_in_the_readers_language(office: Office, language: str) -> None:
    await make_staff("reviewer")
    visitor = await office.browser()
    visitor.client.session.cookie_jar.update_cookies({"returndesk_language": language})
    for _ in range(5):
        await visitor.sign_in("reviewer", password="wrong")

    text = (await visitor.sign_in("reviewer")).text

    assert {"zh_Hans": "15 分钟", "ru": "15 минут"}[language] in text


def test_a_name_is_held_only_at_the_address_it_was_guessed_from() -> None:
    clock = FakeClock(START)
    throttle = LoginThrottle(clock, attempts=3, address_attempts=10)
    for _ in range(3):
        throttle.failed("rita", "10.0.0.1")

    assert throttle.blocked("rita", "10.0.0.1") == Blocked(False, timedelta(minutes=15))
    assert throttle.blocked("rita", "10.0.0.2") is None
    assert throttle.blocked("fiona", "10.0.0.1") is None


def test_success_forgets_the_name_but_not_the_address() -> None:
    clock = FakeClock(START)
    throttle = LoginThrottle(clock, attempts=3, address_attempts=4)
    for name in ("rita", "rita", "wang"):
        throttle.failed(name, "10.0.0.1")
    throttle.succeeded("rita", "10.0.0.1")
    throttle.failed("rita", "10.0.0.1")

    assert throttle.blocked("admin", "10.0.0.1") == Blocked(True, timedelta(minutes=15))
    clock.advance(timedelta(minutes=15))
    assert throttle.blocked("admin", "10.0.0.1") is None


@pytest.mark.parametrize(
    ("wait", "minutes"),
    [(timedelta(minutes=15), 15), (timedelta(seconds=61), 2), (timedelta(seconds=1), 1)],
)
def test_the_wait_is_told_in_whole_minutes_rounded_up(wait: timedelta, minutes: int) -> None:
    assert Blocked(False, wait).minutes == minutes
