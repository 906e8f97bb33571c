"""Scrapping defective stock (SPEC §3), on SQLite and PostgreSQL.

The factory's MUG-1 costs 30.00; three are returned and graded one A and two B, so two are
held as defective (written off at cost by the inspection) when a test starts scrapping.
"""

from __future__ import annotations

import pytest

from domain.clock import FakeClock
from domain.errors import DomainError, InsufficientStock, NotFound, PermissionDenied
from domain.returns import Actor
from domain.stock import Location
from models import AuditEntry, JournalLine, StockMovement
from services.inventory import scrap_defective
from services.warehouse import Grades, inspect_return
from tests.factories import ADMIN, FINANCE, REVIEWER, WAREHOUSE, Shop, build_shop
from tests.security.conftest import everything
from tests.services.test_returns import assert_books_true, levels, only_line, received


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    return await build_shop(clock)


async def two_defective_mugs(shop: Shop) -> int:
    r = await received(shop, {"MUG-1": 3})
    line = await only_line(r.id)
    grades = {line.id: Grades(resellable=1, defective=2)}
    await inspect_return(r.id, grades, actor=WAREHOUSE, clock=shop.clock)
    return shop.products["MUG-1"].id


@pytest.mark.parametrize("actor", [WAREHOUSE, ADMIN], ids=["warehouse", "admin"])
async def test_scrapping_takes_units_out_of_defective_with_a_movement_and_an_audit_entry(
    shop: Shop, actor: Actor
) -> None:
    mug = await two_defective_mugs(shop)
    journal = await JournalLine.all().count()

    row = await scrap_defective(mug, 1, "  Cracked handle  ", actor=actor, clock=shop.clock)

    assert (row.defective, row.sellable) == (1, 11)
    assert (await levels(shop, "MUG-1"))[Location.DEFECTIVE] == 1
    movement = await StockMovement.filter(product_id=mug).order_by("-id").first()
    assert movement is not None
    assert (movement.kind, movement.source, movement.target, movement.quantity) == (
        "scrap",
        Location.DEFECTIVE,
        None,
        1,
    )
    assert (movement.actor, movement.return_request_id) == (actor.label, None)
    assert movement.created_at == shop.clock.now()
    entry = await AuditEntry.get()
    assert (entry.actor, entry.action, entry.subject, entry.note) == (
        actor.label,
        "scrap_stock",
        "MUG-1",
        "Cracked handle",
    )
    assert entry.details == {"product_id": mug, "quantity": 1}
    assert entry.created_at == shop.clock.now()
    assert await JournalLine.all().count() == journal  # written off at inspection already
    await assert_books_true()


async def test_every_defective_unit_can_be_scrapped_but_no_more(shop: Shop) -> None:
    mug = await two_defective_mugs(shop)

    await scrap_defective(mug, 2, "Broken in transit", actor=WAREHOUSE, clock=shop.clock)

    assert (await levels(shop, "MUG-1"))[Location.DEFECTIVE] == 0
    with pytest.raises(InsufficientStock) as caught:
        await scrap_defective(mug, 1, "One more", actor=WAREHOUSE, clock=shop.clock)
    assert (caught.value.code, caught.value.params) == ("scrap_exceeds_defective", {"held": 0})
    await assert_books_true()


@pytest.mark.parametrize(
    ("quantity", "note", "code"),
    [
        (3, "Broken", "scrap_exceeds_defective"),
        (0, "Broken", "invalid_quantity"),
        (-1, "Broken", "invalid_quantity"),
        (True, "Broken", "invalid_quantity"),
        (1, "   ", "text_required"),
        (1, "x" * 2001, "text_too_long"),
    ],
    ids=["more-than-held", "zero", "negative", "bool", "no-note", "long-note"],
)
async def test_a_bad_scrap_is_refused_and_changes_nothing(
    shop: Shop, quantity: int, note: str, code: str
) -> None:
    mug = await two_defective_mugs(shop)
    before = await everything()

    with pytest.raises(DomainError) as caught:
        await scrap_defective(mug, quantity, note, actor=WAREHOUSE, clock=shop.clock)

    assert caught.value.code == code
    assert await everything() == before


@pytest.mark.parametrize("actor", [REVIEWER, FINANCE], ids=["reviewer", "finance"])
async def test_only_warehouse_staff_and_admins_may_scrap(shop: Shop, actor: Actor) -> None:
    mug = await two_defective_mugs(shop)
    before = await everything()

    with pytest.raises(PermissionDenied):
        await scrap_defective(mug, 1, "Broken", actor=actor, clock=shop.clock)

    assert await everything() == before


async def test_scrapping_an_unknown_product_is_not_found(shop: Shop) -> None:
    before = await everything()
    with pytest.raises(NotFound):
        await scrap_defective(987654, 1, "Broken", actor=WAREHOUSE, clock=shop.clock)
    assert await everything() == before
