"""What the warehouse reads: stock levels per product and location, and a product's movements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Sum

from domain.errors import NotFound
from domain.stock import Location
from models import Product, StockMovement

PAGE_SIZE = 50
__all__ = [
    "MovementPage",
    "MovementRow",
    "StockPage",
    "StockRow",
    "list_movements",
    "list_stock_levels",
    "product_stock",
    "stock_level_rows",
]


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
    next_cursor: int | None


async def list_movements(
    product_id: int, *, before: int | None = None, size: int = PAGE_SIZE
) -> MovementPage:
    """A product's movements, newest first, paged by id (keyset)."""
    found = StockMovement.filter(product_id=product_id)
    if before is not None:
        found = found.filter(id__lt=before)
    movements = await found.order_by("-id").limit(size + 1).select_related("return_request")
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
    return MovementPage(rows, rows[-1].id if len(movements) > size and rows else None)
