"""Money is Decimal, rounded to the cent half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.errors import ValidationError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Convert ``value`` to a Decimal rounded to the cent; refuse floats and garbage."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError):
        raise ValidationError("invalid_amount", value=str(value)) from None
    if not amount.is_finite():
        raise ValidationError("invalid_amount", value=str(value))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """Return ``percent`` % of ``amount``, rounded to the cent."""
    return to_money(amount * percent / Decimal(100))
