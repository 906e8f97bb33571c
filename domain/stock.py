"""Stock locations and movements (SPEC §3), as values.

A movement takes units from one location to another; ``None`` is outside the shop (the
customer, a supplier, the scrap bin). A level is the sum of the movements into it minus those
out of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Location(StrEnum):
    SELLABLE = "sellable"
    RESERVED = "reserved"
    QUARANTINE = "quarantine"
    DEFECTIVE = "defective"


class MovementKind(StrEnum):
    STOCK_IN = "stock_in"
    STOCK_OUT = "stock_out"
    RESERVE = "reserve"
    RELEASE = "release"
    RECEIVE = "receive"
    RESTOCK = "restock"
    WRITE_OFF = "write_off"
    SEND_BACK = "send_back"
    SHIP_REPLACEMENT = "ship_replacement"
    SCRAP = "scrap"


@dataclass(frozen=True)
class Movement:
    product_id: int
    quantity: int
    kind: MovementKind
    source: Location | None
    target: Location | None

    def __post_init__(self) -> None:
        if self.quantity <= 0 or self.source == self.target:
            raise ValueError(f"bad movement {self}")


def reserve(product_id: int, quantity: int) -> Movement:
    """Hold sellable units for an approved exchange."""
    return Movement(
        product_id, quantity, MovementKind.RESERVE, Location.SELLABLE, Location.RESERVED
    )


def release(product_id: int, quantity: int) -> Movement:
    """Give reserved units back to sellable stock."""
    return Movement(
        product_id, quantity, MovementKind.RELEASE, Location.RESERVED, Location.SELLABLE
    )


def receive(product_id: int, quantity: int) -> Movement:
    """Take returned units in, to quarantine until inspected."""
    return Movement(product_id, quantity, MovementKind.RECEIVE, None, Location.QUARANTINE)


def ship_replacement(product_id: int, quantity: int) -> Movement:
    """Send reserved units out to the customer."""
    return Movement(product_id, quantity, MovementKind.SHIP_REPLACEMENT, Location.RESERVED, None)


def stock_in(product_id: int, quantity: int) -> Movement:
    """Put units into sellable stock from outside (imports, purchases)."""
    return Movement(product_id, quantity, MovementKind.STOCK_IN, None, Location.SELLABLE)


def stock_out(product_id: int, quantity: int) -> Movement:
    """Take units out of sellable stock (a stock count found fewer)."""
    return Movement(product_id, quantity, MovementKind.STOCK_OUT, Location.SELLABLE, None)


def scrap(product_id: int, quantity: int) -> Movement:
    """Dispose of defective units: they leave the shop for good."""
    return Movement(product_id, quantity, MovementKind.SCRAP, Location.DEFECTIVE, None)


def inspection_movements(
    product_id: int, resellable: int, defective: int, refused: int
) -> list[Movement]:
    """Move inspected units out of quarantine: A to sellable, B to defective, R back out."""
    q = Location.QUARANTINE
    moves = [
        (resellable, MovementKind.RESTOCK, Location.SELLABLE),
        (defective, MovementKind.WRITE_OFF, Location.DEFECTIVE),
        (refused, MovementKind.SEND_BACK, None),
    ]
    return [Movement(product_id, n, kind, q, to) for n, kind, to in moves if n > 0]


def crosses_low_stock(before: int, after: int, threshold: int) -> bool:
    """Tell whether a sellable level just fell to or under its threshold."""
    return before > threshold >= after
