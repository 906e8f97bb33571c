"""A refund reads the same on the request page, on /finance and in the refunds CSV, in each
language: a cheaper replacement's difference as such (not stored English words), who refunded
by name."""

from __future__ import annotations

import csv
import io

import pytest

from domain.returns import ReturnType
from models import Refund
from services.refunds import refund_return, ship_replacement
from tests.backoffice.conftest import Desk
from tests.backoffice.test_code_names import LANGUAGES, shown_text, speaking
from tests.factories import FINANCE, WAREHOUSE, Shop
from tests.services.test_returns import inspected

DIFFERENCE = {"en": "Exchange difference", "zh_Hans": "换货差价", "ru": "Разница при обмене"}
EXCHANGE = {"en": "Exchange", "zh_Hans": "换货", "ru": "Обмен"}
# The refunds CSV's columns "Type" and "Reference" in each language.
TYPE_COLUMN = {"en": "Type", "zh_Hans": "类型", "ru": "Тип"}
REFERENCE = {"en": "Reference", "zh_Hans": "参考号", "ru": "Номер операции"}


async def cheaper_exchange_shipped(shop: Shop) -> int:
    """MUG-1 (80.00) exchanged for CAP-1 (60.00): 20.00 goes back when the cap ships."""
    r = await inspected(shop, {"MUG-1": 1}, kind=ReturnType.EXCHANGE, replacement="CAP-1")
    await ship_replacement(r.id, "SF1234567", actor=WAREHOUSE, clock=shop.clock)
    return r.id


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


async def test_the_difference_refund_stores_no_words(desk: Desk, shop: Shop) -> None:
    rid = await cheaper_exchange_shipped(shop)

    refund = await Refund.get(request_id=rid)

    assert refund.external_reference == ""


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_difference_refund_is_named_in_the_staff_members_language(
    desk: Desk, shop: Shop, language: str
) -> None:
    rid = await cheaper_exchange_shipped(shop)
    await speaking(desk, "fiona", language)

    _, page = await desk.get(f"/returns/{rid}")
    _, finance = await desk.get("/finance")
    text = await (await desk.client.get("/finance/refunds/export.csv")).text()

    assert DIFFERENCE[language] in shown_text(page)
    assert DIFFERENCE[language] in shown_text(finance)
    assert "exchange difference" not in shown_text(page) + shown_text(finance) + text
    row = dict(zip(*csv_rows(text)[:2], strict=True))
    assert (row[TYPE_COLUMN[language]], row[REFERENCE[language]]) == (EXCHANGE[language], "")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_refunds_csv_names_who_refunded_as_the_pages_do(
    desk: Desk, shop: Shop, language: str
) -> None:
    r = await inspected(shop, {"TEE-1": 1})
    await refund_return(r.id, actor=FINANCE, clock=shop.clock, reference="PAY-1")
    await speaking(desk, "fiona", language)

    text = await (await desk.client.get("/finance/refunds/export.csv")).text()

    row = csv_rows(text)[1]
    assert row[-2:] == ["PAY-1", "fiona"]
    assert "staff:" not in text
