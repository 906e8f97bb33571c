"""Every report on the known history (tests/reports/dataset.py), figures worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.clock import FakeClock
from locales import compile_catalog
from services.reports import MEAN_SCORE, Note, Period, ReportFilter, build_report, smooth
from services.rollups import expected_rollups, rebuild_rollups, stored_rollups
from tests.reports.dataset import build_history

D = Decimal
DEC_TO_MAR = Period(date(2025, 12, 1), date(2026, 3, 1))


@pytest.fixture
async def history(db):
    return await build_history(FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))


def every(**filters):
    return ReportFilter(DEC_TO_MAR, **filters)


async def rows(name, filters=None):
    return (await build_report(name, filters or every())).rows


async def test_rate_by_month_counts_sales_in_the_shops_month_and_leaves_empty_months_empty(history):
    # Jan: sold SO-1 20 + 4 = 24 (SO-2 at 20:00 UTC on 31 Jan is 1 Feb in Shanghai);
    # returned R1 3 (R2 cancelled) → 3/24.
    # Feb: sold SO-2 3 + 2, SO-3 6 + 3 = 14; returned R3 3 + R7 1 + R8 1 + R4 2 = 7 → 7/14.
    # Mar: sold SO-4 2; returned R6 1 (R5 rejected) → 1/2.
    assert await rows("rate-by-month") == (
        ("2025-12", 0, 0, None),
        ("2026-01", 24, 3, D("12.50")),
        ("2026-02", 14, 7, D("50.00")),
        ("2026-03", 2, 1, D("50.00")),
    )


async def test_rate_by_product_includes_a_product_never_returned(history):
    # MUG-1 sold 4 + 6, returned R4 2; SOAP-1 sold 3, never returned;
    # TEE-1 sold 20 + 3, returned R1 3 + R3 2 + R8 1 (partial returns); TEE-2 sold 2 + 2,
    # returned R3 1 + R7 1 + R6 1.
    assert await rows("rate-by-product") == (
        ("MUG-1", "Product MUG-1", "home", 10, 2, D("20.00")),
        ("SOAP-1", "Product SOAP-1", "hygiene", 3, 0, D("0.00")),
        ("TEE-1", "Product TEE-1", "apparel", 23, 6, D("26.09")),
        ("TEE-2", "Product TEE-2", "apparel", 4, 3, D("75.00")),
    )


async def test_rate_by_category_and_by_channel(history):
    assert await rows("rate-by-category") == (
        ("apparel", 27, 9, D("33.33")),
        ("home", 10, 2, D("20.00")),
        ("hygiene", 3, 0, D("0.00")),
    )
    # telegram: SO-2 5 + SO-4 2 sold; R3 3 + R7 1 + R8 1 + R6 1 returned.
    # web: SO-1 24 + SO-3 9 sold; R1 3 + R4 2 returned.
    assert await rows("rate-by-channel") == (
        ("telegram", 7, 6, D("85.71")),
        ("web", 33, 5, D("15.15")),
    )


async def test_rate_by_reason_shares_and_rates(history):
    # 11 units returned of 40 sold; quality_defect R1 3 + R3 3 + R6 1 in three requests.
    assert await rows("rate-by-reason") == (
        ("quality_defect", 3, 7, D("63.64"), D("17.50")),
        ("wrong_item", 1, 2, D("18.18"), D("5.00")),
        ("damaged_in_transit", 1, 1, D("9.09"), D("2.50")),
        ("not_as_described", 1, 1, D("9.09"), D("2.50")),
    )


async def test_filters_by_channel_and_by_category(history):
    # telegram: Feb SO-2 5 sold, 5 returned; Mar SO-4 2 sold, R6 1 returned.
    assert await rows("rate-by-month", every(channel="telegram")) == (
        ("2025-12", 0, 0, None),
        ("2026-01", 0, 0, None),
        ("2026-02", 5, 5, D("100.00")),
        ("2026-03", 2, 1, D("50.00")),
    )
    assert await rows("rate-by-month", every(category="home")) == (
        ("2025-12", 0, 0, None),
        ("2026-01", 4, 0, D("0.00")),
        ("2026-02", 6, 2, D("33.33")),
        ("2026-03", 0, 0, None),
    )


async def test_problem_products_rank_by_units_above_the_category_rate(history):
    # apparel returns 9 of 27 (1/3): TEE-2 3 − 4/3 = +1.7, TEE-1 6 − 23/3 = −1.7; home 2 of
    # 10: MUG-1 2 − 2 = 0. Only TEE-2 is returned above its category's rate. Main reason:
    # TEE-2 quality_defect 2 of 3 (R3, R6; R7 is not_as_described).
    assert await rows("problem-products") == (
        (
            "TEE-2",
            "Product TEE-2",
            "apparel",
            3,
            D("75.00"),
            D("33.33"),
            D("1.7"),
            "quality_defect",
            D("66.67"),
        ),
    )


async def test_stage_times_mean_p90_and_sla_breaches(history):
    # submitted left after 6 (R1), 4 (R2), 30 (R3), 2 (R4), 6 (R5) hours: mean 48/5, p90 the
    # 5th of 5 = 30, one over 24 h. approved: 66, 46. received: 30, 24 (SLA 48). inspected:
    # 96 (R1 refund), 24 (R4 shipped), SLA 72. refunded: 24 (R1 closed).
    assert await rows("stage-times") == (
        ("submitted", 24, 5, D("9.6"), 30, 1, D("20.00")),
        ("needs_info", None, 0, None, None, None, None),
        ("approved", None, 2, D("56.0"), 66, None, None),
        ("received", 48, 2, D("27.0"), 30, 0, D("0.00")),
        ("inspected", 72, 2, D("60.0"), 96, 1, D("50.00")),
        ("refunded", None, 1, D("24.0"), 24, None, None),
        ("exchanged", None, 0, None, None, None, None),
    )


async def test_money_from_the_ledger_per_month(history):
    # R1: 3 × 100 accepted, refunded 300, 1 defective written off at cost 40.
    # R4: 2 × 80 accepted, exchanged for equal value: no money changes hands.
    zero = D("0.00")
    assert await rows("money") == (
        ("2025-12", zero, zero, zero, zero, zero, zero),
        ("2026-01", D("300.00"), D("300.00"), zero, D("40.00"), zero, zero),
        ("2026-02", D("160.00"), zero, zero, zero, zero, zero),
        ("2026-03", zero, zero, zero, zero, zero, zero),
        ("total", D("460.00"), D("300.00"), zero, D("40.00"), zero, zero),
    )


async def test_exchange_share_of_requests_and_units(history):
    assert await rows("exchange-share") == (
        ("2025-12", 0, 0, None, 0, 0, None),
        ("2026-01", 1, 0, D("0.00"), 3, 0, D("0.00")),
        ("2026-02", 4, 1, D("25.00"), 7, 2, D("28.57")),
        ("2026-03", 1, 0, D("0.00"), 1, 0, D("0.00")),
    )


async def test_survey_scores_and_comments(history):
    report = await build_report("surveys", every())
    assert report.rows == (
        (1, 0, D("0.00")),
        (2, 0, D("0.00")),
        (3, 0, D("0.00")),
        (4, 1, D("100.00")),
        (5, 0, D("0.00")),
    )
    assert report.notes[0].render() == "Mean score 4.00 from 1 answer."
    assert await rows("survey-comments") == (
        ("2026-01-27 12:00", history.numbers["R1"], 4, "Quick refund"),
    )


async def test_frequent_returners_need_three_requests_and_twice_the_shops_rate(history):
    # shop: 11 of 40 = 27.50 %. Li: R3, R7, R8 — 5 units of the 5 she bought. Anna has two
    # live requests (R2 was cancelled), Bo one (R5 was rejected).
    li = history.customers["Li Lei"]
    assert await rows("frequent-returners") == (
        (li.id, "Li Lei", 3, 5, 5, D("100.00"), D("27.50")),
    )


async def test_trend_forecasts_next_month_by_exponential_smoothing(history):
    # from January, the first month with sales (December sold nothing: not a zero month)
    # rates 12.5, 50, 50: 12.5 → 31.25 → 40.625; returned 3, 7, 1: 3 → 5 → 3.
    report = await build_report("trend", every())
    assert report.rows[-1] == ("2026-04", "forecast", None, D("3.0"), D("40.63"))
    assert [r[1] for r in report.rows[:-1]] == ["actual"] * 4
    assert "simple exponential smoothing (α = 0.5)" in report.notes[0].render()


async def test_the_forecast_is_the_same_whichever_month_the_period_starts_with(history):
    forecasts = {
        (await build_report("trend", ReportFilter(Period(first, date(2026, 3, 1))))).rows[-1]
        for first in (date(2024, 1, 1), date(2025, 12, 1), date(2026, 2, 1), date(2026, 3, 1))
    }
    assert forecasts == {("2026-04", "forecast", None, D("3.0"), D("40.63"))}


async def test_the_month_not_over_is_shown_as_partial_and_left_out_of_the_forecast(history):
    # read on 20 March (Shanghai): January and February are over: 12.5 → 31.25; 3 → 5.
    now = datetime(2026, 3, 20, 4, 0, tzinfo=UTC)
    report = await build_report("trend", every(now=now))
    assert report.rows[-2:] == (
        ("2026-03", "partial", 2, 1, D("50.00")),
        ("2026-04", "forecast", None, D("5.0"), D("31.25")),
    )
    assert "2026-03 is not over yet" in report.notes[1].render()
    # read on 10 February: March has not begun and is not shown
    report = await build_report("trend", every(now=datetime(2026, 2, 10, tzinfo=UTC)))
    assert [r[:2] for r in report.rows] == [
        ("2025-12", "actual"),
        ("2026-01", "actual"),
        ("2026-02", "partial"),
        ("2026-04", "forecast"),
    ]
    assert report.rows[-1][3:] == (D("3.0"), D("12.50"))


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "по 1 ответу"), (3, "по 3 ответам"), (5, "по 5 ответам"), (21, "по 21 ответу")],
)
def test_the_survey_note_takes_the_plural_form_of_its_count(count, words):
    note = Note(MEAN_SCORE[0], {"mean": D("3.75"), "count": count}, MEAN_SCORE[1], "count")
    russian = compile_catalog("ru", domain="backoffice")
    assert note.render(russian.gettext, russian.ngettext) == f"Средняя оценка 3.75 {words}."
    english = "answer" if count == 1 else "answers"
    assert note.render() == f"Mean score 3.75 from {count} {english}."


def test_smoothing_by_hand():
    assert smooth([D(10), D(20), D(40)]) == D("27.5")  # 10 → 15 → 27.5
    assert smooth([]) is None


async def test_an_empty_period_has_rows_of_nothing(history):
    empty = ReportFilter(Period(date(2025, 6, 1), date(2025, 7, 1)))
    assert (await build_report("rate-by-month", empty)).rows == (
        ("2025-06", 0, 0, None),
        ("2025-07", 0, 0, None),
    )
    assert (await build_report("rate-by-product", empty)).rows == ()
    assert (await build_report("frequent-returners", empty)).rows == ()
    assert (await build_report("trend", empty)).rows[-1] == (
        "2025-08",
        "forecast",
        None,
        None,
        None,
    )
    assert (await build_report("stage-times", empty)).rows[0] == (
        "submitted",
        24,
        0,
        None,
        None,
        0,
        None,
    )


async def test_the_history_rollups_equal_a_full_recomputation(history):
    assert await stored_rollups() == await expected_rollups()
    before = await stored_rollups()
    await rebuild_rollups()
    assert await stored_rollups() == before


async def test_findings_point_at_their_figures(history):
    from services.findings import find_findings

    found = await find_findings(every())
    li = history.customers["Li Lei"]
    assert [(f.key, dict(f.params), f.report) for f in found] == [
        # submitted: 1 of 5 over 24 h; inspected: 1 of 2 over 72 h
        (
            "stage_breaches_sla",
            {
                "stage": "submitted",
                "share": Decimal("20.00"),
                "breaches": 1,
                "visits": 5,
                "sla_hours": 24,
            },
            "stage-times",
        ),
        (
            "stage_breaches_sla",
            {
                "stage": "inspected",
                "share": Decimal("50.00"),
                "breaches": 1,
                "visits": 2,
                "sla_hours": 72,
            },
            "stage-times",
        ),
        # TEE-2 75.00 % ≥ 2 × apparel's 33.33 %, 3 units back
        (
            "product_above_category",
            {
                "sku": "TEE-2",
                "product": "Product TEE-2",
                "rate": Decimal("75.00"),
                "category": "apparel",
                "category_rate": Decimal("33.33"),
                "returned": 3,
            },
            "problem-products",
        ),
        # March (1 quality_defect) grew on nothing over February
        (
            "customer_returns_often",
            {
                "customer_id": str(li.id),
                "name": "Li Lei",
                "requests": 3,
                "rate": Decimal("100.00"),
                "shop_rate": Decimal("27.50"),
            },
            "frequent-returners",
        ),
    ]


async def test_a_reason_that_grew_this_month(history):
    from services.findings import find_findings

    # January: quality_defect 3; February: wrong_item 0 → 2 (quality_defect 3 → 3 did not grow)
    found = await find_findings(ReportFilter(Period(date(2026, 1, 1), date(2026, 2, 1))))
    grew = [(f.key, dict(f.params), f.filters.period) for f in found if f.key == "reason_grew"]
    assert grew == [
        (
            "reason_grew",
            {
                "reason": "wrong_item",
                "before": 0,
                "after": 2,
                "month": "2026-02",
                "previous_month": "2026-01",
            },
            Period(date(2026, 1, 1), date(2026, 2, 1)),
        )
    ]
