"""Writing the effects of an action: events, stock movements, journal entries, notifications.

Every function here runs inside the caller's transaction; none opens its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from tortoise.expressions import F

from domain.errors import InsufficientStock
from domain.ledger import Entry
from domain.returns import Actor, Status
from domain.stock import Location, Movement, crosses_low_stock
from models import (
    JournalEntry,
    JournalLine,
    Notification,
    Product,
    ReturnEvent,
    ReturnRequest,
    StockLevel,
    StockMovement,
)
from services.rollups import count_entry, count_status_change


async def record_event(
    request: ReturnRequest,
    actor: Actor,
    action: str,
    *,
    source: Status | None,
    target: Status,
    now: datetime,
    note: str = "",
) -> None:
    """Append one event to the request's audit trail."""
    await count_status_change(request, source, target, now)
    await ReturnEvent.create(
        request_id=request.id,
        actor=actor.label,
        action=action,
        from_status=source,
        to_status=target,
        note=note,
        created_at=now,
    )


async def enqueue(
    template: str,
    dedupe_key: str,
    due_at: datetime,
    *,
    customer_id: int | None = None,
    params: Mapping[str, Any] | None = None,
) -> None:
    """Put a message in the outbox; without a customer it goes to the staff chat.

    The dedupe key is unique: enqueuing the same key twice keeps the first.
    """
    await Notification.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "customer_id": customer_id,
            "staff_chat": customer_id is None,
            "template": template,
            "params": dict(params or {}),
            "due_at": due_at,
            "created_at": due_at,
        },
    )


async def post_entry(
    entry: Entry, actor: Actor, now: datetime, request: ReturnRequest | None = None
) -> None:
    """Write a balanced journal entry."""
    if not entry.postings:
        return
    row = await JournalEntry.create(
        memo=entry.memo, request=request, actor=actor.label, created_at=now
    )
    await count_entry(entry, request, now)
    await JournalLine.bulk_create(
        [
            JournalLine(entry=row, account=p.account, debit=p.debit, credit=p.credit)
            for p in entry.postings
        ]
    )


async def apply_movements(
    movements: Iterable[Movement],
    actor: Actor,
    now: datetime,
    request: ReturnRequest | None = None,
) -> None:
    """Append movements and move the levels with them; refuse to drive a level negative."""
    for movement in movements:
        row = await StockMovement.create(
            product_id=movement.product_id,
            source=movement.source,
            target=movement.target,
            quantity=movement.quantity,
            kind=movement.kind,
            return_request=request,
            actor=actor.label,
            created_at=now,
        )
        if movement.source is not None:
            await _take(movement, row.id, now)
        if movement.target is not None:
            await _level(movement.product_id, movement.target).update(
                quantity=F("quantity") + movement.quantity
            )


def _level(product_id: int, location: Location) -> Any:
    return StockLevel.filter(product_id=product_id, location=location)


async def _take(movement: Movement, movement_id: int, now: datetime) -> None:
    assert movement.source is not None
    taken = (
        await _level(movement.product_id, movement.source)
        .filter(quantity__gte=movement.quantity)
        .update(quantity=F("quantity") - movement.quantity)
    )
    if not taken:
        product = await Product.get(id=movement.product_id)
        raise InsufficientStock(
            sku=product.sku, location=str(movement.source), wanted=movement.quantity
        )
    if movement.source is Location.SELLABLE:
        await _alert_low_stock(movement, movement_id, now)


async def _alert_low_stock(movement: Movement, movement_id: int, now: datetime) -> None:
    level = await _level(movement.product_id, Location.SELLABLE).get()
    product = await Product.get(id=movement.product_id)
    before = level.quantity + movement.quantity
    if crosses_low_stock(before, level.quantity, product.low_stock_threshold):
        await enqueue(
            "low_stock",
            f"low_stock:{movement_id}",
            now,
            params={"sku": product.sku, "name": product.name, "quantity": level.quantity},
        )


async def create_stock_levels(product: Product) -> None:
    """Give a new product its zero level in every location."""
    await StockLevel.bulk_create(
        [StockLevel(product=product, location=location, quantity=0) for location in Location]
    )
