"""The warehouse's stock: levels per product and location, a product's movements, and
scrapping defective units."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import InsufficientStock, NotFound, PermissionDenied, ValidationError
from domain.returns import Actor, Role
from domain.stock import Location, scrap
from models import Product, StockLevel, StockMovement
from services.audit import record_audit_entry
from services.effects import apply_movements
from services.form_keys import first_use
from services.keyset import NEWEST_FIRST, cursor_of, older_than
from services.review import clean_text

PAGE_SIZE = 50
__all__ = [
    "MovementPage",
    "MovementRow",
    "StockPage",
    "StockRow",
    "list_movements",
    "list_stock_levels",
    "product_stock",
    "scrap_defective",
    "stock_level_rows",
]
SCRAPPERS = frozenset({Role.WAREHOUSE, Role.ADMIN})


@dataclass(frozen=True)
class StockRow:
    """One product's units in each location, beside its low-stock threshold."""

    product_id: int
    sku: str
    name: str
    category: str
    threshold: int
    sellable: int
    reserved: int
    quarantine: int
    defective: int

    @property
    def low(self) -> bool:
        return self.sellable <= self.threshold


@dataclass(frozen=True)
class StockPage:
    rows: list[StockRow]
    next_offset: int | None


def _levels(search: str) -> Any:
    """Products with their level per location, lowest margin over the threshold first.

    The pivot is one GROUP BY with a filtered SUM per location, so paging happens in SQL.
    """
    found = Product.all()
    if search.strip():
        text = search.strip()
        found = found.filter(Q(sku__icontains=text) | Q(name__icontains=text))
    sums = {str(loc): Sum("levels__quantity", _filter=Q(levels__location=loc)) for loc in Location}
    return (
        found.annotate(**sums)
        .annotate(margin=F(str(Location.SELLABLE)) - F("low_stock_threshold"))
        .group_by("id")
        .order_by("margin", "sku")
    )


def _stock_row(row: dict[str, Any]) -> StockRow:
    return StockRow(
        product_id=row["id"],
        sku=row["sku"],
        name=row["name"],
        category=row["category"],
        threshold=row["low_stock_threshold"],
        **{str(loc): int(row[str(loc)] or 0) for loc in Location},
    )


_COLUMNS = ("id", "sku", "name", "category", "low_stock_threshold", *map(str, Location))


async def list_stock_levels(
    search: str = "", *, offset: int = 0, size: int = PAGE_SIZE
) -> StockPage:
    """One page of stock levels, products running low first (a product list is small enough
    for OFFSET paging; the queue's million rows are paged by keyset instead)."""
    rows = await _levels(search).offset(max(offset, 0)).limit(size + 1).values(*_COLUMNS)
    more = len(rows) > size
    return StockPage([_stock_row(r) for r in rows[:size]], offset + size if more else None)


async def stock_level_rows(batch: int = 500) -> AsyncIterator[StockRow]:
    """Every product's stock levels, low first, fetched ``batch`` products at a time."""
    offset = 0
    while True:
        page = await list_stock_levels(offset=offset, size=batch)
        for row in page.rows:
            yield row
        if page.next_offset is None:
            return
        offset = page.next_offset


async def product_stock(product_id: int) -> StockRow:
    """One product's levels; NotFound if there is no such product."""
    rows = await _levels("").filter(id=product_id).values(*_COLUMNS)
    if not rows:
        raise NotFound("product_not_found", product_id=product_id)
    return _stock_row(rows[0])


@dataclass(frozen=True)
class MovementRow:
    id: int
    created_at: datetime
    kind: str
    source: str
    target: str
    quantity: int
    return_id: int | None
    return_number: str
    actor: str


@dataclass(frozen=True)
class MovementPage:
    rows: list[MovementRow]
    next_cursor: str | None


async def list_movements(
    product_id: int, *, before: str | None = None, size: int = PAGE_SIZE
) -> MovementPage:
    """A product's movements, newest first (by time, then id), paged by keyset: ``before``
    is the cursor the previous page ended with."""
    found = StockMovement.filter(older_than(before), product_id=product_id)
    movements = await found.order_by(*NEWEST_FIRST).limit(size + 1).select_related("return_request")
    rows = [
        MovementRow(
            id=m.id,
            created_at=m.created_at,
            kind=str(m.kind),
            source=str(m.source or ""),
            target=str(m.target or ""),
            quantity=m.quantity,
            return_id=m.return_request_id,
            return_number=m.return_request.number if m.return_request else "",
            actor=m.actor,
        )
        for m in movements[:size]
    ]
    more = len(movements) > size and rows
    return MovementPage(rows, cursor_of(rows[-1].created_at, rows[-1].id) if more else None)


async def _defective_units(product_id: int) -> int:
    """The product's defective level, locked until the transaction ends (PostgreSQL)."""
    level = await StockLevel.select_for_update().get(
        product_id=product_id, location=Location.DEFECTIVE
    )
    return level.quantity


async def scrap_defective(
    product_id: int,
    quantity: int,
    note: str,
    *,
    actor: Actor,
    clock: Clock,
    form_key: str = "",
) -> StockRow:
    """Dispose of ``quantity`` defective units of a product, saying why in ``note``.

    The units leave the ``defective`` location for good. Inspection wrote them off at cost
    when it graded them B, so no journal entry follows: the movement and an audit entry are
    all that is written, together. Refused, changing nothing, for anyone but warehouse staff
    and admins, for a quantity under one or over the units held as defective, and for a
    missing or too long note; NotFound if there is no such product. The form's key, once
    used, makes the same form sent again change nothing.
    """
    if not actor.roles & SCRAPPERS:
        raise PermissionDenied(action="scrap_stock")
    if isinstance(quantity, bool) or quantity < 1:
        raise ValidationError("invalid_quantity", field="quantity")
    note = clean_text(note)
    async with in_transaction():
        product = await Product.get_or_none(id=product_id)
        if product is None:
            raise NotFound("product_not_found", product_id=product_id)
        now = clock.now()
        if not await first_use(form_key, now):  # this form scrapped already
            return await product_stock(product_id)
        held = await _defective_units(product_id)
        if quantity > held:
            raise InsufficientStock("scrap_exceeds_defective", held=held)
        await apply_movements([scrap(product_id, quantity)], actor, now)
        details = {"product_id": product_id, "quantity": quantity}
        await record_audit_entry(actor, "scrap_stock", product.sku, now, note=note, details=details)
    return await product_stock(product_id)
