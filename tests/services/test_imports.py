"""Imports of SPEC §10: valid files land, a file with one bad row lands nothing."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.policy import window_end
from domain.stock import Location
from models import Customer, Order, OrderLine, Product, StockLevel, StockMovement
from services.imports import (
    ImportRejected,
    read_csv,
    upsert_customers,
    upsert_orders,
    upsert_products,
)
from services.policies import save_policy_rule
from tests.factories import ADMIN, build_shop, open_return, place_order

PRODUCTS = """sku,name,category,price,cost,stock,low_stock_threshold,returnable
TEE-1,Cotton tee,apparel,99.90,40.00,12,3,true
MUG-1,Ceramic mug,home,45.00,18.50,0,2,false
"""
CUSTOMERS = """external_id,name,phone,email,language
C1,Li Lei,+86 138-0000-0001,li@example.com,zh
C2,Anna,+79000000002,,ru
"""
ORDERS = """order_number,customer_phone,channel,ordered_at,delivered_at,sku,quantity,unit_price,payment_method
SO-1,+8613800000001,web,2026-03-01T10:00:00+08:00,2026-03-03T12:00:00+08:00,TEE-1,2,89.90,alipay
SO-1,+8613800000001,web,2026-03-01T10:00:00+08:00,2026-03-03T12:00:00+08:00,MUG-1,1,45.00,alipay
SO-2,+79000000002,telegram,2026-03-02T09:00:00,,MUG-1,1,45.00,card
"""


async def load_all(clock):
    await upsert_products(read_csv(PRODUCTS, "products"), actor=ADMIN, clock=clock)
    await upsert_customers(read_csv(CUSTOMERS, "customers"), actor=ADMIN)
    await upsert_orders(read_csv(ORDERS, "orders"), actor=ADMIN)


async def sellable(sku):
    return (await StockLevel.get(product__sku=sku, location=Location.SELLABLE)).quantity


async def test_valid_files_land_with_stock_as_movements(db, clock):
    await load_all(clock)
    tee = await Product.get(sku="TEE-1")
    assert (tee.price, tee.cost, tee.returnable) == (Decimal("99.90"), Decimal("40.00"), True)
    assert not (await Product.get(sku="MUG-1")).returnable
    assert await sellable("TEE-1") == 12
    assert await StockMovement.filter(product=tee, kind="stock_in", quantity=12).count() == 1
    li = await Customer.get(external_id="C1")
    assert (li.phone, li.language) == ("+8613800000001", "zh_Hans")
    order = await Order.get(number="SO-1")
    assert order.customer_id == li.id
    assert order.delivered_at.isoformat() == "2026-03-03T04:00:00+00:00"
    assert await OrderLine.filter(order=order).count() == 2
    assert (await Order.get(number="SO-2")).delivered_at is None


async def test_reimporting_the_same_files_changes_nothing(db, clock):
    await load_all(clock)
    before = (
        await Order.all().count(),
        await OrderLine.all().count(),
        await StockMovement.all().count(),
    )
    await load_all(clock)
    after = (
        await Order.all().count(),
        await OrderLine.all().count(),
        await StockMovement.all().count(),
    )
    assert before == after


async def test_stock_count_change_is_a_movement(db, clock):
    await load_all(clock)
    await upsert_products(
        read_csv(PRODUCTS.replace(",12,", ",7,"), "products"), actor=ADMIN, clock=clock
    )
    assert await sellable("TEE-1") == 7
    assert (
        await StockMovement.filter(product__sku="TEE-1", kind="stock_out", quantity=5).count() == 1
    )


@pytest.mark.parametrize(
    ("kind", "text", "line", "reason"),
    [
        ("products", PRODUCTS + "BAD-1,Broken,misc,abc,1.00,1,1,true\n", 4, "invalid_amount"),
        ("products", PRODUCTS + "BAD-2,Broken,misc,1.00,1.00,-3,1,true\n", 4, "negative_value"),
        ("products", PRODUCTS + "BAD-2,Broken,misc,1.00,1.00,3,-1,true\n", 4, "negative_value"),
        ("products", PRODUCTS + "BAD-2,Broken,misc,1.00,-1,3,1,true\n", 4, "negative_value"),
        ("products", PRODUCTS + "BAD-2,Broken,misc,1.00,1.00,3.5,1,true\n", 4, "invalid_integer"),
        ("products", PRODUCTS + "TEE-1,Again,apparel,1.00,1.00,1,1,true\n", 4, "duplicate_sku"),
        ("products", PRODUCTS + "BAD-3,Broken,misc,1.00,1.00,1,1,maybe\n", 4, "invalid_boolean"),
        ("customers", CUSTOMERS + "C3,Bob,12345,,en\n", 4, "invalid_phone"),
        ("customers", CUSTOMERS + "C3,Bob,+4915100000003,not-an-email,en\n", 4, "invalid_email"),
        ("customers", CUSTOMERS + "C3,,+4915100000003,,en\n", 4, "missing_value"),
        ("customers", CUSTOMERS + "C3,Bob,+4915100000003,,klingon\n", 4, "invalid_language"),
    ],
)
async def test_a_bad_row_lands_nothing_and_is_named(db, clock, kind, text, line, reason):
    importer = {"products": upsert_products, "customers": upsert_customers}[kind]
    extra = {"clock": clock} if kind == "products" else {}
    with pytest.raises(ImportRejected) as rejected:
        await importer(read_csv(text, kind), actor=ADMIN, **extra)
    assert [(e.line, e.reason) for e in rejected.value.errors] == [(line, reason)]
    assert await Product.all().count() == 0
    assert await Customer.all().count() == 0
    assert await StockMovement.all().count() == 0


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("SO-3,+8613800000001,web,yesterday,,TEE-1,1,1.00,card", "invalid_date"),
        ("SO-3,+8613800000009,web,2026-03-01T10:00:00,,TEE-1,1,1.00,card", "unknown_customer"),
        ("SO-3,+8613800000001,web,2026-03-01T10:00:00,,NOPE,1,1.00,card", "unknown_sku"),
        ("SO-3,+8613800000001,web,2026-03-01T10:00:00,,TEE-1,0,1.00,card", "value_too_small"),
        ("SO-3,+8613800000001,web,2026-03-01T10:00:00,,TEE-1,-2,1.00,card", "negative_value"),
        ("SO-3,+8613800000001,web,2026-03-01T10:00:00,,TEE-1,1,-1.00,card", "negative_value"),
        (
            "SO-3,+8613800000001,web,2026-03-05T10:00:00,2026-03-01T10:00:00,TEE-1,1,1.00,card",
            "delivered_before_ordered",
        ),
        (
            "SO-1,+79000000002,web,2026-03-01T10:00:00+08:00,2026-03-03T12:00:00+08:00,TEE-1,1,1.00,alipay",
            "order_rows_disagree",
        ),
    ],
)
async def test_a_bad_order_row_lands_no_order(db, clock, row, reason):
    await upsert_products(read_csv(PRODUCTS, "products"), actor=ADMIN, clock=clock)
    await upsert_customers(read_csv(CUSTOMERS, "customers"), actor=ADMIN)
    with pytest.raises(ImportRejected) as rejected:
        await upsert_orders(read_csv(ORDERS + row + "\n", "orders"), actor=ADMIN)
    assert [(e.line, e.reason) for e in rejected.value.errors] == [(5, reason)]
    assert await Order.all().count() == 0
    assert await OrderLine.all().count() == 0


async def test_every_bad_row_is_reported_not_just_the_first(db, clock):
    text = PRODUCTS + "A,x,c,1,1,1,1,true\nB,x,c,zz,1,1,1,true\nC,x,c,1,1,1,1,perhaps\n"
    with pytest.raises(ImportRejected) as rejected:
        await upsert_products(read_csv(text, "products"), actor=ADMIN, clock=clock)
    assert [(e.line, e.reason) for e in rejected.value.errors] == [
        (5, "invalid_amount"),
        (6, "invalid_boolean"),
    ]


def test_a_wrong_header_is_refused_at_line_one():
    with pytest.raises(ImportRejected) as rejected:
        read_csv("sku,name\nA,b\n", "products")
    assert rejected.value.errors[0].line == 1
    assert rejected.value.errors[0].reason == "bad_header"


async def test_every_error_of_a_row_is_reported_not_just_its_first(db, clock):
    text = PRODUCTS + "HAT-1,,apparel,-1,1.234,x,1,maybe\n"
    with pytest.raises(ImportRejected) as rejected:
        await upsert_products(read_csv(text, "products"), actor=ADMIN, clock=clock)
    assert [(e.line, e.reason, e.params.get("field")) for e in rejected.value.errors] == [
        (4, "missing_value", "name"),
        (4, "negative_value", "price"),
        (4, "amount_too_precise", "cost"),
        (4, "invalid_integer", "stock"),
        (4, "invalid_boolean", "returnable"),
    ]
    assert await Product.all().count() == 0


async def test_every_error_of_a_customer_or_order_row_names_its_field(db, clock):
    customers = read_csv(CUSTOMERS + "C3,,12345,not-an-email,klingon\n", "customers")
    orders = read_csv(ORDERS + "SO-3,12,web,yesterday,,TEE-1,0,1e3,card\n", "orders")
    with pytest.raises(ImportRejected) as customer:
        await upsert_customers(customers, actor=ADMIN)
    with pytest.raises(ImportRejected) as order:
        await upsert_orders(orders, actor=ADMIN)
    assert [e.params["field"] for e in customer.value.errors] == [
        "name",
        "phone",
        "email",
        "language",
    ]
    assert [(e.reason, e.params["field"]) for e in order.value.errors if e.line == 5] == [
        ("invalid_phone", "customer_phone"),
        ("invalid_date", "ordered_at"),
        ("value_too_small", "quantity"),
        ("invalid_amount", "unit_price"),
    ]


async def test_reimporting_counts_rows_as_new_updated_or_unchanged(db, clock):
    first = (
        await upsert_products(read_csv(PRODUCTS, "products"), actor=ADMIN, clock=clock),
        await upsert_customers(read_csv(CUSTOMERS, "customers"), actor=ADMIN),
        await upsert_orders(read_csv(ORDERS, "orders"), actor=ADMIN),
    )
    again = (
        await upsert_products(read_csv(PRODUCTS, "products"), actor=ADMIN, clock=clock),
        await upsert_customers(read_csv(CUSTOMERS, "customers"), actor=ADMIN),
        await upsert_orders(read_csv(ORDERS, "orders"), actor=ADMIN),
    )
    restocked = await upsert_products(
        read_csv(PRODUCTS.replace(",12,", ",7,"), "products"), actor=ADMIN, clock=clock
    )
    renamed = await upsert_customers(
        read_csv(CUSTOMERS.replace("Anna", "Anna K."), "customers"), actor=ADMIN
    )
    redated = await upsert_orders(
        read_csv(ORDERS.replace("2026-03-02T09:00:00", "2026-03-02T09:30:00"), "orders"),
        actor=ADMIN,
    )
    counts = [(r.created, r.updated, r.unchanged) for r in (*first, *again)]
    assert counts == [(2, 0, 0), (2, 0, 0), (2, 0, 0), (0, 0, 2), (0, 0, 2), (0, 0, 2)]
    changed = [(r.created, r.updated, r.unchanged) for r in (restocked, renamed, redated)]
    assert changed == [(0, 1, 1), (0, 1, 1), (0, 1, 1)]


async def test_an_unchanged_row_keeps_who_changed_it_last(db, clock):
    await upsert_products(read_csv(PRODUCTS, "products"), actor=ADMIN, clock=clock)
    await Product.filter(sku="TEE-1").update(updated_by="staff:earlier")
    await upsert_products(read_csv(PRODUCTS, "products"), actor=ADMIN, clock=clock)
    assert (await Product.get(sku="TEE-1")).updated_by == "staff:earlier"


SO_1_ITEMS = [
    ("TEE-1", 2, "100.00"),
    ("CAP-1", 1, "55.00"),
    ("MUG-1", 3, "80.00"),
    ("SOAP-1", 1, "20.00"),
]


async def reimport_so_1(shop, phone="+8613800000001", channel="web", items=SO_1_ITEMS, days=1):
    delivered = shop.clock.now() - timedelta(days=days)
    await place_order(shop.clock, "SO-1", phone, delivered, items, channel=channel)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"phone": "+79000000002"}, "order_has_returns_owner"),  # another customer
        ({"channel": "telegram"}, "order_has_returns_owner"),  # another channel's policy
        ({"items": SO_1_ITEMS[:3]}, "order_has_returns"),  # a line less
    ],
)
async def test_an_order_a_return_refers_to_keeps_its_customer_channel_and_lines(
    db, clock, change, code
):
    shop = await build_shop(clock)
    await open_return(shop, {"TEE-1": 1})
    before = await Order.get(number="SO-1").values("customer_id", "channel", "delivered_at")

    with pytest.raises(ImportRejected) as caught:
        await reimport_so_1(shop, **change)

    assert [error.reason for error in caught.value.errors] == [code]
    assert await Order.get(number="SO-1").values("customer_id", "channel", "delivered_at") == before
    assert await OrderLine.filter(order__number="SO-1").count() == 4


async def test_an_order_with_returns_still_takes_a_corrected_delivery_date(db, clock):
    shop = await build_shop(clock)
    await open_return(shop, {"TEE-1": 1})
    await reimport_so_1(shop, days=2)
    assert (await Order.get(number="SO-1")).delivered_at == clock.now() - timedelta(days=2)


async def test_an_order_without_returns_may_change_hands(db, clock):
    shop = await build_shop(clock)
    await reimport_so_1(shop, phone="+79000000002", channel="telegram")
    order = await Order.get(number="SO-1")
    assert (order.customer_id, order.channel) == (shop.other.id, "telegram")


def order_dated(ordered_at, delivered_at=""):
    return f"SO-3,+8613800000001,web,{ordered_at},{delivered_at},TEE-1,1,1.00,card\n"


@pytest.mark.parametrize(
    ("ordered_at", "delivered_at", "field"),
    [
        ("0001-01-01", "", "ordered_at"),  # midnight in Shanghai is still year 0 in UTC
        ("0001-01-01T00:00:00+01:00", "", "ordered_at"),
        ("1000-01-01T23:00:00Z", "", "ordered_at"),  # still the year 999 west of Greenwich
        ("2026-03-01T10:00:00", "9999-12-31T23:00:00-05:00", "delivered_at"),
        ("2026-03-01T10:00:00", "9998-01-01T00:00:01Z", "delivered_at"),
    ],
)
async def test_a_date_outside_the_shops_range_is_refused_as_out_of_range(
    db, clock, ordered_at, delivered_at, field
):
    await upsert_products(read_csv(PRODUCTS, "products"), actor=ADMIN, clock=clock)
    await upsert_customers(read_csv(CUSTOMERS, "customers"), actor=ADMIN)
    rows = read_csv(ORDERS + order_dated(ordered_at, delivered_at), "orders")
    with pytest.raises(ImportRejected) as rejected:
        await upsert_orders(rows, actor=ADMIN)
    [error] = rejected.value.errors
    assert (error.line, error.reason, error.params["field"]) == (5, "date_out_of_range", field)
    assert await Order.all().count() == 0


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Pacific/Kiritimati"])
async def test_the_earliest_and_latest_dates_land_and_work_in_every_time_zone(db, clock, zone):
    await save_policy_rule("default", "", {"timezone": zone}, actor=ADMIN, clock=clock)
    await upsert_products(read_csv(PRODUCTS, "products"), actor=ADMIN, clock=clock)
    await upsert_customers(read_csv(CUSTOMERS, "customers"), actor=ADMIN)
    earliest, latest = "1000-01-02T00:00:00+00:00", "9998-01-01T00:00:00+00:00"
    await upsert_orders(read_csv(ORDERS + order_dated(earliest, latest), "orders"), actor=ADMIN)
    order = await Order.get(number="SO-3")
    assert (order.ordered_at.isoformat(), order.delivered_at.isoformat()) == (earliest, latest)
    assert window_end(order.delivered_at, 365, ZoneInfo(zone)).year == 9999


@pytest.mark.parametrize(
    ("kind", "text", "expected", "found"),
    [
        ("products", PRODUCTS + "HAT-1,Hat,apparel,30.00,10.00,5,1,true,extra\n", 8, 9),
        ("products", PRODUCTS + "HAT-1,Hat,apparel,30.00,10.00,5,1\n", 8, 7),
        ("customers", CUSTOMERS + "C3,Bob,+4915100000003,bob@example.com\n", 5, 4),
        ("customers", CUSTOMERS + "C3,Bob,+4915100000003,,en,,\n", 5, 7),
    ],
)
async def test_a_row_without_one_field_per_column_is_a_bad_row(
    db, clock, kind, text, expected, found
):
    importer = {"products": upsert_products, "customers": upsert_customers}[kind]
    extra = {"clock": clock} if kind == "products" else {}
    with pytest.raises(ImportRejected) as rejected:
        await importer(read_csv(text, kind), actor=ADMIN, **extra)
    assert [(e.line, e.reason, e.params) for e in rejected.value.errors] == [
        (4, "wrong_column_count", {"expected": str(expected), "found": str(found)})
    ]
    assert await Product.all().count() == 0
    assert await Customer.all().count() == 0


async def test_one_upload_of_products_names_bad_fields_and_repeated_skus_together(db, clock):
    text = PRODUCTS + "HAT-1,Hat,apparel,cheap,1,1,1,true\nTEE-1,Again,apparel,1,1,1,1,true\n"
    with pytest.raises(ImportRejected) as rejected:
        await upsert_products(read_csv(text, "products"), actor=ADMIN, clock=clock)
    assert [(e.line, e.reason) for e in rejected.value.errors] == [
        (4, "invalid_amount"),
        (5, "duplicate_sku"),
    ]
    assert await Product.all().count() == 0


async def test_one_upload_of_customers_names_bad_fields_repeats_and_taken_phones_together(
    db, clock
):
    await upsert_customers(read_csv(CUSTOMERS, "customers"), actor=ADMIN)
    text = CUSTOMERS.split("\n", 1)[0] + "\nC2,Anna,+8613800000001,,ru\n"  # Li Lei's phone
    text += "C3,Bob,12345,,en\nC4,Eve,+4915100000005,,en\nC5,Eva,+4915100000005,,en\n"
    with pytest.raises(ImportRejected) as rejected:
        await upsert_customers(read_csv(text, "customers"), actor=ADMIN)
    assert [(e.line, e.reason) for e in rejected.value.errors] == [
        (2, "phone_taken"),
        (3, "invalid_phone"),
        (5, "duplicate_phone"),
    ]
    assert await Customer.all().count() == 2
    assert await Customer.filter(name__in=["Bob", "Eve", "Eva"]).count() == 0


def order_row(number, phone, sku, ordered, delivered="", price="1.00"):
    return f"{number},{phone},web,{ordered},{delivered},{sku},1,{price},card\n"


async def test_one_upload_of_orders_names_every_bad_row_it_can_know_about(db, clock):
    shop = await build_shop(clock)
    await open_return(shop, {"TEE-1": 1})
    delivered = clock.now() - timedelta(days=2)
    ordered = (delivered - timedelta(days=2)).isoformat()
    li, anna = "+8613800000001", "+79000000002"
    text = ORDERS.split("\n", 1)[0] + "\n"
    text += order_row("SO-1", li, "TEE-1", ordered, delivered.isoformat())  # a line less
    text += order_row("SO-2", li, "TEE-1", "yesterday")
    text += order_row("SO-3", li, "NOPE", ordered)
    text += order_row("SO-4", "+8613800000099", "TEE-1", ordered)
    text += order_row("SO-5", li, "TEE-1", ordered)
    text += order_row("SO-5", anna, "MUG-1", ordered)
    text += order_row("SO-6", li, "TEE-1", ordered, "2020-01-01T00:00:00+00:00")

    with pytest.raises(ImportRejected) as rejected:
        await upsert_orders(read_csv(text, "orders"), actor=ADMIN)

    assert [(e.line, e.reason) for e in rejected.value.errors] == [
        (2, "order_has_returns"),
        (3, "invalid_date"),
        (4, "unknown_sku"),
        (5, "unknown_customer"),
        (7, "order_rows_disagree"),
        (8, "delivered_before_ordered"),
    ]
    assert await Order.all().values_list("number", flat=True) == ["SO-1"]
    assert await OrderLine.filter(order__number="SO-1").count() == 4


async def test_an_order_with_a_bad_row_is_not_judged_by_its_other_rows(db, clock):
    shop = await build_shop(clock)
    await open_return(shop, {"TEE-1": 1})
    delivered = (clock.now() - timedelta(days=2)).isoformat()
    ordered = (clock.now() - timedelta(days=4)).isoformat()
    li = "+8613800000001"
    text = ORDERS.split("\n", 1)[0] + "\n"
    for sku, price in (("TEE-1", "100.00"), ("CAP-1", "55.00"), ("MUG-1", "80.00")):
        text += order_row("SO-1", li, sku, ordered, delivered, price)
    text += order_row("SO-1", li, "SOAP-1", ordered, delivered, "cheap")

    with pytest.raises(ImportRejected) as rejected:
        await upsert_orders(read_csv(text, "orders"), actor=ADMIN)

    assert [(e.line, e.reason) for e in rejected.value.errors] == [(5, "invalid_amount")]


@pytest.mark.parametrize(
    ("row", "field", "character"),
    [
        ('HAT-1,"Hat\nline two",apparel,1,1,1,1,true', "name", "U+000A"),
        ("HAT\t1,Hat,apparel,1,1,1,1,true", "sku", "U+0009"),
        ("HAT-1,Hat,app\x00arel,1,1,1,1,true", "category", "U+0000"),
        ("HAT-1,Hat\x85,apparel,1,1,1,1,true", "name", "U+0085"),
    ],
)
async def test_a_control_character_in_a_field_is_refused_by_name(db, clock, row, field, character):
    with pytest.raises(ImportRejected) as rejected:
        await upsert_products(read_csv(PRODUCTS + row + "\n", "products"), actor=ADMIN, clock=clock)
    [error] = rejected.value.errors
    assert (error.reason, error.params) == (
        "control_character",
        {"field": field, "character": character},
    )
    assert await Product.all().count() == 0
