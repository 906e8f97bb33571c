"""The back-office on a 375×812 phone: the queue fits the screen's width with every column
readable, the menu leaves most of the first screen to the page, and the request page offers
the stage's main action first, with cancelling styled apart; no page hides a table's column."""

from __future__ import annotations

import os

import pytest

from domain.returns import ReturnType
from models import Customer, Message, ReturnEvent, ReturnRequest, StaffUser, StockLevel
from tests.browser.conftest import Stack, StaffPage
from tests.factories import open_return
from tests.services.test_returns import approved, inspected

PHONE = {"width": 375, "height": 812}
LANGUAGES = ["en", "zh_Hans", "ru"]
COLUMNS = {"Reason": 4, "Customer": 5, "Opened": 7}  # of the queue's table


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


async def on_a_phone(stack: Stack, username: str, language: str) -> StaffPage:
    await StaffUser.filter(username=username).update(language=language)
    staff = await stack.sign_in(username, phone=True)
    await staff.page.set_viewport_size(PHONE)
    return staff


async def shot(staff: StaffPage, name: str) -> None:
    """A picture for a person to look at, when RETURNDESK_PHONE_SHOTS names a folder."""
    folder = os.environ.get("RETURNDESK_PHONE_SHOTS")
    if folder:
        await staff.page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_queue_fits_a_phone_and_the_menu_leaves_the_screen_to_it(
    stack: Stack, language: str
) -> None:
    for sku in ("TEE-1", "MUG-1"):
        await open_return(stack.desk.shop, {sku: 1})
    admin = await on_a_phone(stack, "admin", language)  # the longest menu

    await admin.goto("/returns")
    await shot(admin, f"phone-queue-{language}")

    page = admin.page
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    menu = await page.locator("header.top nav").bounding_box()
    assert menu is not None
    assert menu["y"] + menu["height"] < PHONE["height"] / 3
    for column in ("Reason", "Customer", "Opened"):
        cells = page.locator(f"table.queue td:nth-child({COLUMNS[column]})")
        assert await cells.count() == 2
        box = await cells.first.bounding_box()
        assert box is not None
        assert await cells.first.is_visible(), column
        assert box["x"] >= 0, column
        assert box["x"] + box["width"] <= PHONE["width"], column


async def test_the_warehouse_sees_receiving_first_and_cancelling_apart(stack: Stack) -> None:
    request = await approved(stack.desk.shop)
    wang = await on_a_phone(stack, "warehouse", "en")

    await wang.goto(f"/returns/{request.id}")
    await shot(wang, "phone-request-warehouse")

    receive = wang.page.locator("form.action-receive button[type=submit]")
    cancel = wang.page.locator("form.action-cancel button[type=submit]")
    first, last = await receive.bounding_box(), await cancel.bounding_box()
    assert first is not None
    assert last is not None
    assert first["y"] < last["y"]
    colours = "(b) => getComputedStyle(b).backgroundColor + getComputedStyle(b).color"
    assert await receive.evaluate(colours) != await cancel.evaluate(colours)


HIDDEN_CELLS = """() => [...document.querySelectorAll('main td')]
    .filter((cell) => getComputedStyle(cell).display === 'none')
    .map((cell) => cell.textContent.trim())"""


async def test_no_page_hides_a_column_on_a_phone(stack: Stack) -> None:
    shop = stack.desk.shop
    exchange = await inspected(shop, {"TEE-1": 1}, kind=ReturnType.EXCHANGE, replacement="TEE-2")
    await StockLevel.filter(location="sellable").update(quantity=1)  # low stock on the dashboard
    admin = await on_a_phone(stack, "admin", "en")
    pages = (
        f"/returns/{exchange.id}",
        "/",
        "/customers",
        f"/customers/{shop.customer.id}",
        "/staff",
        "/tokens",
        "/audit",
        "/inventory",
        "/imports",
    )
    for path in pages:
        await admin.goto(path)
        await shot(admin, "phone" + path.replace("/", "-"))

        assert await admin.page.evaluate(HIDDEN_CELLS) == [], path
        width = await admin.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], path
    await admin.goto(f"/returns/{exchange.id}")
    items = await admin.page.inner_text("table.items")
    assert "TEE-2" in items  # the replacement the warehouse ships
    assert "1/0/0" in items  # and how the returned unit was graded


LONG_WORD = "x" * 2000
LINES = "First line\nSecond line\n\nAfter a blank line"


async def test_long_words_wrap_and_line_breaks_stay_on_a_phone(stack: Stack) -> None:
    shop = stack.desk.shop
    request = await open_return(shop)
    await ReturnRequest.filter(id=request.id).update(description=f"{LONG_WORD}\n{LINES}")
    for text, from_customer in ((LONG_WORD, True), (LINES, False)):
        await Message.create(
            request_id=request.id,
            author="customer" if from_customer else "admin",
            from_customer=from_customer,
            text=text,
            created_at=shop.clock.now(),
        )
    await ReturnEvent.create(
        request_id=request.id,
        actor="admin",
        action="note",
        to_status=request.status,
        note=f"{LONG_WORD}\n{LINES}",
        created_at=shop.clock.now(),
    )
    await Customer.filter(id=shop.customer.id).update(email=f"{'e' * 180}@example.com")
    admin = await on_a_phone(stack, "admin", "en")

    for path in (f"/returns/{request.id}", f"/customers/{shop.customer.id}"):
        await admin.goto(path)
        await shot(admin, "phone-long-text" + path.replace("/", "-"))
        width = await admin.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], path

    await admin.goto(f"/returns/{request.id}")
    page = admin.page
    assert LINES in await page.inner_text("blockquote")
    assert LINES in await page.inner_text("ol.thread li.staff")
    assert LINES in await page.inner_text("ol.timeline")
