"""The same figures on the page, in its CSV and XLSX exports and from `returndesk report`."""

import asyncio
import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from backoffice.app import create_app
from domain.clock import FakeClock
from models import StaffUser
from returndesk.cli import main
from returndesk.database import connected, migrate
from services import staff as staff_service
from tests.backoffice.conftest import _HASH, QUICK, SECRET_KEY, Desk
from tests.reports.dataset import build_history

# rate-by-month, December 2025 to March 2026, worked out in tests/reports/test_reports.py
HEADER = ["Month", "Sold units", "Returned units", "Return rate (%)"]
RATES = [
    ["2025-12", "0", "0", ""],
    ["2026-01", "24", "3", "12.50"],
    ["2026-02", "14", "7", "50.00"],
    ["2026-03", "2", "1", "50.00"],
]
QUERY = "report=rate-by-month&from=2025-12&to=2026-03"


@pytest.fixture
def db_kind():
    return "sqlite"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(staff_service, "_hasher", QUICK)


@pytest.fixture
async def desk(db):
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    history = await build_history(clock)
    for username, roles in {"rita": ["reviewer"], "wang": ["warehouse"]}.items():
        await StaffUser.create(username=username, password_hash=_HASH, roles=roles)
    clock.set(datetime(2026, 3, 20, 4, 0, tzinfo=UTC))
    app = create_app(secret_key=SECRET_KEY, clock=clock, zone=ZoneInfo("Asia/Shanghai"))
    async with TestClient(TestServer(app)) as client:
        desk = Desk(client)
        desk.history = history
        yield desk


def table_cells(page):
    body = page.split('<table class="report-table">', 1)[1].split("</table>", 1)[0]
    body = body.split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_the_page_shows_the_figures_with_a_chart_and_the_exports_match(desk):
    await desk.as_("rita")
    status, page = await desk.get(f"/reports?{QUERY}")
    assert status == 200
    assert table_cells(page) == [[c or "—" for c in row] for row in RATES]
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
    assert table_cells(page)[2] == ["2026-02", "5", "5", "100.00"]
    # on telegram, review took over 24 h for R3 of R3 and R5
    assert "took longer than its SLA of 24 hours (1 of 2)" in page
    _status, page = await desk.get(f"/reports?{QUERY}")
    assert "TEE-2 (Product TEE-2) is returned at 75.00%" in page
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


def test_the_command_prints_the_same_figures(tmp_path, monkeypatch):
    url = f"sqlite://{tmp_path / 'desk.sqlite3'}"

    async def build():
        await migrate(url)
        async with connected(url):
            await build_history(FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))

    asyncio.run(build())
    monkeypatch.setenv("RETURNDESK_DATABASE_URL", url)
    run = CliRunner().invoke

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
