"""The frequent-returners snapshot: stored ahead for the standard periods by a job, read by the
report until the job runs again (tests/reports/dataset.py's history, figures by hand).

The history ends on 5 March 2026 (Shanghai). Over January–March, and over October–March (no
sales before January), the shop sold 40 units and 11 came back (27.50 %); Li returned all 5
units she bought in three requests (100.00 %). Anna (two live requests) and Bo (one) are
not frequent returners.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from models import ReportSnapshot
from services.findings import dashboard_findings
from services.report_snapshots import refresh_report_snapshots
from services.reports import Period, ReportFilter, build_report
from tests.reports.dataset import _submit, at, build_history

D = Decimal
DASHBOARD = Period(date(2026, 1, 1), date(2026, 3, 1))  # the last 3 months on 10 March
PAGE = Period(date(2025, 10, 1), date(2026, 3, 1))  # the last 6 months on 10 March
DEC_TO_MAR = Period(date(2025, 12, 1), date(2026, 3, 1))  # not a standard period
AS_OF = "These figures are as of {} and are refreshed every 10 minutes."


@pytest.fixture
async def history(db, clock):
    built = await build_history(clock)
    clock.set(at("2026-03-10 04:00"))  # 12:00 in Shanghai
    return built


async def report(period, channel=""):
    return await build_report("frequent-returners", ReportFilter(period, channel))


def li_row(history, shop_rate):
    return (history.customers["Li Lei"].id, "Li Lei", 3, 5, 5, D("100.00"), D(shop_rate))


def notes(found):
    return [note.render() for note in found.notes][1:]  # after the report's own rule


async def stored():
    return sorted(
        await ReportSnapshot.all().values_list("first_month", "last_month", "channel", "report")
    )


async def bo_returns_his_last_unit(history):
    """R9 on 11 March: 12 of 40 units back (30.00 %); Bo has two requests, still too few."""
    await _submit(history, "R9", "2026-03-11 04:00", "Bo", "SO-4", {"TEE-2": 1}, "quality_defect")


async def test_the_job_stores_the_dashboards_and_the_pages_periods_for_every_channel(
    history, clock
):
    assert await refresh_report_snapshots(clock) == 2
    assert await stored() == [
        (PAGE.first, PAGE.last, "", "frequent-returners"),
        (DASHBOARD.first, DASHBOARD.last, "", "frequent-returners"),
    ]


async def test_a_snapshotted_period_shows_the_live_figures_and_when_they_were_computed(
    history, clock
):
    live = await report(DASHBOARD)
    assert live.rows == (li_row(history, "27.50"),)
    assert notes(live) == []
    await refresh_report_snapshots(clock)
    for period in (DASHBOARD, PAGE):
        snapshotted = await report(period)
        assert snapshotted.rows == live.rows
        assert snapshotted.columns == live.columns
        assert notes(snapshotted) == [AS_OF.format("2026-03-10 12:00")]


async def test_a_new_return_shows_only_after_the_job_runs_again(history, clock):
    await refresh_report_snapshots(clock)
    await bo_returns_his_last_unit(history)
    assert (await report(DASHBOARD)).rows == (li_row(history, "27.50"),)
    finding = (await dashboard_findings(date(2026, 3, 11)))[-1]
    assert (finding.key, finding.params["shop_rate"]) == (
        "customer_returns_often",
        Decimal("27.50"),
    )

    await refresh_report_snapshots(clock)
    fresh = await report(DASHBOARD)
    assert fresh.rows == (li_row(history, "30.00"),)
    assert notes(fresh) == [AS_OF.format("2026-03-11 12:00")]
    finding = (await dashboard_findings(date(2026, 3, 11)))[-1]
    assert finding.params["shop_rate"] == Decimal("30.00")


async def test_a_period_or_channel_without_a_snapshot_is_computed_when_asked(history, clock):
    await refresh_report_snapshots(clock)
    await bo_returns_his_last_unit(history)
    other = await report(DEC_TO_MAR)
    assert other.rows == (li_row(history, "30.00"),)
    assert notes(other) == []
    # telegram: 7 of 7 units back (SO-2, SO-4), so Li's 100 % is not twice the shop's
    telegram = await report(DASHBOARD, "telegram")
    assert telegram.rows == ()
    assert notes(telegram) == []


async def test_running_the_job_twice_keeps_one_snapshot_per_period(history, clock):
    await refresh_report_snapshots(clock)
    clock.advance(timedelta(minutes=10))
    await refresh_report_snapshots(clock)
    assert len(await stored()) == 2
    assert notes(await report(PAGE)) == [AS_OF.format("2026-03-10 12:10")]


async def test_snapshots_older_than_a_day_are_deleted(history, clock):
    clock.set(at("2026-03-31 15:00"))  # 23:00 on the last day of March in Shanghai
    await refresh_report_snapshots(clock)
    clock.advance(timedelta(hours=2))  # 1 April: February–April and November–April
    await refresh_report_snapshots(clock)
    assert len(await stored()) == 4  # March's periods are two hours old: kept
    clock.advance(timedelta(days=1))
    await refresh_report_snapshots(clock)
    assert await stored() == [
        (date(2025, 11, 1), date(2026, 4, 1), "", "frequent-returners"),
        (date(2026, 2, 1), date(2026, 4, 1), "", "frequent-returners"),
    ]
