"""CSV and XLSX exports of the queue, the stock levels and the refunds."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from models import Customer
from services.refunds import refund_return
from tests.backoffice.conftest import Desk
from tests.factories import FINANCE, Shop, open_return
from tests.services.test_returns import inspected


def rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def sheet(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()


async def test_queue_csv_has_a_header_and_the_filtered_rows(desk: Desk, shop: Shop) -> None:
    submitted = await open_return(shop)
    refunded = await inspected(shop, {"MUG-1": 1})
    await desk.as_("rita")

    response = await desk.client.get("/returns/export.csv?status=submitted")
    table = rows(await response.text())

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="returns.csv"' in response.headers["Content-Disposition"]
    assert table[0][:4] == ["RMA", "Status", "Type", "Reason"]
    assert table[1][1:4] == ["Submitted", "Refund", "Quality defect"]
    assert [r[0] for r in table[1:]] == [submitted.number]
    assert refunded.number not in await response.text()


async def test_queue_csv_streams_every_page(desk: Desk, shop: Shop) -> None:
    numbers = {(await open_return(shop, {"MUG-1": 1}, reason="other")).number for _ in range(3)}
    await desk.as_("wang")

    text = await (await desk.client.get("/returns/export.csv?reason=other")).text()

    assert {r[0] for r in rows(text)[1:]} == numbers


async def test_customer_text_never_becomes_a_spreadsheet_formula(desk: Desk, shop: Shop) -> None:
    await Customer.filter(id=shop.customer.id).update(name="=HYPERLINK(1)")
    await open_return(shop)
    await desk.as_("rita")

    text = await (await desk.client.get("/returns/export.csv")).text()
    xlsx = await (await desk.client.get("/returns/export.xlsx")).read()

    assert rows(text)[1][4] == "'=HYPERLINK(1)"
    assert "<f>" not in sheet(xlsx)
    assert "=HYPERLINK(1)" in sheet(xlsx)


async def test_queue_xlsx_holds_the_rows(desk: Desk, shop: Shop) -> None:
    r = await open_return(shop)
    await desk.as_("fiona")

    response = await desk.client.get("/returns/export.xlsx")

    assert response.status == 200
    assert response.headers["Content-Type"].endswith("spreadsheetml.sheet")
    assert r.number in sheet(await response.read())


async def test_inventory_exports_every_product(desk: Desk, shop: Shop) -> None:
    await desk.as_("wang")

    text = await (await desk.client.get("/inventory/export.csv")).text()
    xlsx = await (await desk.client.get("/inventory/export.xlsx")).read()

    table = rows(text)
    assert table[0][:4] == ["SKU", "Name", "Category", "Sellable"]
    assert {r[0] for r in table[1:]} == {"TEE-1", "TEE-2", "CAP-1", "MUG-1", "SOAP-1"}
    assert "SOAP-1" in sheet(xlsx)


async def test_refunds_export_respects_the_dates(desk: Desk, shop: Shop) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, reference="PAY-9")
    await desk.as_("fiona")

    text = await (await desk.client.get("/finance/refunds/export.csv")).text()
    later = await (await desk.client.get("/finance/refunds/export.csv?since=2030-01-01")).text()
    xlsx = await (await desk.client.get("/finance/refunds/export.xlsx")).read()

    assert rows(text)[1][1:6] == [r.number, "Refund", "Li Lei", "100.00", "Original payment method"]
    assert len(rows(later)) == 1
    assert "<v>100.00</v>" in sheet(xlsx)


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("rita", "/inventory/export.csv"),
        ("fiona", "/inventory/export.xlsx"),
        ("wang", "/finance/refunds/export.csv"),
        ("rita", "/finance/refunds/export.xlsx"),
    ],
)
async def test_exports_follow_the_page_roles(
    desk: Desk, shop: Shop, username: str, path: str
) -> None:
    await desk.as_(username)
    assert (await desk.get(path))[0] == 403
