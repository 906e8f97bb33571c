"""Inventory: levels per location, low stock first, a product's movements."""

from __future__ import annotations

import pytest

from services.imports import upsert_products
from services.inventory import list_movements, list_stock_levels
from tests.backoffice.conftest import Desk
from tests.factories import ADMIN, Shop
from tests.services.test_returns import received


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


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
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
    assert page.index("receive") < page.index("stock_in")
    assert r.number in page


async def test_movements_are_paged_by_id(shop: Shop) -> None:
    await make_cap_low(shop)
    cap = shop.products["CAP-1"].id
    first = await list_movements(cap, size=1)
    rest = await list_movements(cap, before=first.next_cursor, size=1)

    assert [m.kind for m in first.rows] == ["stock_out"]
    assert [m.kind for m in rest.rows] == ["stock_in"]
    assert rest.next_cursor is None


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
