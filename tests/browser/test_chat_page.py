"""The emulator's chat page, where a person plays a customer (the demo): sharing one's own
contact as Telegram does, and the bot's answers to button presses shown over the chat."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Stack
from tests.e2e.conftest import PHONE
from tests.e2e.flows import text


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


async def test_a_customer_links_by_their_own_number_and_sees_a_stale_button_refused(
    stack: Stack,
) -> None:
    stack.desk.emu.create_user("Li", phone_number=PHONE)  # the shop's customer's own number
    page = await stack.new_page()
    await page.goto(f"{stack.desk.emu.url}/_emulator/chat")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    await page.click("#contact")  # no number asked: Telegram sends the user's own
    linked = re.sub("<[^>]+>", "", text("en", "contact.linked", name=stack.desk.shop.customer.name))
    await page.locator(".msg.bot", has_text=linked).wait_for()
    await page.fill("#text", "/new")
    await page.click("#composer button")
    order = page.locator(".msg.bot button", has_text="SO-1")
    await order.click()
    await page.locator(".msg.bot", has_text="SO-1").nth(1).wait_for()  # the item step
    await order.click()  # the order list's button again: that step is over

    await page.locator("#notice", has_text=text("en", "notice.unavailable")).wait_for()
    assert dialogs == []
