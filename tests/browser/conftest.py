"""The whole desk in one event loop, driven by a real browser.

A fresh database with the factory shop, the Telegram emulator, the real bot polling it, the
back-office served on 127.0.0.1 (a free port) and Playwright driving Debian's Chromium
through ``executable_path`` — never a downloaded browser. Staff sign in through the login
form; the customer talks through the emulator with the shared chat steps of
``tests.e2e.flows``. Notifications leave the outbox only when a test calls
:meth:`Stack.deliver` (the scheduler does not run), so each step's message is read right after
that step.

Without ``/usr/bin/chromium`` the tests are skipped, unless ``RETURNDESK_REQUIRE_BROWSER=1``
(CI) makes that a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from argon2 import PasswordHasher
from playwright.async_api import Browser, Page, async_playwright

from backoffice.app import create_app
from backoffice.keys import PHOTOS
from bot.app import download_file
from emulator import Emulator
from jobs.outbox import deliver_due
from services import staff as staff_accounts
from services.staff import add_staff_user
from tests.e2e.conftest import TOKEN, Desk, start_bot, stop_bot
from tests.factories import build_shop

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("RETURNDESK_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PASSWORD = "a-long-browser-password"
PHONE_VIEWPORT = {"width": 390, "height": 844}
STAFF = {
    "reviewer": ("reviewer",),
    "warehouse": ("warehouse",),
    "finance": ("finance",),
    "admin": ("admin",),
}
TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """Skip without the system Chromium — or fail, when CI requires the browser."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install chromium); Playwright never downloads one"
    if REQUIRE_BROWSER:
        pytest.fail(f"RETURNDESK_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@dataclass
class StaffPage:
    """One staff member's browser tab on the back-office."""

    page: Page
    stack: Stack
    username: str

    async def goto(self, path: str) -> None:
        await self.page.goto(self.stack.url + path)

    async def submit(self, selector: str) -> None:
        """Press a button or link and wait for the page the server answers with."""
        async with self.page.expect_navigation():
            await self.page.click(selector)

    async def open_from_queue(self, number: str) -> None:
        """Dashboard → the Returns menu → the request's row."""
        await self.goto("/")
        await self.submit("header nav a[href='/returns']")
        await self.submit(f"table.queue a:text-is('{number}')")
        assert await self.page.inner_text("h1") == f"{number} {await self.status()}"

    async def status(self) -> str:
        return await self.page.inner_text("h1 .status")

    async def status_key(self) -> str:
        classes = await self.page.get_attribute("h1 .status", "class") or ""
        return classes.replace("status", "").strip()

    async def actions(self) -> set[str]:
        """The action forms this page offers (their submit buttons must be visible too)."""
        found = set()
        for form in await self.page.query_selector_all("div.actions form"):
            classes = await form.get_attribute("class") or ""
            [name] = re.findall(r"action-([a-z_]+)", classes)
            assert await (await form.query_selector("button[type=submit]")).is_visible()
            found.add(name)
        return found

    async def act(self, action: str, **fields: str) -> str:
        """Fill ``fields`` of the action's form, press its button; the flash's kind."""
        form = f"div.actions form.action-{action}"
        for name, value in fields.items():
            target = f"{form} [name='{name}']"
            if await self.page.get_attribute(target, "type") == "hidden":
                raise AssertionError(f"{name} is not a visible field")
            tag = await self.page.eval_on_selector(target, "e => e.tagName")
            if tag == "SELECT":
                await self.page.select_option(target, value)
            else:
                await self.page.fill(target, value)
        await self.submit(f"{form} button[type=submit]")
        return await self.flash()

    async def act_on(self, return_id: int, action: str, **fields: str) -> str:
        """Open the request's page and take ``action`` there."""
        await self.goto(f"/returns/{return_id}")
        return await self.act(action, **fields)

    async def flash(self) -> str:
        classes = await self.page.get_attribute("p.flash", "class") or ""
        return classes.replace("flash", "").strip()

    async def flash_text(self) -> str:
        return await self.page.inner_text("p.flash")

    async def shot(self, name: str) -> Path:
        return await self.stack.shot(self.page, name)


@dataclass
class Stack:
    """The desk (emulator, bot, shop), the served back-office and the browser."""

    desk: Desk
    url: str
    browser: Browser

    @property
    def clock(self):
        return self.desk.shop.clock

    async def deliver(self) -> int:
        """Run the outbox sender once, as the scheduler would; how many messages went out."""
        bot = self.desk.app.bot
        return await deliver_due(
            bot, self.desk.app.bot_data["renderer"], clock=self.clock, staff_chat_id=None
        )

    async def new_page(self, **context: Any) -> Page:
        browser_context = await self.browser.new_context(
            base_url=self.url, locale="en-US", **context
        )
        browser_context.set_default_timeout(TIMEOUT_MS)
        return await browser_context.new_page()

    async def sign_in(self, username: str, *, phone: bool = False, shot: str = "") -> StaffPage:
        """Open a new browser (own cookies), sign in through the form; on the dashboard."""
        extra: dict[str, Any] = {}
        if phone:
            extra = {"viewport": PHONE_VIEWPORT, "is_mobile": True, "has_touch": True}
        page = await self.new_page(**extra)
        await page.goto(self.url + "/")
        assert page.url.startswith(self.url + "/login")
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", PASSWORD)
        if shot:
            await self.shot(page, shot)
        async with page.expect_navigation():
            await page.click("form[action='/login'] button[type=submit]")
        assert page.url == self.url + "/", page.url
        assert await page.inner_text("header .who") == username
        return StaffPage(page, self, username)

    async def shot(self, page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000
        return path


async def make_staff() -> None:
    for username, roles in STAFF.items():
        await add_staff_user(username, PASSWORD, roles)


@dataclass
class Served:
    url: str
    runner: web.AppRunner


async def serve(app: web.Application) -> Served:
    """Serve ``app`` on 127.0.0.1 on a port the system picks (no race for a free one)."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return Served(f"http://{host}:{port}", runner)


def backoffice(desk: Desk) -> web.Application:
    app = create_app(
        secret_key="browser-tests-secret",
        clock=desk.shop.clock,
        zone=ZoneInfo("Asia/Shanghai"),
        currency="CNY",
    )
    app[PHOTOS] = partial(download_file, desk.app.bot)
    return app


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with light parameters: each sign-in costs milliseconds, not 0.2 s."""
    monkeypatch.setattr(staff_accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
async def stack(db, clock, monkeypatch) -> AsyncIterator[Stack]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    shop = await build_shop(clock)
    await make_staff()
    async with Emulator(token=TOKEN) as emu, async_playwright() as playwright:
        desk = Desk(emu, await start_bot(emu, clock), shop)
        served = await serve(backoffice(desk))
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield Stack(desk, served.url, browser)
        finally:
            await browser.close()
            await served.runner.cleanup()
            await stop_bot(desk.app)
