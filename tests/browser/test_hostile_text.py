"""Customer text in the browser: shown as text, never run; and the sign-in page's language.

The payloads reach the database the way customers send them (the chat) or as imported data
(the customer's name). A real browser then opens every page that shows them: no dialog may
open, no Content-Security-Policy violation may be reported (CSP is the second wall; the
first, escaping, must already hold), and the text reads exactly as typed.
"""

from __future__ import annotations

import pytest

from models import Customer
from tests.browser.conftest import Stack
from tests.e2e.flows import Chat, Draft

NAME = "<script>alert('name')</script>"
DESCRIPTION = '"><img src=x onerror=alert("description")>'
ANSWER = "<svg onload=alert('answer')>"
STAFF_TEXT = "</textarea><script>alert('staff')</script>"


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


async def test_hostile_customer_text_is_shown_and_never_run(stack: Stack) -> None:
    chat = Chat.open(stack.desk, "en")
    await chat.link()
    summary = await chat.open_until("summary", Draft(description=DESCRIPTION))
    request = await chat.confirm(summary)
    await Customer.filter(id=stack.desk.shop.customer.id).update(name=NAME)

    rita = await stack.sign_in("reviewer")
    dialogs: list[str] = []
    violations: list[str] = []
    rita.page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    rita.page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    assert await rita.act_on(request.id, "ask", question="Photo of the label, please?") == "ok"
    assert await stack.deliver() == 1
    asked = await chat.next()
    await chat.press_data(asked, f"rp:{request.id}")
    await chat.next()
    await chat.say(ANSWER)
    await chat.expect("reply.done", number=request.number)

    # A staff message with markup goes to the customer as text, through the outbox.
    await rita.goto(f"/returns/{request.id}")
    await rita.page.fill("form[action$='/message'] textarea[name=text]", STAFF_TEXT)
    await rita.submit("form[action$='/message'] button[type=submit]")
    assert await stack.deliver() == 1
    await chat.expect("notify.staff_message", number=request.number, text=STAFF_TEXT)

    for path in (
        "/",
        "/returns",
        "/returns?q=" + NAME,
        f"/returns/{request.id}",
        f"/returns/{request.id}/slip",
    ):
        await rita.goto(path)
        text = await rita.page.inner_text("body")
        if path != "/":
            assert NAME in text, path
        assert await rita.page.locator("script").count() == 0, path
        assert await rita.page.locator("img[src='x'], svg[onload]").count() == 0, path
    await rita.goto(f"/returns/{request.id}")
    thread = await rita.page.inner_text("ol.thread")
    assert ANSWER in thread
    assert STAFF_TEXT in thread
    assert DESCRIPTION in await rita.page.inner_text("blockquote")
    await rita.shot("request-hostile-text")
    assert dialogs == []
    assert violations == []


async def test_the_language_buttons_work_before_signing_in(stack: Stack) -> None:
    page = await stack.new_page()
    await page.goto(stack.url + "/login")
    assert await page.get_attribute("html", "lang") == "en"
    async with page.expect_navigation():
        await page.click("form.lang button[value=ru]")
    assert page.url == stack.url + "/login"
    assert await page.get_attribute("html", "lang") == "ru"
    async with page.expect_navigation():
        await page.click("form.lang button[value=zh_Hans]")
    assert await page.get_attribute("html", "lang") == "zh-Hans"
