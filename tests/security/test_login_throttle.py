"""Login throttling (SPEC §6): a name guessed at from one address is held there, the rest of
the shop at that address is not; an address trying name after name is held as a whole;
whoever is held is told so and for how long. Time moves on the shop's FakeClock.

The failures are kept in the database, so two back-office instances, or one restarted, count
the same ones; every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from domain.clock import FakeClock
from models import LoginFailure
from services.login_throttle import PRUNE_BATCH, Blocked, LoginThrottle
from tests.conftest import db_kind  # noqa: F401  (both databases; the suite's conftest has one)
from tests.security.conftest import Browser, Office, backoffice, everything, make_staff

ADDRESS = "10.0.0.1"
HELD_NAME = "Too many wrong passwords for this name: it is blocked here for {} more minutes."
HELD_ADDRESS = (
    "Too many failed sign-ins from this address: signing in from here is blocked for {} more"
)
HELD_FOR_A_WINDOW = Blocked(False, timedelta(minutes=15))


async def wrong_passwords(throttle: LoginThrottle, username: str, times: int = 1) -> None:
    """Attempts from ``ADDRESS`` let through to a password check that fails."""
    for _ in range(times):
        assert isinstance(await throttle.admit(username, ADDRESS), LoginFailure)


async def signs_in(throttle: LoginThrottle, username: str) -> None:
    """An attempt from ``ADDRESS`` let through to a password check that passes."""
    attempt = await throttle.admit(username, ADDRESS)
    assert isinstance(attempt, LoginFailure)
    await throttle.succeeded(attempt)


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


async def test_a_second_back_office_knows_the_first_ones_failures(office: Office) -> None:
    await make_staff("reviewer")
    second = TestClient(TestServer(backoffice(office.shop)))
    await second.start_server()
    office.browsers.append(second)
    visitors = (await office.browser(), Browser(second))
    for attempt in range(5):
        answer = await visitors[attempt % 2].sign_in("reviewer", password="wrong")
        assert answer.status == 401, attempt

    for visitor in visitors:
        assert HELD_NAME.format(15) in (await visitor.sign_in("reviewer")).text


async def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(
    office: Office,
) -> None:
    await make_staff("reviewer")
    visitors = [await office.browser() for _ in range(12)]
    for visitor in visitors:
        await visitor.page("/login")
    form = {"username": "reviewer", "password": "wrong", "next": "/"}

    answers = await asyncio.gather(*(visitor.post("/login", form) for visitor in visitors))

    statuses = Counter(answer.status for answer in answers)
    assert set(statuses) <= {401, 429}
    assert statuses[401] <= 5


async def test_a_sign_in_forgets_the_names_failures_and_is_not_counted_itself(
    office: Office,
) -> None:
    await make_staff("reviewer")
    visitor = await office.browser()
    await visitor.sign_in("reviewer", password="wrong")

    assert (await visitor.sign_in("reviewer")).status == 303
    assert await LoginFailure.all().values_list("username", flat=True) == [None]


async def test_a_failed_sign_in_keeps_the_name_typed_but_never_the_password(
    office: Office,
) -> None:
    visitor = await office.browser()
    await visitor.sign_in("  Rita ", password="the-password-tried")
    await visitor.sign_in("x" * 100, password="the-password-tried")

    failures = await LoginFailure.all().order_by("id").values_list("username", "address")

    assert failures == [("rita", "127.0.0.1"), ("x" * 64, "127.0.0.1")]
    assert "the-password-tried" not in repr(await everything())


async def test_a_name_is_held_only_at_the_address_it_was_guessed_from(
    db: str, clock: FakeClock
) -> None:
    throttle = LoginThrottle(clock, attempts=3, address_attempts=10)
    await wrong_passwords(throttle, "rita", 3)

    assert await throttle.admit("rita", ADDRESS) == HELD_FOR_A_WINDOW
    assert isinstance(await throttle.admit("rita", "10.0.0.2"), LoginFailure)
    assert isinstance(await throttle.admit("fiona", ADDRESS), LoginFailure)


async def test_success_forgets_the_name_but_not_the_address(db: str, clock: FakeClock) -> None:
    throttle = LoginThrottle(clock, attempts=3, address_attempts=4)
    for name in ("rita", "rita", "wang"):
        await wrong_passwords(throttle, name)
    await signs_in(throttle, "rita")
    await wrong_passwords(throttle, "rita")

    assert await throttle.admit("admin", ADDRESS) == Blocked(True, timedelta(minutes=15))
    clock.advance(timedelta(minutes=15))
    assert isinstance(await throttle.admit("admin", ADDRESS), LoginFailure)


async def test_after_success_the_name_has_its_full_allowance_again(
    db: str, clock: FakeClock
) -> None:
    throttle = LoginThrottle(clock, attempts=3, address_attempts=10)
    await wrong_passwords(throttle, "rita", 2)
    await signs_in(throttle, "rita")

    await wrong_passwords(throttle, "rita", 3)
    assert await throttle.admit("rita", ADDRESS) == HELD_FOR_A_WINDOW


async def test_two_instances_count_the_same_failures(db: str, clock: FakeClock) -> None:
    first, second = LoginThrottle(clock, attempts=4), LoginThrottle(clock, attempts=4)
    for throttle in (first, second, first, second):
        await wrong_passwords(throttle, "rita")

    assert await first.admit("rita", ADDRESS) == HELD_FOR_A_WINDOW
    assert await second.admit("rita", ADDRESS) == HELD_FOR_A_WINDOW


async def test_a_restarted_instance_keeps_the_hold(db: str, clock: FakeClock) -> None:
    await wrong_passwords(LoginThrottle(clock), "rita", 5)
    clock.advance(timedelta(minutes=5))

    restarted = LoginThrottle(clock)

    assert await restarted.admit("rita", ADDRESS) == Blocked(False, timedelta(minutes=10))


async def test_refused_attempts_are_not_counted(db: str, clock: FakeClock) -> None:
    throttle = LoginThrottle(clock, attempts=3)
    await wrong_passwords(throttle, "rita", 3)
    for _ in range(5):
        clock.advance(timedelta(minutes=1))
        assert isinstance(await throttle.admit("rita", ADDRESS), Blocked)

    clock.advance(timedelta(minutes=10))  # the three failures are 15 minutes old

    assert isinstance(await throttle.admit("rita", ADDRESS), LoginFailure)


async def test_failures_the_window_has_left_are_pruned_a_batch_at_a_time(
    db: str, clock: FakeClock
) -> None:
    throttle = LoginThrottle(clock, attempts=100, address_attempts=100)
    await wrong_passwords(throttle, "rita", PRUNE_BATCH + 3)
    clock.advance(timedelta(minutes=15))

    await wrong_passwords(throttle, "rita")
    assert await LoginFailure.all().count() == 3 + 1
    await wrong_passwords(throttle, "wang")
    assert await LoginFailure.filter(failed_at__lte=clock.now() - throttle.window).count() == 0


async def test_a_burst_of_parallel_wrong_passwords_gets_no_more_checks_than_the_limit(
    db: str, clock: FakeClock
) -> None:
    instances = (LoginThrottle(clock), LoginThrottle(clock))
    burst = [instances[n % 2].admit("reviewer", ADDRESS) for n in range(40)]

    admitted = [a for a in await asyncio.gather(*burst) if isinstance(a, LoginFailure)]

    assert len(admitted) <= 5
    assert await LoginFailure.all().count() == len(admitted)  # the refused left nothing
    await wrong_passwords(instances[0], "reviewer", 5 - len(admitted))
    assert await instances[1].admit("reviewer", ADDRESS) == HELD_FOR_A_WINDOW


@pytest.mark.parametrize(
    ("wait", "minutes"),
    [(timedelta(minutes=15), 15), (timedelta(seconds=61), 2), (timedelta(seconds=1), 1)],
)
def test_the_wait_is_told_in_whole_minutes_rounded_up(wait: timedelta, minutes: int) -> None:
    assert Blocked(False, wait).minutes == minutes
