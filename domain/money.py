"""Money is Decimal: at most two decimals, never more than a money column holds.

``to_money`` reads an amount someone gave (a form, a CSV file, the API, a policy setting)
and refuses anything that is not plainly one; ``round_money`` rounds an amount the code
worked out (a percentage, a sum) to the cent, half-up.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.errors import ValidationError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Every money column is DECIMAL(MONEY_DIGITS, MONEY_PLACES) (models.catalog.MONEY).
MONEY_DIGITS, MONEY_PLACES = 14, 2
LARGEST = Decimal(10 ** (MONEY_DIGITS - MONEY_PLACES)) - CENT
# Plain decimal notation in ASCII digits: no exponent, no NaN or Infinity, no "1_000".
PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float | bool):
        raise TypeError("money must be a Decimal, an int or a text, not a float or bool")
    if isinstance(value, str) and not PLAIN.fullmatch(value.strip()):
        raise ValidationError("invalid_amount", value=value)
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise ValidationError("invalid_amount", value=str(value)) from None
    if not amount.is_finite():
        raise ValidationError("invalid_amount", value=str(value))
    return amount


def to_money(value: Decimal | int | str) -> Decimal:
    """Read ``value`` as an amount of money, exactly, with two decimals.

    Refused with a ``ValidationError`` (nothing is rounded away): ``invalid_amount`` for
    what is not a plain decimal number (words, exponents such as ``1e30``, NaN, Infinity);
    ``amount_too_precise`` for more than two decimals (``1.234``); ``amount_too_large`` for
    more than ``LARGEST`` either way. A float or bool is a programming error (TypeError).
    """
    amount = _decimal(value)
    if abs(amount) > LARGEST:
        raise ValidationError("amount_too_large", value=str(value), maximum=str(LARGEST))
    cents = amount.quantize(CENT)
    if cents != amount:
        raise ValidationError("amount_too_precise", value=str(value))
    return cents


def round_money(amount: Decimal | int) -> Decimal:
    """Round a worked-out amount to the cent, half-up."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """Return ``percent`` % of ``amount``, rounded to the cent."""
    return round_money(amount * percent / Decimal(100))
