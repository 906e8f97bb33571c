"""The emulator's chat page, where a person plays a customer (the demo): sharing one's own
contact as Telegram does, the bot's answers to button presses shown over the chat, and the
staff chat (a group) read beside the customers' chats."""

from __future__ import annotations

import re

import pytest

from jobs.outbox import deliver_due
from services.digest import send_daily_digest
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


async def test_the_staff_chat_is_read_beside_the_customers_chats(stack: Stack) -> None:
    emu = stack.desk.emu
    li = emu.create_user("Li", phone_number=PHONE)
    staff = emu.create_group("Shop staff", members=[li["id"]])
    await send_daily_digest(stack.clock)  # a staff alert, through the outbox to the group
    app = stack.desk.app
    await deliver_due(
        app.bot, app.bot_data["renderer"], clock=stack.clock, staff_chat_id=staff["id"]
    )
    [digest] = emu.messages(staff["id"])
    await emu.send_text(li["id"], "On it", chat_id=staff["id"])  # a member writes there
    page = await stack.new_page()
    await page.goto(f"{emu.url}/_emulator/chat")
    await page.locator("#composer").wait_for()  # Li's chat, where one writes

    await page.select_option("#chats", label="Shop staff")

    first_line = digest["message"]["text"].splitlines()[0]
    await page.locator(".msg.bot", has_text=first_line).wait_for()
    assert await page.inner_text(".msg.user .meta") == "Li · #2"
    assert await page.is_visible("#read-only")
    assert not await page.is_visible("#composer")
    labels = await page.eval_on_selector_all(
        "#chats optgroup", "groups => groups.map(g => g.label)"
    )
    assert labels == ["Private chats", "Groups (read-only)"]
    await stack.shot(page, "chat-staff-group")
