"""Inventory: levels per location, low stock first, a product's movements, scrapping."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest

from domain.stock import Location
from models import AuditEntry, StaffUser, StockLevel
from services.imports import upsert_products
from services.inventory import list_movements, list_stock_levels
from tests.backoffice.conftest import Desk
from tests.factories import ADMIN, Shop
from tests.security.conftest import everything
from tests.services.test_inventory import two_defective_mugs
from tests.services.test_returns import assert_books_true, received

BOTH_DATABASES = pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)


async def make_cap_low(shop: Shop) -> None:
    row = {"sku": "CAP-1", "name": "Cap", "category": "apparel", "price": "60", "cost": "20"}
    row |= {"stock": "1", "low_stock_threshold": "3", "returnable": "true"}
    await upsert_products([(2, row)], actor=ADMIN, clock=shop.clock)


async def test_inventory_lists_low_stock_first_with_every_location(desk: Desk, shop: Shop) -> None:
    await make_cap_low(shop)
    await received(shop, {"TEE-1": 2})
    await desk.as_("wang")

    status, page = await desk.get("/inventory")

    assert status == 200
    assert page.index("CAP-1") < page.index("MUG-1") < page.index("TEE-1")
    assert 'class="low"' in page
    levels = {row.sku: row for row in (await list_stock_levels()).rows}
    assert (levels["TEE-1"].sellable, levels["TEE-1"].quarantine) == (20, 2)
    assert levels["CAP-1"].low
    assert not levels["MUG-1"].low


@BOTH_DATABASES
async def test_inventory_search_and_paging(shop: Shop) -> None:
    first = await list_stock_levels(size=2)
    second = await list_stock_levels(offset=first.next_offset or 0, size=2)
    found = await list_stock_levels("mug")

    assert len(first.rows) == 2
    assert first.next_offset == 2
    assert not {r.sku for r in first.rows} & {r.sku for r in second.rows}
    assert [r.sku for r in found.rows] == ["MUG-1"]


async def test_product_page_shows_its_movements_newest_first(desk: Desk, shop: Shop) -> None:
    r = await received(shop, {"TEE-1": 1})
    await desk.as_("wang")

    status, page = await desk.get(f"/inventory/{shop.products['TEE-1'].id}")

    assert status == 200
    assert page.index("Received from a customer") < page.index("Stock in")
    assert r.number in page


async def test_movements_of_one_moment_are_paged_newest_id_first(shop: Shop) -> None:
    await make_cap_low(shop)
    cap = shop.products["CAP-1"].id
    first = await list_movements(cap, size=1)
    rest = await list_movements(cap, before=first.next_cursor, size=1)

    assert [m.kind for m in first.rows] == ["stock_out"]
    assert [m.kind for m in rest.rows] == ["stock_in"]
    assert rest.next_cursor is None


async def movements_out_of_order(shop: Shop) -> list[int]:
    """CAP-1's stock set at times that do not follow the movements' ids (two share a
    moment); the movements' quantities newest first, the later id first among equal times."""
    start = shop.clock.now()
    for offset, stock in ((1, 10), (-10, 5), (5, 12), (-10, 9), (2, 11)):
        shop.clock.set(start + timedelta(days=offset))
        row = {"sku": "CAP-1", "name": "Cap", "category": "apparel", "price": "60", "cost": "20"}
        row |= {"stock": str(stock), "low_stock_threshold": "3", "returnable": "true"}
        await upsert_products([(2, row)], actor=ADMIN, clock=shop.clock)
    shop.clock.set(start)
    return [7, 2, 6, 4, 3, 5]  # +5 d, +2 d, +1 d, the shop's stock at start, -10 d twice


@BOTH_DATABASES
async def test_movements_are_listed_and_paged_newest_first_by_time_not_by_id(shop: Shop) -> None:
    newest_first = await movements_out_of_order(shop)
    cap = shop.products["CAP-1"].id
    seen, cursor = [], None
    for _ in range(3):
        page = await list_movements(cap, before=cursor, size=2)
        seen += [m.quantity for m in page.rows]
        cursor = page.next_cursor
    assert seen == newest_first
    assert cursor is None


async def test_the_product_page_walks_its_movements_through_older_pages(
    desk: Desk, shop: Shop
) -> None:
    await movements_out_of_order(shop)
    cap = shop.products["CAP-1"].id
    await desk.as_("wang")
    first = await list_movements(cap, size=2)

    status, page = await desk.get(f"/inventory/{cap}?before={quote(first.next_cursor or '')}")

    assert status == 200
    assert (await desk.get(f"/inventory/{cap}?before=7"))[0] == 400
    shown = re.findall(r"<tr><td>[^<]*</td><td>[\w ]+</td><td>(\d+)</td>", page)
    assert shown[:2] == ["6", "4"]


@pytest.mark.parametrize("path", ["/inventory/999999", "/inventory/abc"])
async def test_unknown_product_is_not_found(desk: Desk, path: str) -> None:
    await desk.as_("wang")
    assert (await desk.get(path))[0] == 404


@pytest.mark.parametrize("username", ["rita", "fiona"])
async def test_inventory_is_forbidden_to_other_roles(desk: Desk, shop: Shop, username: str) -> None:
    await desk.as_(username)
    assert (await desk.get("/inventory"))[0] == 403
    assert (await desk.get(f"/inventory/{shop.products['TEE-1'].id}"))[0] == 403


async def test_menu_shows_inventory_to_warehouse_only(desk: Desk) -> None:
    await desk.as_("wang")
    _, page = await desk.get("/")
    assert 'href="/inventory"' in page
    assert 'href="/finance"' not in page


# --- scrapping defective units ------------------------------------------------------------


async def defective_mugs_left() -> int:
    level = await StockLevel.get(product__sku="MUG-1", location=Location.DEFECTIVE)
    return level.quantity


@BOTH_DATABASES
async def test_warehouse_scraps_defective_units_from_the_product_page(
    desk: Desk, shop: Shop
) -> None:
    mug = await two_defective_mugs(shop)
    page = f"/inventory/{mug}"
    await desk.as_("wang")
    assert f'action="{page}/scrap"' in (await desk.get(page))[1]

    status, shown = await desk.post(
        f"{page}/scrap", {"quantity": "2", "note": "Cracked, cannot be sold"}, page=page
    )

    assert status == 200
    assert "Done." in shown
    assert "<td>Scrapped</td>" in shown
    assert f'action="{page}/scrap"' not in shown  # nothing defective is left to scrap
    assert await defective_mugs_left() == 0
    entry = await AuditEntry.get()
    assert (entry.actor, entry.action, entry.subject) == ("staff:wang", "scrap_stock", "MUG-1")
    await assert_books_true()
    await desk.as_("admin")
    _, audit = await desk.get("/audit?who=wang&action=scrap_stock")
    assert "defective units scrapped" in audit
    assert f'<a href="{page}">MUG-1</a> × 2' in audit
    assert "Cracked, cannot be sold" in audit


@BOTH_DATABASES
@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"quantity": "3", "note": "Broken"}, "There are not that many defective units to scrap."),
        ({"quantity": "0", "note": "Broken"}, "A quantity is not valid."),
        ({"quantity": "-1", "note": "Broken"}, "A quantity is not valid."),
        ({"quantity": "two", "note": "Broken"}, "A quantity is not valid."),
        ({"quantity": "1", "note": " "}, "Please write a text."),
    ],
    ids=["more-than-held", "zero", "negative", "not-a-number", "no-note"],
)
async def test_a_bad_scrap_is_refused_on_the_page_and_changes_nothing(
    desk: Desk, shop: Shop, form: dict[str, str], words: str
) -> None:
    mug = await two_defective_mugs(shop)
    page = f"/inventory/{mug}"
    await desk.as_("wang")
    before = await everything()

    status, shown = await desk.post(f"{page}/scrap", form, page=page)

    assert status == 400
    assert words in shown
    assert f'value="{form["quantity"]}"' in shown  # the form keeps what was entered
    assert await everything() == before


async def test_the_refusal_is_in_the_staff_members_language(desk: Desk, shop: Shop) -> None:
    mug = await two_defective_mugs(shop)
    await StaffUser.filter(username="wang").update(language="ru")
    page = f"/inventory/{mug}"
    await desk.as_("wang")

    status, shown = await desk.post(f"{page}/scrap", {"quantity": "5", "note": "x"}, page=page)

    assert status == 400
    assert "Столько бракованных единиц для утилизации нет." in shown
    assert "Бракованных единиц на складе: <code>2</code>" in shown
    assert await defective_mugs_left() == 2


@pytest.mark.parametrize("username", ["rita", "fiona"])
async def test_other_roles_cannot_scrap(desk: Desk, shop: Shop, username: str) -> None:
    mug = await two_defective_mugs(shop)
    await desk.as_(username)
    before = await everything()

    status, _ = await desk.post(f"/inventory/{mug}/scrap", {"quantity": "1", "note": "Broken"})

    assert status == 403
    assert await everything() == before


async def test_scrapping_an_unknown_product_is_not_found(desk: Desk, shop: Shop) -> None:
    await desk.as_("wang")
    status, _ = await desk.post("/inventory/987654/scrap", {"quantity": "1", "note": "Broken"})
    assert status == 404
