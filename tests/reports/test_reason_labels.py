"""Reasons in the reports (the known history, tests/reports/dataset.py): on the page, in its
chart, its findings and its CSV/XLSX exports by their label in the staff member's language;
else, for a built-in reason, its name in the back-office catalog; else the English label, else
the code; a label is text, never markup."""

import csv
import html
import io
import re
import zipfile
from datetime import UTC, datetime

import pytest
from markupsafe import escape

from domain.clock import FakeClock
from models import StaffUser
from services.policies import rename_reason_code
from tests.backoffice.conftest import _HASH
from tests.factories import ADMIN
from tests.reports.dataset import build_history
from tests.reports.test_surfaces import chart_labels, served, table_cells

HOSTILE = "<script>alert('label')</script>"
LABELS = {
    "quality_defect": {"en": "Faulty item", "zh_Hans": "质量问题", "ru": "Брак"},
    "wrong_item": {"en": HOSTILE},
    "damaged_in_transit": {"en": "Damaged in transit", "ru": "Повреждён в пути"},
}
# rate-by-reason, December 2025 to March 2026 (tests/reports/test_reports.py), as each reads it
REASONS = {
    "en": ["Faulty item", HOSTILE, "Damaged in transit", "Not as described"],
    "zh_Hans": ["质量问题", "发错商品", "运输途中损坏", "与描述不符"],
    "ru": ["Брак", "Прислан не тот товар", "Повреждён в пути", "Не соответствует описанию"],
}
STAFF = {"en": "rita", "zh_Hans": "mei", "ru": "olga"}
PERIOD = "from=2025-12&to=2026-03"


@pytest.fixture
async def desk(db):
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    await build_history(clock)
    for code, labels in LABELS.items():
        await rename_reason_code(code, labels, actor=ADMIN)
    for language, username in STAFF.items():
        await StaffUser.create(
            username=username, password_hash=_HASH, roles=["reviewer"], language=language
        )
    async with served(clock) as desk:
        yield desk


@pytest.mark.parametrize("language", ["en", "zh_Hans", "ru"])
async def test_the_reasons_report_names_reasons_in_the_staff_members_language(desk, language):
    await desk.as_(STAFF[language])
    names = REASONS[language]

    _status, page = await desk.get(f"/reports?report=rate-by-reason&{PERIOD}")

    assert [row[0] for row in table_cells(page)] == names
    assert [label for label in chart_labels(page) if not label[0].isdigit()] == [
        name[:18] for name in names
    ]
    assert "<script" not in page
    _status, page = await desk.get(f"/reports?report=problem-products&{PERIOD}")
    assert table_cells(page)[0][7] == names[0]  # TEE-2's main reason: quality_defect


@pytest.mark.parametrize("language", ["en", "zh_Hans", "ru"])
async def test_the_reasons_report_exports_name_reasons_as_the_page_does(desk, language):
    await desk.as_(STAFF[language])
    query = f"report=rate-by-reason&{PERIOD}"

    response = await desk.client.get(f"/reports/export?{query}&format=csv")
    _header, *rows = csv.reader(io.StringIO((await response.text())[1:]))
    response = await desk.client.get(f"/reports/export?{query}&format=xlsx")
    with zipfile.ZipFile(io.BytesIO(await response.read())) as book:
        strings = book.read("xl/sharedStrings.xml").decode()

    assert [row[0] for row in rows] == REASONS[language]
    texts = {html.unescape(t) for t in re.findall(r"<t[^>]*>([^<]*)</t>", strings)}
    assert set(REASONS[language]) <= texts
    assert not {"quality_defect", "wrong_item"} & texts


async def test_a_finding_names_its_reason_by_its_label_as_text(desk):
    await desk.as_("rita")

    # January to February: wrong_item grew from 0 to 2 units (tests/reports/test_reports.py)
    _status, page = await desk.get("/reports?report=rate-by-reason&from=2026-01&to=2026-02")

    assert f"“{escape(HOSTILE)}”" in page
    assert "wrong_item" not in page
    assert "<script" not in page
