"""The JSON API /api/v1: bearer tokens, idempotent upserts, all-or-nothing, reading returns."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import aiohttp
import jsonschema_rs
import pytest

from backoffice.openapi import openapi_document
from domain.ledger import RefundMethod
from domain.returns import ReturnType
from models import Customer, Order, OrderLine, Product, ReturnLine, StockLevel
from services.refunds import record_exchange_payment, refund_return, ship_replacement
from services.review import approve_return
from services.tokens import list_api_tokens, revoke_api_token
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import (
    ADMIN,
    FINANCE,
    REVIEWER,
    WAREHOUSE,
    Shop,
    build_shop,
    open_return,
)

PRODUCTS = [
    {
        "sku": "BAG-1",
        "name": "Tote bag",
        "category": "apparel",
        "price": "49.90",
        "cost": "12",
        "stock": 7,
        "low_stock_threshold": 2,
        "returnable": True,
    },
    {
        "sku": "BAG-2",
        "name": "Backpack",
        "category": "apparel",
        "price": "199.00",
        "cost": "80.50",
        "stock": 3,
        "low_stock_threshold": 1,
        "returnable": False,
    },
]
CUSTOMERS = [
    {"external_id": "C-1", "name": "Wei", "phone": "+86 138 0000 0009", "language": "zh_Hans"},
    {"name": "Olga", "phone": "+79000000077", "email": "olga@example.com"},
]
ORDERS = [
    {
        "order_number": "WEB-100",
        "customer_phone": "+8613800000009",
        "channel": "web",
        "ordered_at": "2026-03-01T10:00:00+08:00",
        "delivered_at": "2026-03-03T12:00:00Z",
        "payment_method": "card",
        "lines": [
            {"sku": "BAG-1", "quantity": 2, "unit_price": "45.00"},
            {"sku": "BAG-2", "quantity": 1, "unit_price": "199.00"},
        ],
    }
]
MONEY = re.compile(r"^\d+\.\d{2}$")
CALLS = [
    ("PUT", "/api/v1/products"),
    ("PUT", "/api/v1/customers"),
    ("PUT", "/api/v1/orders"),
    ("GET", "/api/v1/returns"),
    ("GET", "/api/v1/returns/RMA-2026-000001"),
]


async def put(api, path, body):
    async with api.put(path, json=body) as response:
        return response.status, await response.json()


async def get(api, path, **params):
    async with api.get(path, params=params) as response:
        return response.status, await response.json()


# Tokens -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), CALLS)
@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic YWRtaW46YWRtaW4=", "Bearer"])
async def test_a_call_without_a_live_token_is_refused(anonymous, token, method, path, header):
    headers = {"Authorization": header} if header else {}
    async with anonymous.request(method, path, json=[], headers=headers) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await response.json())["error"] == "unauthorized"


async def test_a_revoked_token_is_refused(api):
    assert (await get(api, "/api/v1/returns"))[0] == 200
    [made] = await list_api_tokens(actor=ADMIN)
    await revoke_api_token(made.id, actor=ADMIN)
    status, body = await get(api, "/api/v1/returns")
    assert (status, body["error"]) == (401, "unauthorized")


async def test_the_openapi_document_is_served_without_a_token(anonymous):
    async with anonymous.get("/api/v1/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


# Upserts ------------------------------------------------------------------------------------


def upserted(created: int, updated: int, unchanged: int) -> tuple[int, dict[str, int]]:
    """An upsert's answer: 200 and how many items were new, changed or already so."""
    return 200, {"created": created, "updated": updated, "unchanged": unchanged}


async def test_products_land_and_sending_them_again_changes_nothing(api):
    assert await put(api, "/api/v1/products", PRODUCTS) == upserted(2, 0, 0)
    assert await put(api, "/api/v1/products", PRODUCTS) == upserted(0, 0, 2)
    bag = await Product.get(sku="BAG-1")
    assert (str(bag.price), str(bag.cost), bag.returnable) == ("49.90", "12.00", True)
    assert bag.updated_by == "api:erp"
    level = await StockLevel.get(product=bag, location="sellable")
    assert level.quantity == 7
    assert await Product.all().count() == 2


@pytest.mark.parametrize("kind", ["products", "customers"])
async def test_the_document_counts_a_repeated_upsert_as_the_answer_does(api, kind):
    items = PRODUCTS if kind == "products" else CUSTOMERS
    await put(api, f"/api/v1/{kind}", items)
    again = await put(api, f"/api/v1/{kind}", items)
    description = openapi_document()["paths"][f"/api/v1/{kind}"]["put"]["description"]
    assert again == upserted(0, 0, len(items))
    assert "counts every item as unchanged" in description
    assert "as updated" not in description


async def test_a_changed_product_is_updated_in_place(api):
    await put(api, "/api/v1/products", PRODUCTS)
    changed = [{**PRODUCTS[0], "price": "59.90", "stock": 5}]
    assert await put(api, "/api/v1/products", changed) == upserted(0, 1, 0)
    bag = await Product.get(sku="BAG-1")
    assert str(bag.price) == "59.90"
    assert (await StockLevel.get(product=bag, location="sellable")).quantity == 5


async def test_customers_and_orders_land_and_are_idempotent(api):
    await put(api, "/api/v1/products", PRODUCTS)
    assert await put(api, "/api/v1/customers", CUSTOMERS) == upserted(2, 0, 0)
    assert await put(api, "/api/v1/customers", CUSTOMERS) == upserted(0, 0, 2)
    assert await put(api, "/api/v1/orders", ORDERS) == upserted(1, 0, 0)
    assert await put(api, "/api/v1/orders", ORDERS) == upserted(0, 0, 1)
    wei = await Customer.get(external_id="C-1")
    assert (wei.phone, wei.language) == ("+8613800000009", "zh_Hans")
    order = await Order.get(number="WEB-100")
    assert order.customer_id == wei.id
    lines = await OrderLine.filter(order=order).prefetch_related("product").order_by("id")
    assert sorted((x.product.sku, x.quantity, str(x.unit_price)) for x in lines) == [
        ("BAG-1", 2, "45.00"),
        ("BAG-2", 1, "199.00"),
    ]


@pytest.mark.parametrize(
    ("path", "bad", "reason", "params"),
    [
        (
            "/api/v1/products",
            {**PRODUCTS[1], "price": "12.345"},
            "invalid_amount",
            {"field": "price"},
        ),
        ("/api/v1/products", {**PRODUCTS[1], "price": 199.0}, "invalid_amount", {"field": "price"}),
        ("/api/v1/products", {**PRODUCTS[1], "stock": "3"}, "invalid_integer", {"field": "stock"}),
        ("/api/v1/products", {**PRODUCTS[1], "name": "  "}, "missing_value", {"field": "name"}),
        (
            "/api/v1/products",
            {**PRODUCTS[1], "colour": "red"},
            "unknown_field",
            {"field": "colour"},
        ),
        ("/api/v1/products", {**PRODUCTS[1], "sku": "BAG-1"}, "duplicate_sku", {"first_line": "0"}),
        (
            "/api/v1/products",
            {**PRODUCTS[1], "name": "nul\x00"},
            "control_character",
            {"field": "name", "character": "U+0000"},
        ),
        (
            "/api/v1/products",
            {**PRODUCTS[1], "sku": "QA\n2"},
            "control_character",
            {"field": "sku", "character": "U+000A"},
        ),
        (
            "/api/v1/customers",
            {**CUSTOMERS[1], "external_id": "C\x852"},
            "control_character",
            {"field": "external_id", "character": "U+0085"},
        ),
        ("/api/v1/products", {**PRODUCTS[1], "name": "\ud800"}, "invalid_type", {"field": "name"}),
        ("/api/v1/customers", {**CUSTOMERS[1], "phone": "call me"}, "invalid_phone", {}),
        ("/api/v1/customers", {**CUSTOMERS[1], "language": "de"}, "invalid_language", {}),
    ],
)
async def test_one_bad_item_lands_nothing_and_is_named(api, path, bad, reason, params):
    good = PRODUCTS[0] if "products" in path else CUSTOMERS[0]
    status, body = await put(api, path, [good, bad])
    assert status == 422
    assert body["error"] == "invalid_rows"
    [row] = body["rows"]
    assert (row["index"], row["reason"]) == (1, reason)
    assert params.items() <= row["params"].items()
    assert await Product.all().count() == 0
    assert await Customer.all().count() == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": 1, "unit_price": "1.00"}]}, "unknown_sku"),
        ({"customer_phone": "+10000000000"}, "unknown_customer"),
        ({"ordered_at": "2026-03-01 10:00"}, "invalid_date"),
        ({"ordered_at": "0001-01-01T00:00:00+01:00"}, "date_out_of_range"),
        ({"delivered_at": "9999-12-31T23:00:00-05:00"}, "date_out_of_range"),
        ({"delivered_at": "2026-02-01T00:00:00Z"}, "delivered_before_ordered"),
        ({"lines": []}, "invalid_lines"),
        ({"lines": [{"sku": "BAG-1", "quantity": 0, "unit_price": "1.00"}]}, "invalid_integer"),
    ],
)
async def test_a_bad_order_lands_no_order(api, change, reason):
    await put(api, "/api/v1/products", PRODUCTS)
    await put(api, "/api/v1/customers", CUSTOMERS)
    good = {**ORDERS[0], "order_number": "WEB-99"}
    status, body = await put(api, "/api/v1/orders", [good, {**ORDERS[0], **change}])
    assert status == 422
    assert {(row["index"], row["reason"]) for row in body["rows"]} == {(1, reason)}
    assert await Order.all().count() == 0


async def test_one_order_number_twice_in_a_call_is_refused(api):
    await put(api, "/api/v1/products", PRODUCTS)
    await put(api, "/api/v1/customers", CUSTOMERS)
    status, body = await put(api, "/api/v1/orders", ORDERS * 2)
    assert status == 422
    assert body["rows"] == [
        {"index": 1, "reason": "duplicate_order_number", "params": {"first_index": "0"}}
    ]


@pytest.mark.parametrize("text", ["QA\n2", "tab\there", "del\x7f", "c1\x9b"])
def test_the_document_allows_no_control_character_in_a_text_field(text):
    components = openapi_document()["components"]
    schema = {**components["schemas"]["Product"], "components": components}
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.Draft202012Validator(schema).validate({**PRODUCTS[0], "name": text})
    jsonschema_rs.Draft202012Validator(schema).validate({**PRODUCTS[0], "name": "Tote «bag» 包"})


async def test_bad_items_and_a_repeated_order_number_are_named_in_one_answer(api):
    bad = {**ORDERS[0], "order_number": "WEB-101", "channel": ""}
    status, body = await put(api, "/api/v1/orders", [ORDERS[0], bad, ORDERS[0]])
    assert status == 422
    assert [(row["index"], row["reason"]) for row in body["rows"]] == [
        (1, "missing_value"),
        (2, "duplicate_order_number"),
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe\x00", "malformed_json"),
        (b"[" * 100_000, "malformed_json"),
        (b'{"sku": "X"}', "wrong_shape"),
        (b"[1, 2]", "wrong_shape"),
        (b"[" + b",".join([b"{}"] * 1001) + b"]", "too_many_items"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_a_bad_request(api, data, error):
    headers = {"Content-Type": "application/json"}
    async with api.put("/api/v1/products", data=data, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"] == error


async def _chunks():
    yield b"["
    for _ in range(20):
        yield b" " * 64 * 1024
    yield b"]"


@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_over_the_limit_is_refused(api, declared):
    data = io.BytesIO(b"[" + b" " * (1024 * 1024) + b"]") if declared else _chunks()
    async with api.put("/api/v1/products", data=data) as response:
        assert response.status == 413
        assert (await response.json())["error"] == "body_too_large"


# Returns ------------------------------------------------------------------------------------


@pytest.fixture
async def returns(db, clock):
    """Three requests a minute apart, the newest last."""
    shop = await build_shop(clock)
    made = []
    for items in ({"TEE-1": 1}, {"MUG-1": 1}, {"MUG-1": 2}):
        made.append(await open_return(shop, items))
        clock.advance(timedelta(minutes=1))
    return made


async def test_returns_are_listed_newest_first_a_page_at_a_time(api, returns):
    status, first = await get(api, "/api/v1/returns", limit="2")
    assert status == 200
    assert [r["number"] for r in first["items"]] == [returns[2].number, returns[1].number]
    assert first["next_cursor"]
    status, second = await get(api, "/api/v1/returns", limit="2", after=first["next_cursor"])
    assert [r["number"] for r in second["items"]] == [returns[0].number]
    assert second["next_cursor"] is None
    assert first["items"][0]["created_at"].endswith("+00:00")


async def test_returns_are_filtered_by_status_and_day(api, returns):
    status, body = await get(api, "/api/v1/returns", status="approved")
    assert (status, body["items"]) == (200, [])
    _, body = await get(api, "/api/v1/returns", since="2026-03-10", until="2026-03-10")
    assert len(body["items"]) == 3
    _, body = await get(api, "/api/v1/returns", since="2026-03-11")
    assert body["items"] == []
    _, body = await get(api, "/api/v1/returns", since="0001-01-01", until="9999-12-31")
    assert len(body["items"]) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"since": "10/03/2026"},
        {"until": "2026-02-30"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"after": "yesterday"},
    ],
)
async def test_a_bad_filter_is_a_bad_request(api, params):
    status, body = await get(api, "/api/v1/returns", **params)
    assert status == 400
    assert body["error"].startswith("invalid_")


async def test_one_return_is_read_with_lines_decision_and_events(api, returns):
    status, body = await get(api, f"/api/v1/returns/{returns[0].number}")
    assert status == 200
    assert (body["number"], body["status"], body["type"]) == (
        returns[0].number,
        "submitted",
        "refund",
    )
    [line] = body["lines"]
    assert (line["sku"], line["quantity"], line["unit_price"]) == ("TEE-1", 1, "100.00")
    assert MONEY.match(line["restocking_fee_percent"])
    assert line["replacement_unit_price"] is None
    assert body["order"] == {"number": "SO-1", "channel": "web"}
    assert isinstance(body["decision"]["eligible"], bool)
    assert body["events"][0]["to_status"] == "submitted"


@pytest.mark.parametrize("number", ["RMA-2099-999999", "x" * 50, "nul%00byte", "%F0%9F%92%A9"])
async def test_an_unknown_return_is_404_json(api, returns, number):
    async with api.get(f"/api/v1/returns/{number}") as response:
        assert response.status == 404
        assert (await response.json())["error"] == "not_found"


# Money on a return: refunds, exchange payments, the replacement's parcel ----------------------


async def inspected(shop: Shop, request_id: int) -> None:
    """Approve, receive and inspect a request's one line as resellable."""
    clock = shop.clock
    await approve_return(request_id, actor=REVIEWER, clock=clock)
    line = await ReturnLine.get(request_id=request_id)
    await receive_return(request_id, {line.id: line.quantity}, actor=WAREHOUSE, clock=clock)
    grades = {line.id: Grades(resellable=line.quantity)}
    await inspect_return(request_id, grades, actor=WAREHOUSE, clock=clock)


@pytest.fixture
async def settled(db, clock):
    """A refund paid in two parts (a bank transfer, then store credit), and an exchange for a
    dearer replacement whose difference was paid and which has shipped."""
    shop = await build_shop(clock)
    refund = await open_return(shop, {"MUG-1": 1})
    await inspected(shop, refund.id)
    for method, amount, reference in (
        (RefundMethod.BANK_TRANSFER, "30.00", "BANK-20260310-1"),
        (RefundMethod.STORE_CREDIT, "50.00", ""),
    ):
        clock.advance(timedelta(hours=1))
        await refund_return(
            refund.id,
            actor=FINANCE,
            clock=clock,
            method=method,
            amount=Decimal(amount),
            reference=reference,
        )
    exchange = await open_return(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    await inspected(shop, exchange.id)
    await record_exchange_payment(
        exchange.id, Decimal("50.00"), actor=FINANCE, clock=clock, reference="PAY-7"
    )
    await ship_replacement(exchange.id, "SF1234567890", actor=WAREHOUSE, clock=clock)
    return refund.number, exchange.number


def assert_documented(body: dict[str, object]) -> None:
    """``body`` is a ReturnDetail as the OpenAPI document describes it."""
    components = openapi_document()["components"]
    schema = {**components["schemas"]["ReturnDetail"], "components": components}
    jsonschema_rs.Draft202012Validator(schema).validate(body)


async def test_a_return_shows_each_refund_with_its_method_reference_and_time(api, settled, clock):
    status, body = await get(api, f"/api/v1/returns/{settled[0]}")
    assert status == 200
    assert_documented(body)
    assert body["status"] == "refunded"
    assert [(r["amount"], r["method"], r["reference"]) for r in body["refunds"]] == [
        ("30.00", "bank_transfer", "BANK-20260310-1"),
        ("50.00", "store_credit", ""),
    ]
    first, second = (r["created_at"] for r in body["refunds"])
    assert first.endswith("+00:00")
    assert first < second
    assert body["payments"] == []
    assert body["replacement_tracking_number"] == ""


async def test_an_exchange_shows_its_payment_and_the_replacements_tracking(api, settled):
    status, body = await get(api, f"/api/v1/returns/{settled[1]}")
    assert status == 200
    assert_documented(body)
    assert body["status"] == "exchanged"
    [payment] = body["payments"]
    assert (payment["amount"], payment["reference"]) == ("50.00", "PAY-7")
    assert payment["created_at"].endswith("+00:00")
    assert body["replacement_tracking_number"] == "SF1234567890"
    assert body["refunds"] == []


# Errors and sessions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/api/v1/nowhere", 404, "not_found"),
        ("GET", "/api/v2/returns", 404, "not_found"),
        ("DELETE", "/api/v1/returns", 405, "method_not_allowed"),
        ("POST", "/api/v1/products", 405, "method_not_allowed"),
    ],
)
async def test_unknown_paths_and_methods_answer_as_json(api, method, path, status, error):
    async with api.request(method, path) as response:
        assert response.status == status
        assert response.content_type == "application/json"
        body = await response.json()
        allow = response.headers.get("Allow", "")
    assert body["error"] == error
    assert body["message"]
    if status == 405:
        assert allow


async def test_a_failing_view_answers_500_as_json(api, returns, monkeypatch, caplog):
    async def boom(number):
        raise RuntimeError("boom-4711")

    monkeypatch.setattr("backoffice.views.api.read_return", boom)
    async with api.get(f"/api/v1/returns/{returns[0].number}") as response:
        assert response.status == 500
        body = await response.json()
    assert body == {"error": "internal_error", "message": "Something went wrong."}
    assert any("boom-4711" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


API_CALLS = [
    ("GET", "/api/v1/returns", None),
    ("GET", "/api/v1/returns/RMA-2099-999999", None),
    ("GET", "/api/v1/openapi.json", None),
    ("PUT", "/api/v1/products", []),
    ("PUT", "/api/v1/products", {"not": "an array"}),
    ("GET", "/api/v1/nowhere", None),
    ("POST", "/api/v1/returns", None),
]


@pytest.mark.parametrize("with_token", [True, False])
async def test_the_api_never_sets_or_touches_a_session_cookie(
    server, api, anonymous, returns, with_token
):
    client = api if with_token else anonymous
    for method, path, body in API_CALLS:
        async with client.request(method, path, json=body) as response:
            assert "Set-Cookie" not in response.headers, (method, path)


async def test_a_staff_members_session_cookie_is_left_alone_by_the_api(server, token, returns):
    """A browser signed in to the back-office that also calls the API keeps its session as
    it was: the API neither reads, renews nor ends it."""
    jar = aiohttp.CookieJar(unsafe=True)
    jar.update_cookies({"returndesk_session": "whatever-the-back-office-set"})
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base_url=server, cookie_jar=jar, headers=headers) as client:
        for method, path, body in API_CALLS:
            async with client.request(method, path, json=body) as response:
                assert "Set-Cookie" not in response.headers, (method, path)
    [cookie] = [c for c in jar if c.key == "returndesk_session"]
    assert cookie.value == "whatever-the-back-office-set"
