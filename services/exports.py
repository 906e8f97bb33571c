"""Lists as tables for export: a header and rows fetched page by page (never all at once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from services.finance import refund_rows
from services.inventory import stock_level_rows
from services.queue import QueueFilter, list_returns

BATCH = 500
__all__ = ["Table", "queue_table", "refunds_table", "stock_table"]


@dataclass(frozen=True)
class Table:
    """A named list: its column names and its rows (plain values: text, ints, Decimals,
    aware datetimes), produced as they are read."""

    name: str
    header: tuple[str, ...]
    rows: AsyncIterator[tuple[Any, ...]]


async def _queue_rows(filters: QueueFilter, zone: ZoneInfo) -> AsyncIterator[tuple[Any, ...]]:
    cursor: str | None = None
    while True:
        page = await list_returns(filters, zone=zone, cursor=cursor, size=BATCH)
        for r in page.rows:
            yield (
                r.number, str(r.status), r.type, r.reason_code, r.customer_name,
                r.order_number, r.channel, r.created_at, r.status_changed_at, r.assignee,
            )  # fmt: skip
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def queue_table(filters: QueueFilter, *, zone: ZoneInfo) -> Table:
    """The queue with the same filters and search as its page, newest first."""
    header = (
        "rma", "status", "type", "reason", "customer", "order", "channel", "opened_at",
        "status_changed_at", "assignee",
    )  # fmt: skip
    return Table("returns", header, _queue_rows(filters, zone))


async def _stock_rows() -> AsyncIterator[tuple[Any, ...]]:
    async for s in stock_level_rows(BATCH):
        yield (
            s.sku, s.name, s.category, s.sellable, s.reserved, s.quarantine, s.defective,
            s.threshold,
        )  # fmt: skip


def stock_table() -> Table:
    """Every product's units per location, running low first."""
    header = (
        "sku", "name", "category", "sellable", "reserved", "quarantine", "defective",
        "low_stock_threshold",
    )  # fmt: skip
    return Table("inventory", header, _stock_rows())


async def _refund_rows(
    since: date | None, until: date | None, zone: ZoneInfo
) -> AsyncIterator[tuple[Any, ...]]:
    async for r in refund_rows(since, until, zone=zone, batch=BATCH):
        yield (
            r.created_at, r.return_number, r.return_type, r.customer_name, r.amount, r.method,
            r.reference, r.created_by,
        )  # fmt: skip


def refunds_table(since: date | None, until: date | None, *, zone: ZoneInfo) -> Table:
    """Refunds between two days (inclusive), newest first."""
    header = (
        "refunded_at", "rma", "type", "customer", "amount", "method", "reference", "refunded_by",
    )  # fmt: skip
    return Table("refunds", header, _refund_rows(since, until, zone))
