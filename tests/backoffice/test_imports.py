"""CSV import in the browser: what landed, or the bad rows and nothing landed."""

from __future__ import annotations

import aiohttp
import pytest

from models import Product, StaffUser
from tests.backoffice.conftest import Desk
from tests.factories import Shop

HEADER = "sku,name,category,price,cost,stock,low_stock_threshold,returnable\n"
ORDERS_HEADER = (
    "order_number,customer_phone,channel,ordered_at,delivered_at,sku,quantity,unit_price,"
    "payment_method\n"
)


async def upload(
    desk: Desk, kind: str, text: str | bytes, *, token: bool = True
) -> tuple[int, str]:
    form = aiohttp.FormData()
    if token:
        form.add_field("csrf_token", await desk.token("/imports"))
    form.add_field("kind", kind)
    data = text.encode() if isinstance(text, str) else text
    form.add_field("file", data, filename="file.csv", content_type="text/csv")
    response = await desk.client.post("/imports", data=form)
    return response.status, await response.text()


async def test_a_good_file_lands_and_its_counts_are_shown(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    text = HEADER + "HAT-1,Hat,apparel,30.00,10.00,5,1,true\nTEE-1,Tee,apparel,99,40,20,3,true\n"

    status, page = await upload(desk, "products", "\ufeff" + text)

    assert status == 200
    assert "1 new, 1 updated, 0 unchanged" in page
    assert (await Product.get(sku="HAT-1")).updated_by == "staff:admin"


async def test_the_same_file_again_is_reported_unchanged(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    text = HEADER + "HAT-1,Hat,apparel,30.00,10.00,5,1,true\n"
    await upload(desk, "products", text)

    status, page = await upload(desk, "products", text)

    assert status == 200
    assert "0 new, 0 updated, 1 unchanged" in page


async def test_a_bad_row_lists_each_of_its_errors(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    text = HEADER + "HAT-1,,apparel,-1,1,x,1,maybe\n"

    status, page = await upload(desk, "products", text)

    assert status == 400
    assert page.count("<tr><td>2</td>") == 4
    for words in (
        "A required value is missing.",
        "The value must not be negative.",
        "The value is not a whole number.",
        "The value is not true or false.",
    ):
        assert words in page
    assert not await Product.exists(sku="HAT-1")


async def test_a_file_with_bad_rows_names_them_and_lands_nothing(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    text = HEADER + "HAT-1,Hat,apparel,30.00,10.00,5,1,true\nHAT-2,Hat,apparel,cheap,1,1,1,true\n"
    text += "HAT-3,Hat,apparel,1,1,-4,1,maybe\n"

    status, page = await upload(desk, "products", text)

    assert status == 400
    assert "Nothing was imported" in page
    assert "<td>3</td>" in page
    assert "<td>4</td>" in page
    assert not await Product.exists(sku="HAT-1")


async def test_a_wrong_header_or_encoding_is_refused(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")

    header, page = await upload(desk, "customers", HEADER)
    encoding, text = await upload(desk, "products", HEADER.encode() + "é".encode("latin-1"))

    assert (header, encoding) == (400, 400)
    assert "header row" in page
    assert "not UTF-8" in text


async def test_import_needs_an_admin_and_a_csrf_token(desk: Desk, shop: Shop) -> None:
    await desk.as_("rita")
    assert (await desk.get("/imports"))[0] == 403
    await desk.as_("admin")
    status, _ = await upload(desk, "products", HEADER + "HAT-1,Hat,a,1,1,1,1,true\n", token=False)
    assert status == 403
    assert not await Product.exists(sku="HAT-1")


NEGATIVE = {
    "en": ("The value must not be negative.", "The value is not a whole number."),
    "zh_Hans": ("该值不能为负数。", "该值不是整数。"),
    "ru": ("Значение не может быть отрицательным.", "Значение не является целым числом."),
}


@pytest.mark.parametrize("language", ["en", "zh_Hans", "ru"])
async def test_a_negative_stock_is_refused_as_negative(
    desk: Desk, shop: Shop, language: str
) -> None:
    await StaffUser.filter(username="admin").update(language=language)
    await desk.as_("admin")
    text = HEADER + "HAT-1,Hat,apparel,30.00,10.00,-4,1,true\n"

    status, page = await upload(desk, "products", text)

    negative, not_whole = NEGATIVE[language]
    assert status == 400
    assert negative in page
    assert not_whole not in page
    assert "<code>-4</code>" in page


async def test_an_order_dated_in_the_year_one_is_a_bad_row_with_words(
    desk: Desk, shop: Shop
) -> None:
    await desk.as_("admin")
    text = ORDERS_HEADER + "SO-9,+8613800000001,web,0001-01-01,,TEE-1,1,1.00,card\n"

    status, page = await upload(desk, "orders", text)

    assert status == 400
    assert "<tr><td>2</td>" in page
    assert "The date is too far in the past or the future" in page
    assert "<code>0001-01-01</code>" in page


async def test_a_row_with_a_field_too_many_is_a_bad_row_with_words(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    text = HEADER + "HAT-1,Hat,apparel,30.00,10.00,5,1,true,oops\n"

    status, page = await upload(desk, "products", text)

    assert status == 400
    assert "<tr><td>2</td>" in page
    assert "The row does not have one field per column of the header row" in page
    assert not await Product.exists(sku="HAT-1")


async def test_a_row_with_a_field_too_many_shows_how_many_columns_it_has(
    desk: Desk, shop: Shop
) -> None:
    await desk.as_("admin")

    status, page = await upload(desk, "products", HEADER + "HAT-1,Hat,apparel,30,10,5,1,true,x,y\n")

    assert status == 400
    assert "Columns expected: <code>8</code> Columns found: <code>10</code>" in page
    assert not await Product.exists(sku="HAT-1")
