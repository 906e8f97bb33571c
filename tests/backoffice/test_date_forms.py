"""Date filters of the refunds list, the period report and the reports page: a malformed or
reversed period shows the form again, as typed, with words saying what to fix."""

from __future__ import annotations

import html

import pytest

from services.reports import MAX_MONTHS
from tests.backoffice.conftest import Desk

DAY = "Enter a day as YYYY-MM-DD, for example 2026-11-05."
DAYS_REVERSED = "The period ends before it starts: choose a last day on or after the first."
MONTH = "Enter a month as YYYY-MM, for example 2026-11."
MONTHS_REVERSED = "The period ends before it starts: choose a last month on or after the first."
TOO_LONG = f"The period is too long: at most {MAX_MONTHS} months."
FAR_OFF = (
    "The date is too far in the past or the future: it must fall between 1000-01-02 and"
    " 9998-01-01 (UTC)."
)


@pytest.mark.parametrize(
    ("path", "message", "typed"),
    [
        ("/finance/report?since=2026-03-10&until=2026-03-01", DAYS_REVERSED, ["2026-03-10"]),
        ("/finance/report?since=yesterday&until=2026-03-01", DAY, ["yesterday", "2026-03-01"]),
        ("/finance/report?until=2026-02-30", DAY, ["2026-02-30"]),
        ("/finance?since=2026-03-10&until=2026-03-01", DAYS_REVERSED, ["2026-03-01"]),
        ("/finance?since=<b>3/10</b>", DAY, ["<b>3/10</b>"]),
        ("/finance?since=9999-12-31&until=9999-12-31", FAR_OFF, ["9999-12-31"]),
        ("/finance/report?since=0001-01-01&until=9999-12-31", FAR_OFF, ["0001-01-01"]),
        ("/reports?report=rate-by-reason&from=2026-03&to=2025-12", MONTHS_REVERSED, ["2025-12"]),
        ("/reports?report=rate-by-month&from=March&channel=web", MONTH, ["March", "web"]),
        ("/reports?from=2015-01&to=2026-01", TOO_LONG, ["2015-01"]),
    ],
)
async def test_a_bad_period_shows_the_form_again_as_typed_with_what_to_fix(
    desk: Desk, path: str, message: str, typed: list[str]
) -> None:
    await desk.as_("fiona")

    status, page = await desk.get(path)

    assert status == 400
    assert f'<p>{html.escape(message, quote=False)} — <strong class="field">' in page or (
        f"<p>{html.escape(message, quote=False)}</p>" in page
    )
    assert '<form method="get"' in page
    assert 'aria-invalid="true"' in page
    for value in typed:
        assert f'value="{html.escape(value)}"' in page


async def test_the_refusal_is_in_the_readers_language(desk: Desk) -> None:
    await desk.as_("fiona")
    await desk.post("/language", {"language": "ru", "next": "/"})

    status, page = await desk.get("/finance/report?since=2026-03-10&until=2026-03-01")

    assert status == 400
    assert "Период заканчивается раньше, чем начинается" in page


async def test_a_good_period_still_shows_its_report(desk: Desk) -> None:
    await desk.as_("fiona")

    report = await desk.get("/finance/report?since=2026-03-01&until=2026-03-10")
    months = await desk.get("/reports?report=rate-by-month&from=2026-01&to=2026-03")

    assert report[0] == months[0] == 200
    assert 'value="2026-03-10"' in report[1]
    assert 'value="2026-03"' in months[1]
    assert "aria-invalid" not in report[1] + months[1]


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31"])
async def test_a_far_off_day_in_the_queue_or_an_export_is_a_bad_request(
    desk: Desk, query: str
) -> None:
    await desk.as_("fiona")

    for path in ("/returns", "/finance/refunds/export.csv"):
        status, _ = await desk.get(f"{path}?{query}")

        assert status == 400, path  # the error page, in the reader's words; it was a 500
