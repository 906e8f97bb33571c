"""Reading amounts of money (domain/money.py): exact to the cent, or refused with a code."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.money import LARGEST, percent_of, round_money, to_money

D = Decimal


@pytest.mark.parametrize(
    ("text", "amount"),
    [("12", "12.00"), ("12.5", "12.50"), (" 0.01 ", "0.01"), ("-3.10", "-3.10"), (".5", "0.50")],
)
def test_plain_amounts_are_read_exactly(text: str, amount: str) -> None:
    assert to_money(text) == D(amount)
    assert str(to_money(text)) == amount


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1e30", "invalid_amount"),
        ("1E2", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("-Infinity", "invalid_amount"),
        ("inf", "invalid_amount"),
        ("1_000", "invalid_amount"),
        ("١٢", "invalid_amount"),  # Arabic-Indic digits, which Decimal() would accept
        ("", "invalid_amount"),
        ("12,50", "invalid_amount"),
        ("1.234", "amount_too_precise"),
        ("0.001", "amount_too_precise"),
        (D("1.005"), "amount_too_precise"),
        ("1000000000000", "amount_too_large"),
        ("-1000000000000.00", "amount_too_large"),
        (D("1E+30"), "amount_too_large"),
        (D("NaN"), "invalid_amount"),
        (D("Infinity"), "invalid_amount"),
    ],
)
def test_anything_but_an_exact_storable_amount_is_refused_with_its_reason(
    value: str | Decimal, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        to_money(value)
    assert refused.value.code == code


def test_the_largest_amount_is_what_a_money_column_holds() -> None:
    assert str(LARGEST) == "999999999999.99"
    assert to_money("999999999999.99") == LARGEST
    assert to_money(D("-999999999999.99")) == -LARGEST


def test_floats_are_a_programming_error() -> None:
    with pytest.raises(TypeError):
        to_money(1.5)  # type: ignore[arg-type]


@settings(max_examples=200)
@given(st.decimals(min_value=-LARGEST, max_value=LARGEST, places=2))
def test_every_storable_amount_reads_back_as_itself(amount: Decimal) -> None:
    assert to_money(str(amount)) == amount
    assert to_money(amount) == amount


@settings(max_examples=200)
@given(st.text(max_size=20))
def test_any_text_is_an_amount_or_a_refusal_never_a_crash(text: str) -> None:
    codes = {"invalid_amount", "amount_too_precise", "amount_too_large"}
    try:
        amount = to_money(text)
    except ValidationError as refused:
        code = refused.code
    else:
        code = "read"
        assert abs(amount) <= LARGEST
        assert amount == amount.quantize(D("0.01"))
    assert code in {*codes, "read"}


def test_worked_out_amounts_are_rounded_half_up_to_the_cent() -> None:
    assert round_money(D("2.345")) == D("2.35")
    assert percent_of(D("99.99"), D("12.5")) == D("12.50")
