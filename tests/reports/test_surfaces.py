"""The same figures on the page, in its CSV and XLSX exports and from `returndesk report`,
with the same words: in the staff member's language on the page and in its exports, in
English from the command (whose JSON keeps the codes). The page shows its figures in the
staff member's formats (money with its currency, months by name); the exports and the
command keep them plain (12.50, 2026-01) for programs and spreadsheets."""

import asyncio
import csv
import html
import io
import json
import os
import re
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from backoffice.app import create_app
from backoffice.messages import STATUSES
from domain.clock import FakeClock
from models import StaffUser
from returndesk.cli import main
from returndesk.database import connected, migrate
from services.policies import rename_reason_code
from services.reports import STAGES
from tests.backoffice.conftest import _HASH, SECRET_KEY, Desk
from tests.factories import ADMIN
from tests.reports.dataset import build_history

# rate-by-month, December 2025 to March 2026, worked out in tests/reports/test_reports.py
HEADER = ["Month", "Sold units", "Returned units", "Return rate (%)"]
RATES = [
    ["2025-12", "0", "0", ""],
    ["2026-01", "24", "3", "12.50"],
    ["2026-02", "14", "7", "50.00"],
    ["2026-03", "2", "1", "50.00"],
]
# The same on the page, in English formats.
PAGE_RATES = [
    ["Dec 2025", "0", "0", "—"],
    ["Jan 2026", "24", "3", "12.5%"],
    ["Feb 2026", "14", "7", "50%"],
    ["Mar 2026", "2", "1", "50%"],
]
QUERY = "report=rate-by-month&from=2025-12&to=2026-03"
PERIOD = "from=2025-12&to=2026-03"
# Money, trend and stage times over the same months (tests/reports/test_reports.py), as the
# command prints them in CSV: codes as their English words, nothing as an empty cell.
ZERO = "0.00"
MONEY = [
    ["2025-12", ZERO, ZERO, ZERO, ZERO, ZERO, ZERO],
    ["2026-01", "300.00", "300.00", ZERO, "40.00", ZERO, ZERO],
    ["2026-02", "160.00", ZERO, ZERO, ZERO, ZERO, ZERO],
    ["2026-03", ZERO, ZERO, ZERO, ZERO, ZERO, ZERO],
    ["Total", "460.00", "300.00", ZERO, "40.00", ZERO, ZERO],
]
TREND = [
    ["2025-12", "Actual", "0", "0", ""],
    ["2026-01", "Actual", "24", "3", "12.50"],
    ["2026-02", "Actual", "14", "7", "50.00"],
    ["2026-03", "Actual", "2", "1", "50.00"],
    ["2026-04", "Forecast", "", "3.0", "40.63"],
]
# The page reads them on 20 March 2026: March is not over, and not in the forecast.
TREND_ON_20_MARCH = [
    *TREND[:3],
    ["2026-03", "So far (month not over)", "2", "1", "50.00"],
    ["2026-04", "Forecast", "", "5.0", "31.25"],
]
STAGE_TIMES = [
    ["Submitted", "24", "5", "9.6", "30", "1", "20.00"],
    ["Needs information", "", "0", "", "", "", ""],
    ["Approved", "", "2", "56.0", "66", "", ""],
    ["Received", "48", "2", "27.0", "30", "0", "0.00"],
    ["Inspected", "72", "2", "60.0", "96", "1", "50.00"],
    ["Refunded", "", "1", "24.0", "24", "", ""],
    ["Exchanged", "", "0", "", "", "", ""],
]
WORDED = {"money": MONEY, "trend": TREND, "stage-times": STAGE_TIMES}
ON_THE_PAGE = {**WORDED, "trend": TREND_ON_20_MARCH}
# The words of those tables, and a column label of each, in Chinese and in Russian.
WORDS = {
    "zh_Hans": {
        "Total": "合计",
        "Actual": "实际",
        "So far (month not over)": "截至目前（本月未结束）",
        "Forecast": "预测",
        "Submitted": "已提交",
        "Needs information": "待补充信息",
        "Approved": "已批准",
        "Received": "已收货",
        "Inspected": "已质检",
        "Refunded": "已退款",
        "Exchanged": "已换货",
        "Month": "月份",
        "Actual or forecast": "实际或预测",
        "Stage": "阶段",
    },
    "ru": {
        "Total": "Итого",
        "Actual": "Факт",
        "So far (month not over)": "Пока (месяц не закончен)",
        "Forecast": "Прогноз",
        "Submitted": "Подано",
        "Needs information": "Нужна информация",
        "Approved": "Одобрено",
        "Received": "Получено",
        "Inspected": "Осмотрено",
        "Refunded": "Деньги возвращены",
        "Exchanged": "Обменено",
        "Month": "Месяц",
        "Actual or forecast": "Факт или прогноз",
        "Stage": "Этап",
    },
}
CODES = {"total", "actual", "forecast", *STATUSES}


@pytest.fixture
def db_kind():
    return "sqlite"


@pytest.fixture
async def desk(db):
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    history = await build_history(clock)
    staff = {
        "rita": (["reviewer"], "en"),
        "wang": (["warehouse"], "en"),
        "mei": (["reviewer"], "zh_Hans"),
        "olga": (["finance"], "ru"),
    }
    for username, (roles, language) in staff.items():
        await StaffUser.create(
            username=username, password_hash=_HASH, roles=roles, language=language
        )
    async with served(clock) as desk:
        desk.history = history
        yield desk


@asynccontextmanager
async def served(clock: FakeClock) -> AsyncIterator[Desk]:
    """The back-office on 20 March 2026, the day the known history is read."""
    clock.set(datetime(2026, 3, 20, 4, 0, tzinfo=UTC))
    app = create_app(secret_key=SECRET_KEY, clock=clock, zone=ZoneInfo("Asia/Shanghai"))
    async with TestClient(TestServer(app)) as client:
        yield Desk(client)


def in_words(rows, language):
    """Rows as the page shows them in ``language``: words translated, nothing as a dash."""
    return [[WORDS[language].get(cell, cell) or "—" for cell in row] for row in rows]


def table_header(page):
    head = page.split('<table class="report-table">', 1)[1].split("</thead>", 1)[0]
    return [html.unescape(label) for label in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", head)]


def table_cells(page):
    body = page.split('<table class="report-table">', 1)[1].split("</table>", 1)[0]
    body = body.split("<tbody>", 1)[1]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell).strip())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_the_page_shows_the_figures_with_a_chart_and_the_exports_match(desk):
    await desk.as_("rita")
    status, page = await desk.get(f"/reports?{QUERY}")
    assert status == 200
    assert table_cells(page) == PAGE_RATES
    assert "<svg" in page
    assert "<script" not in page
    assert page.count("<rect") == 3  # December sold nothing: no bar

    response = await desk.client.get(f"/reports/export?{QUERY}&format=csv")
    text = await response.text()
    assert response.status == 200
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [HEADER, *RATES]

    response = await desk.client.get(f"/reports/export?{QUERY}&format=xlsx")
    with zipfile.ZipFile(io.BytesIO(await response.read())) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    numbers = re.findall(r'<c r="([B-D][2-5])"[^>]*?(?:/>|><v>([^<]*)</v>)', sheet)
    assert dict(numbers) == {
        "B2": "0", "C2": "0", "B3": "24", "C3": "3", "D3": "12.5",
        "B4": "14", "C4": "7", "D4": "50", "B5": "2", "C5": "1", "D5": "50",
    }  # fmt: skip


async def test_the_page_filters_by_channel_and_shows_its_findings(desk):
    await desk.as_("rita")
    _status, page = await desk.get(f"/reports?{QUERY}&channel=telegram")
    assert table_cells(page)[2] == ["Feb 2026", "5", "5", "100%"]
    # on telegram, review took over 24 h for R3 of R3 and R5
    assert "took longer than its SLA of 24 hours (1 of 2)" in page
    _status, page = await desk.get(f"/reports?{QUERY}")
    assert "TEE-2 (Product TEE-2) is returned at 75%" in page
    assert "/reports?report=problem-products&amp;from=2025-12&amp;to=2026-03" in page


async def test_the_dashboard_lists_findings_linked_to_their_reports(desk):
    await desk.as_("rita")
    _status, page = await desk.get("/")
    # the last three months: January to March 2026
    assert "took longer than its SLA of 24 hours (1 of 5)" in page
    assert "/reports?report=stage-times&amp;from=2026-01&amp;to=2026-03" in page


async def test_the_warehouse_may_not_open_reports(desk):
    await desk.as_("wang")
    status, _page = await desk.get(f"/reports?{QUERY}")
    assert status == 403
    _status, page = await desk.get("/")
    assert "What to look at first" not in page


@pytest.mark.parametrize(("username", "language"), [("mei", "zh_Hans"), ("olga", "ru")])
async def test_the_page_words_totals_forecasts_and_stages_in_the_staff_members_language(
    desk, username, language
):
    await desk.as_(username)
    for name, rows in ON_THE_PAGE.items():
        _status, page = await desk.get(f"/reports?report={name}&{PERIOD}")
        cells = table_cells(page)
        worded = in_words(rows, language)
        # the codes' columns (months are named in the page's locale: see below)
        column = {"money": 0, "trend": 1, "stage-times": 0}[name]
        codes = [row[column] for row in worded if not row[column][:1].isdigit()]
        assert [row[column] for row in cells][-len(codes) :] == codes, name
        assert not CODES & {cell for row in cells for cell in row}, name
    words = WORDS[language]
    _status, page = await desk.get(f"/reports?report=trend&{PERIOD}")
    assert table_header(page)[:2] == [words["Month"], words["Actual or forecast"]]
    _status, page = await desk.get(f"/reports?report=stage-times&{PERIOD}")
    assert table_header(page)[0] == words["Stage"]


# TEE-2 is returned at 75.00 %, its category at 33.33 %; on the dashboard 1 of 5 requests
# (20.00 %) overstayed review.
FINDING_PERCENTS = {
    "mei": ("75%", "33.33%", "（20%）"),
    "olga": ("75\xa0%", "33,33\xa0%", "(20\xa0%)"),
}


@pytest.mark.parametrize("username", ["mei", "olga"])
async def test_findings_show_percentages_in_the_staff_members_format(desk, username):
    product, category, share = FINDING_PERCENTS[username]
    await desk.as_(username)
    _status, reports = await desk.get(f"/reports?{QUERY}")
    _status, dashboard = await desk.get("/")
    found = html.unescape(reports.split('class="findings"', 1)[1].split("</section>", 1)[0])
    board = html.unescape(dashboard.split('class="findings"', 1)[1].split("</section>", 1)[0])
    assert product in found
    assert category in found
    assert share in board
    assert ".00" not in found + board


def chart_labels(page):
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.parametrize(("username", "language"), [("mei", "zh_Hans"), ("olga", "ru")])
async def test_the_charts_name_their_bars_in_the_staff_members_words_without_the_total(
    desk, username, language
):
    await desk.as_(username)
    words = WORDS[language]
    _status, page = await desk.get(f"/reports?report=stage-times&{PERIOD}")
    assert {words["Submitted"], words["Approved"], words["Inspected"]} <= set(chart_labels(page))
    assert not CODES & set(chart_labels(page))
    _status, page = await desk.get(f"/reports?report=money&{PERIOD}")
    labels = chart_labels(page)[2:]  # after the scale's top and zero
    assert labels == [row[0] for row in table_cells(page)[:-1]]
    assert len(labels) == 4
    assert words["Total"] not in labels
    assert "total" not in labels


# January 2026 as Olga (Russian) and Mei (Chinese) read it on the page: the money report's
# row, the trend's forecast note, the survey note (one answer: the singular form).
LOCAL_FIGURES = {
    "olga": {
        "money": ["янв. 2026\u202fг.", "300,00\xa0CN¥", "300,00\xa0CN¥", "0,00\xa0CN¥",
                  "40,00\xa0CN¥", "0,00\xa0CN¥", "0,00\xa0CN¥"],
        "trend": ["янв. 2026\u202fг.", "Факт", "24", "3", "12,5\xa0%"],
        "stage": ["Подано", "24", "5", "9,6", "30", "1", "20\xa0%"],
        "month": "апр. 2026\u202fг.",
        "alpha": "α = 0,5",
        "survey": "Средняя оценка 4 по 1 ответу.",
        "plain": r"\d{4}-\d\d|\d\.\d",  # no ISO month, no decimal point
    },
    "mei": {
        "money": ["2026年1月", "¥300.00", "¥300.00", "¥0.00", "¥40.00", "¥0.00", "¥0.00"],
        "trend": ["2026年1月", "实际", "24", "3", "12.5%"],
        "stage": ["已提交", "24", "5", "9.6", "30", "1", "20%"],
        "month": "2026年4月",
        "alpha": "α = 0.5",
        "survey": "平均评分 4，共 1 个回答。",
        "plain": r"\d{4}-\d\d",
    },
}  # fmt: skip


def notes(page):
    return [html.unescape(note) for note in re.findall(r'<p class="meta">(.*?)</p>', page)]


@pytest.mark.parametrize("username", ["olga", "mei"])
async def test_the_page_shows_its_figures_in_the_staff_members_formats(desk, username):
    expected = LOCAL_FIGURES[username]
    await desk.as_(username)
    _status, page = await desk.get(f"/reports?report=money&{PERIOD}")
    assert table_cells(page)[1] == expected["money"]
    assert expected["money"][0] in chart_labels(page)
    assert f"{expected['money'][0]}: {expected['money'][2]}" in html.unescape(page)  # a tooltip
    _status, page = await desk.get(f"/reports?report=trend&{PERIOD}")
    assert table_cells(page)[1] == expected["trend"]
    assert notes(page)[0].startswith(expected["month"])
    assert expected["alpha"] in notes(page)[0]
    shown = [*(c for row in table_cells(page) for c in row), *notes(page), *chart_labels(page)]
    assert not [text for text in shown if re.search(expected["plain"], text)]
    _status, page = await desk.get(f"/reports?report=stage-times&{PERIOD}")
    assert table_cells(page)[0] == expected["stage"]
    _status, page = await desk.get(f"/reports?report=surveys&{PERIOD}")
    assert notes(page) == [expected["survey"]]


async def test_the_page_words_a_survey_note_with_the_plural_of_its_count(desk):
    await desk.as_("rita")
    _status, page = await desk.get(f"/reports?report=surveys&{PERIOD}")
    assert notes(page) == ["Mean score 4 from 1 answer."]


@pytest.mark.parametrize(("username", "language"), [("mei", "zh_Hans"), ("olga", "ru")])
async def test_the_page_exports_have_the_pages_words_and_plain_figures(desk, username, language):
    await desk.as_(username)
    for name, rows in ON_THE_PAGE.items():
        query = f"report={name}&{PERIOD}"
        _status, page = await desk.get(f"/reports?{query}")
        response = await desk.client.get(f"/reports/export?{query}&format=csv")
        header, *body = csv.reader(io.StringIO((await response.text())[1:]))
        assert header == table_header(page), name
        # the page's words, the figures plain
        assert [[cell or "—" for cell in row] for row in body] == in_words(rows, language), name
    response = await desk.client.get(f"/reports/export?report=money&{PERIOD}&format=xlsx")
    with zipfile.ZipFile(io.BytesIO(await response.read())) as book:
        words = book.read("xl/sharedStrings.xml").decode()
    assert f"<t>{WORDS[language]['Total']}</t>" in words
    assert "<t>total</t>" not in words


def test_stages_are_named_as_the_back_office_names_statuses():
    assert all(STATUSES[stage] == name for stage, name, _sla in STAGES)


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Click's runner of `returndesk` commands, on a database holding the test history."""
    url = f"sqlite://{tmp_path / 'desk.sqlite3'}"

    async def build():
        await migrate(url)
        async with connected(url):
            await build_history(FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))

    asyncio.run(build())
    monkeypatch.setenv("RETURNDESK_DATABASE_URL", url)
    return CliRunner().invoke


def test_the_command_words_codes_in_english_and_its_json_keeps_them(run):
    for name, rows in WORDED.items():
        printed = run(
            main, ["report", name, "--from", "2025-12", "--to", "2026-03", "--format", "csv"]
        )
        assert list(csv.reader(io.StringIO(printed.output)))[1:] == rows, name
    table = run(main, ["report", "money", "--from", "2025-12", "--to", "2026-03"]).output
    assert table.splitlines()[-2].split()[0] == "Total"
    trend = run(
        main, ["report", "trend", "--from", "2025-12", "--to", "2026-03", "--format", "json"]
    )
    assert [r["kind"] for r in json.loads(trend.output)["rows"]] == ["actual"] * 4 + ["forecast"]


def test_the_commands_json_keeps_reason_codes_however_reasons_are_labelled(run):
    async def label():
        async with connected(os.environ["RETURNDESK_DATABASE_URL"]):
            await rename_reason_code("quality_defect", {"en": "Faulty item"}, actor=ADMIN)

    asyncio.run(label())
    printed = run(
        main,
        ["report", "rate-by-reason", "--from", "2025-12", "--to", "2026-03", "--format", "json"],
    )
    assert [r["reason"] for r in json.loads(printed.output)["rows"]] == [
        "quality_defect",
        "wrong_item",
        "damaged_in_transit",
        "not_as_described",
    ]


def test_the_command_prints_the_same_figures(run):
    as_csv = run(
        main,
        ["report", "rate-by-month", "--from", "2025-12", "--to", "2026-03-31", "--format", "csv"],
    )
    assert as_csv.exit_code == 0, as_csv.output
    assert list(csv.reader(io.StringIO(as_csv.output))) == [HEADER, *RATES]

    as_json = json.loads(
        run(
            main,
            [
                "report",
                "rate-by-month",
                "--from",
                "2025-12-01",
                "--to",
                "2026-03",
                "--format",
                "json",
            ],
        ).output
    )
    assert [[r["month"], r["sold"], r["returned"], r["rate"]] for r in as_json["rows"]] == [
        ["2025-12", 0, 0, None],
        ["2026-01", 24, 3, "12.50"],
        ["2026-02", 14, 7, "50.00"],
        ["2026-03", 2, 1, "50.00"],
    ]

    table = run(main, ["report", "rate-by-month", "--from", "2025-12", "--to", "2026-03"]).output
    assert "2026-01          24               3            12.50" in table

    bad = run(main, ["report", "rate-by-month", "--from", "2026-03", "--to", "2025-12"])
    assert bad.exit_code == 2


async def test_the_trend_page_marks_the_month_not_over_and_charts_only_whole_months(desk):
    await desk.as_("rita")
    _status, page = await desk.get(f"/reports?report=trend&{PERIOD}")
    assert table_cells(page)[3] == ["Mar 2026", "So far (month not over)", "2", "1", "50%"]
    assert table_cells(page)[4] == ["Apr 2026", "Forecast", "—", "5", "31.25%"]
    assert "Mar 2026 is not over yet" in " ".join(notes(page))
    # January, February and the forecast; December sold nothing, March is not over
    assert page.count("<circle") == 3


def test_the_commands_forecast_does_not_depend_on_the_first_month(run):
    forecasts = {
        run(
            main, ["report", "trend", "--from", since, "--to", "2026-03", "--format", "csv"]
        ).output.splitlines()[-1]
        for since in ("2025-06", "2025-12", "2026-02")
    }
    assert forecasts == {"2026-04,Forecast,,3.0,40.63"}
