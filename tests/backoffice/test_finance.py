"""Finance: refunds with a date filter, the trial balance, the period report."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.clock import FakeClock
from domain.returns import ReturnType
from services.finance import list_refunds, period_report
from services.policies import save_policy_rule
from services.refunds import record_exchange_payment, refund_return, ship_replacement
from services.reports import Period, ReportFilter, build_report
from services.warehouse import Grades, inspect_return
from tests.backoffice.conftest import ZONE, Desk
from tests.factories import ADMIN, FINANCE, WAREHOUSE, Shop
from tests.services.test_returns import inspected, only_line, received

D = Decimal
BOTH_DATABASES = pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)


async def refunded(
    shop: Shop, items: dict[str, int], reference: str = "PAY-1", reason: str = "quality_defect"
) -> str:
    r = await inspected(shop, items, reason=reason)
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, reference=reference)
    return r.number


async def test_refunds_page_lists_refunds_within_the_dates(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    old = await refunded(shop, {"TEE-1": 1}, "PAY-OLD")
    clock.advance(timedelta(days=3))
    new = await refunded(shop, {"MUG-1": 1}, "PAY-NEW")
    await desk.as_("fiona")
    today = clock.now().astimezone(ZONE).date()

    _, everything = await desk.get("/finance")
    status, recent = await desk.get(f"/finance?since={today}&until={today}")

    assert status == 200
    assert old in everything
    assert new in everything
    assert new in recent
    assert old not in recent
    assert "PAY-NEW" in recent


async def test_refunds_are_paged_newest_first(shop: Shop) -> None:
    await refunded(shop, {"TEE-1": 1})
    await refunded(shop, {"MUG-1": 1})
    first = await list_refunds(None, None, zone=ZONE, size=1)
    rest = await list_refunds(None, None, zone=ZONE, before=first.next_cursor, size=1)

    assert [r.amount for r in first.rows + rest.rows] == [D("80.00"), D("100.00")]
    assert rest.next_cursor is None


async def refunds_booked_out_of_order(shop: Shop) -> list[str]:
    """Part refunds whose ids do not follow their times (two share a moment); their
    references newest first, the later id first among equal times."""
    r = await inspected(shop, {"TEE-1": 2})
    start = shop.clock.now()
    days = {"PAY-A": 1, "PAY-B": -10, "PAY-C": 5, "PAY-D": -10, "PAY-E": 2}
    for reference, offset in days.items():
        shop.clock.set(start + timedelta(days=offset))
        await refund_return(
            r.id, actor=FINANCE, clock=shop.clock, amount=D("1.00"), reference=reference
        )
    shop.clock.set(start)
    return ["PAY-C", "PAY-E", "PAY-A", "PAY-D", "PAY-B"]


@BOTH_DATABASES
async def test_refunds_are_listed_and_paged_newest_first_by_time_not_by_id(shop: Shop) -> None:
    newest_first = await refunds_booked_out_of_order(shop)
    seen, cursor = [], None
    for _ in range(3):
        page = await list_refunds(None, None, zone=ZONE, before=cursor, size=2)
        seen += [r.reference for r in page.rows]
        cursor = page.next_cursor
    assert seen == newest_first
    assert cursor is None


@BOTH_DATABASES
async def test_refunds_page_and_export_are_newest_first(desk: Desk, shop: Shop) -> None:
    newest_first = await refunds_booked_out_of_order(shop)
    await desk.as_("fiona")

    _, page = await desk.get("/finance")
    text = await (await desk.client.get("/finance/refunds/export.csv")).text()

    assert sorted(newest_first, key=page.index) == newest_first
    assert [row[6] for row in csv.reader(io.StringIO(text[1:]))][1:] == newest_first


@pytest.mark.parametrize("cursor", ["12", "yesterday_3", "2026-01-01T00:00:00_3", "x_99999999999"])
async def test_a_cursor_that_is_not_one_is_a_bad_request(desk: Desk, cursor: str) -> None:
    await desk.as_("fiona")
    assert (await desk.get(f"/finance?before={cursor}"))[0] == 400


async def test_ledger_page_shows_trial_balance_that_sums_to_zero(desk: Desk, shop: Shop) -> None:
    await refunded(shop, {"TEE-1": 2})
    await desk.as_("fiona")

    status, page = await desk.get("/finance/ledger")

    assert status == 200
    assert "Refunds payable" in page
    assert "refunds_payable" not in page
    assert "Sales returns" in page
    assert "The ledger balances" in page


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_period_report_sums_refunds_fees_write_offs_and_exchanges(
    shop: Shop, clock: FakeClock
) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    await refunded(shop, {"TEE-1": 2}, reason="changed_mind")  # 200.00 less a 10 % fee
    r = await received(shop, {"MUG-1": 1})
    line = await only_line(r.id)
    await inspect_return(r.id, {line.id: Grades(defective=1)}, actor=WAREHOUSE, clock=clock)
    await refund_return(r.id, actor=FINANCE, clock=clock)  # a defect: no fee; 30.00 written off
    today = clock.now().astimezone(ZONE).date()

    report = await period_report(today, today, zone=ZONE)
    empty = await period_report(today + timedelta(days=1), today + timedelta(days=2), zone=ZONE)

    assert (report.refund_count, report.refunds) == (2, D("260.00"))
    assert report.refunds_by_method == {"original": D("260.00")}
    assert (report.fees, report.write_offs) == (D("20.00"), D("30.00"))
    assert (report.exchange_payments, report.exchange_refunds) == (D("0.00"), D("0.00"))
    assert (empty.refund_count, empty.refunds, empty.fees) == (0, D("0.00"), D("0.00"))


async def test_period_report_page_defaults_to_this_month(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    await refunded(shop, {"TEE-1": 1})
    await desk.as_("fiona")

    status, page = await desk.get("/finance/report")

    first = clock.now().astimezone(ZONE).date().replace(day=1)
    assert status == 200
    assert f'value="{first}"' in page
    assert "1 refund" in page
    assert (await desk.get("/finance/report?since=2026-03-10&until=2026-03-01"))[0] == 400
    assert (await desk.get("/finance/report?since=yesterday"))[0] == 400


@pytest.mark.parametrize("path", ["/finance", "/finance/ledger", "/finance/report"])
async def test_finance_pages_are_forbidden_to_other_roles(desk: Desk, path: str) -> None:
    for username in ("rita", "wang"):
        await desk.as_(username)
        assert (await desk.get(path))[0] == 403
    await desk.as_("admin")
    assert (await desk.get(path))[0] == 200


async def test_period_report_shows_exchange_differences_both_ways(
    shop: Shop, clock: FakeClock
) -> None:
    dearer = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    await record_exchange_payment(dearer.id, D("70.00"), actor=FINANCE, clock=clock)
    cheaper = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    await ship_replacement(cheaper.id, "YT123456", actor=WAREHOUSE, clock=clock)
    today = clock.now().astimezone(ZONE).date()

    report = await period_report(today, today, zone=ZONE)

    assert (report.exchange_payments, report.exchange_refunds) == (D("70.00"), D("20.00"))
    assert (report.refund_count, report.refunds) == (0, D("0.00"))  # differences: listed apart


async def test_period_report_sums_every_exchange_refund(shop: Shop, clock: FakeClock) -> None:
    """Two cheaper exchanges: 80.00 mugs for 60.00 caps, 20.00 back each."""
    for _ in range(2):
        cheaper = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
        await ship_replacement(cheaper.id, "YT123456", actor=WAREHOUSE, clock=clock)
    today = clock.now().astimezone(ZONE).date()

    report = await period_report(today, today, zone=ZONE)

    assert (report.exchange_refunds, report.refund_count, report.refunds) == (
        D("40.00"),
        0,
        D("0.00"),
    )


async def test_the_period_report_and_the_money_report_call_the_same_money_refunds(
    shop: Shop, clock: FakeClock
) -> None:
    refund = await inspected(shop, {"TEE-1": 1})
    await refund_return(refund.id, actor=FINANCE, clock=clock, amount=D("60.00"))
    cheaper = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    await ship_replacement(cheaper.id, "YT123456", actor=WAREHOUSE, clock=clock)
    today = clock.now().astimezone(ZONE).date()

    page = await period_report(today, today, zone=ZONE)
    money = await build_report("money", ReportFilter(Period.between(today, today)))
    paid = money.records()[0]  # this month's row

    assert (page.refunds, page.refund_count, page.exchange_refunds) == (D("60.00"), 1, D("20.00"))
    assert (paid["refunds"], paid["exchange_refunded"]) == (page.refunds, page.exchange_refunds)


async def test_an_inspected_exchange_shows_what_the_customer_pays_or_gets_back(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    dearer = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    cheaper = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    await desk.as_("admin")

    _status, page = await desk.get(f"/returns/{dearer.id}")
    assert "The customer still has to pay: <strong>CN¥70.00</strong>" in page
    assert 'name="amount" inputmode="decimal" required value="70.00"' in page
    _status, page = await desk.get(f"/returns/{cheaper.id}")
    assert "Refunded to the customer when the replacement ships: <strong>CN¥20.00</strong>" in page
    assert "still has to pay" not in page

    await record_exchange_payment(dearer.id, D("70.00"), actor=FINANCE, clock=clock)
    _status, page = await desk.get(f"/returns/{dearer.id}")
    assert "still has to pay" not in page
