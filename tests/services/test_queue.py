"""The queue's search and the dashboard's counts, on SQLite and PostgreSQL."""

from zoneinfo import ZoneInfo

import pytest

from domain.returns import ReturnType, Status
from models import ReturnRequest
from services import queue
from services.queue import QueueFilter, dashboard, list_returns, low_stock
from services.review import approve_return, cancel_return
from tests.factories import REVIEWER, build_shop, customer_of, open_return, place_order

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def shop(db, clock):
    shop = await build_shop(clock)
    await place_order(
        clock, "SO-2", "+79000000002", clock.now(), [("MUG-1", 1, "80.00")], channel="telegram"
    )
    return shop


async def numbers(search: str) -> list[str]:
    page = await list_returns(QueueFilter(search=search), zone=ZONE)
    return [row.number for row in page.rows]


async def test_the_queue_finds_requests_by_part_of_a_name_an_order_or_an_rma_number(shop):
    first = await open_return(shop, {"TEE-1": 1})
    second = await open_return(shop, {"MUG-1": 1})
    expected = [second.number, first.number]  # newest first
    assert await numbers("li") == expected
    assert await numbers("  LEI ") == expected
    assert await numbers("SO-1") == expected
    assert await numbers(first.number.lower()) == [first.number]
    assert await numbers("Anna") == []
    assert await numbers("SO-2") == []
    assert await numbers("nobody at all") == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("+8613800000001", True),  # as stored
        ("+86 138-0000-0001", True),
        ("008613800000001", True),  # the international prefix dialled from China
        ("13800000001", True),  # the national number
        ("138 0000 0001", True),  # …as Chinese staff group it
        ("+7900000001", False),  # another country's number with the same ending
        ("3800000002", False),
    ],
)
async def test_the_queue_finds_a_customer_by_phone_as_staff_type_it(shop, typed, found):
    mine = await open_return(shop, {"TEE-1": 1})
    assert await numbers(typed) == ([mine.number] if found else [])


@pytest.mark.parametrize("at_most", [0, 1, 500])
async def test_a_common_name_is_searched_the_other_way_with_the_same_answer(
    shop, monkeypatch, at_most
):
    """More matching customers than the search looks up by id: it checks the rows instead."""
    monkeypatch.setattr(queue, "NAMED_AT_MOST", at_most)
    first = await open_return(shop, {"TEE-1": 1})
    second = await open_return(shop, {"MUG-1": 1})
    assert await numbers("l") == [second.number, first.number]  # "Li Lei", not "Anna"
    assert await numbers("a") == []  # "Anna" has no requests
    assert await numbers("n") == []


async def test_the_dashboard_counts_open_requests_per_status_as_they_move(shop):
    first = await open_return(shop, {"TEE-1": 1})
    second = await open_return(shop, {"MUG-1": 1})
    third = await open_return(shop, {"CAP-1": 1})
    await approve_return(first.id, actor=REVIEWER, clock=shop.clock)
    await cancel_return(third.id, actor=customer_of(shop), clock=shop.clock)
    board = await dashboard()
    assert board.open_by_status[Status.SUBMITTED] == 1
    assert board.open_by_status[Status.APPROVED] == 1
    assert Status.CANCELLED not in board.open_by_status
    await approve_return(second.id, actor=REVIEWER, clock=shop.clock)
    board = await dashboard()
    assert board.open_by_status[Status.SUBMITTED] == 0
    assert board.open_by_status[Status.APPROVED] == 2
    assert (
        sum(board.open_by_status.values())
        == await ReturnRequest.filter(status__in=list(board.open_by_status)).count()
    )


async def test_low_stock_lists_active_products_at_or_under_their_threshold(shop):
    # CAP-1: 4 in stock, threshold 3 (not yet low); the others well above theirs
    assert await low_stock() == []
    first = await open_return(shop, {"TEE-1": 1}, replacement="CAP-1", kind=ReturnType.EXCHANGE)
    await approve_return(first.id, actor=REVIEWER, clock=shop.clock)  # reserves one CAP-1
    assert await low_stock() == [("CAP-1", "Product CAP-1", 3, 3)]


@pytest.mark.parametrize(
    "search", ["x" * 65, "RMA-" + "9" * 40, "a.very.long.address@" + "e" * 60 + ".com"]
)
async def test_a_search_longer_than_any_order_or_rma_number_finds_nothing_and_fails_not(
    shop, search: str
):
    await open_return(shop)

    assert await numbers(search) == []
