"""The dashboard: requests past their SLA and the work waiting for each role, with links into
the queue that list exactly what was counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import FakeClock
from domain.returns import Status
from services.queue import dashboard
from tests.backoffice.conftest import Desk
from tests.factories import Shop, open_return
from tests.services.test_returns import approved, received

HOUR = timedelta(hours=1)


def tile(page: str, href: str) -> str:
    """The count shown by the dashboard link to ``href``."""
    found = re.search(re.escape(f'href="{href}"') + r"[^>]*>(?:[^<]|<(?!/a>))*", page)
    assert found, f"no link to {href}"
    number = re.search(r"<strong[^>]*>([\d,]+)</strong>", found.group(0))
    assert number, found.group(0)
    return number.group(1)


def numbers(page: str) -> set[str]:
    return set(re.findall(r">(RMA-\d{4}-\d{6})</a>", page))


async def test_requests_past_their_sla_are_counted_per_stage_and_listed_by_the_link(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    late = await open_return(shop, {"TEE-1": 1})
    clock.advance(23 * HOUR)
    await open_return(shop, {"MUG-1": 1})  # in review for one hour only
    parcel = await received(shop, {"CAP-1": 1})
    clock.advance(HOUR)
    await desk.as_("rita")

    _, page = await desk.get("/")
    review = "/returns?status=submitted&amp;overdue=1"
    assert tile(page, review) == "1"
    assert tile(page, "/returns?status=received&amp;overdue=1") == "0"
    assert "over 24 h" in page
    _, listed = await desk.get(review.replace("&amp;", "&"))
    assert numbers(listed) == {late.number}

    clock.advance(47 * HOUR)
    _, page = await desk.get("/")
    assert tile(page, "/returns?status=received&amp;overdue=1") == "1"
    _, listed = await desk.get("/returns?overdue=1")
    assert parcel.number in numbers(listed)
    assert 'name="overdue" value="1" checked' in listed


@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        ("rita", ["Reviewing"], ["Warehouse</h3>", "Finance</h3>"]),
        ("wang", ["Warehouse</h3>"], ["Reviewing", "Finance</h3>"]),
        ("fiona", ["Finance</h3>"], ["Reviewing", "Warehouse</h3>"]),
        ("admin", ["Reviewing", "Warehouse</h3>", "Finance</h3>"], []),
    ],
)
async def test_each_person_sees_the_work_of_their_roles(
    desk: Desk, shop: Shop, username: str, shown: list[str], hidden: list[str]
) -> None:
    await desk.as_(username)
    _, page = await desk.get("/")
    for words in shown:
        assert words in page
    for words in hidden:
        assert words not in page


async def test_the_work_links_list_the_requests_counted(desk: Desk, shop: Shop) -> None:
    new = await open_return(shop, {"TEE-1": 1})
    waiting = await approved(shop, {"MUG-1": 1})
    await desk.as_("admin")

    _, page = await desk.get("/")
    assert tile(page, "/returns?work=review") == "1"
    assert tile(page, "/returns?work=receive") == "1"
    assert tile(page, "/returns?work=inspect") == "0"
    assert numbers((await desk.get("/returns?work=review"))[1]) == {new.number}
    _, listed = await desk.get("/returns?work=receive")
    assert numbers(listed) == {waiting.number}
    assert '<option value="receive" selected>' in listed


async def test_today_is_the_shops_day(desk: Desk, shop: Shop, clock: FakeClock) -> None:
    await desk.as_("wang")
    clock.set(datetime(2026, 3, 10, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    assert "Your work today, Mar 10, 2026" in (await desk.get("/"))[1]
    clock.set(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))  # midnight in Shanghai
    assert "Your work today, Mar 11, 2026" in (await desk.get("/"))[1]


async def test_the_queue_refuses_a_kind_of_work_it_does_not_know(desk: Desk, shop: Shop) -> None:
    await desk.as_("rita")
    assert (await desk.get("/returns?work=everything"))[0] == 400


LIFECYCLE = ["submitted", "needs_info", "approved", "received", "inspected"]
STATUS_TILE = re.compile(r'<a class="tile" href="/returns\?status=(\w+)">')


async def test_the_status_tiles_follow_the_lifecycle(desk: Desk, shop: Shop) -> None:
    await open_return(shop, {"TEE-1": 1})
    await desk.as_("rita")
    status, page = await desk.get("/")
    assert status == 200
    assert STATUS_TILE.findall(page) == LIFECYCLE  # never the order of a frozenset's hashes


async def test_the_dashboard_counts_come_in_lifecycle_order_whatever_order_is_asked(
    shop: Shop,
) -> None:
    board = await dashboard(tuple(reversed([Status(s) for s in LIFECYCLE])))
    assert list(board.open_by_status) == LIFECYCLE


CHART = re.compile(r'<svg [^>]*aria-label="([^"]*)"[^>]*>(.*?)</svg>', re.S)


def charts(page: str) -> dict[str, str]:
    return dict(CHART.findall(page))


async def test_the_dashboard_charts_open_requests_and_the_months_returns(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    await open_return(shop, {"TEE-1": 1})
    await approved(shop, {"MUG-1": 1})
    await desk.as_("rita")
    status, page = await desk.get("/")
    assert status == 200
    drawn = charts(page)
    assert set(drawn) == {"Open requests per status", "Returned units per month"}
    bars = re.findall(r"<rect [^>]*><title>([^<]*)</title>", drawn["Open requests per status"])
    assert bars == [
        "Submitted: 1",
        "Needs information: 0",
        "Approved: 1",
        "Received: 0",
        "Inspected: 0",
    ]
    months = re.findall(r"<text [^>]*rotate[^>]*>([^<]*)</text>", drawn["Returned units per month"])
    assert len(months) == 6
    assert "<script" not in page


async def test_the_months_chart_is_for_those_who_may_open_the_reports(
    desk: Desk, shop: Shop
) -> None:
    await desk.as_("wang")
    status, page = await desk.get("/")
    assert status == 200
    assert set(charts(page)) == {"Open requests per status"}
