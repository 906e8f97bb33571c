"""The real bot (python-telegram-bot over HTTP) against the emulator, on a fresh database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.i18n import Renderer, load_catalogs
from emulator import Emulator
from tests.factories import Shop, build_shop

TOKEN = "424242:RETURNDESK-E2E"
WAIT = 10.0
PHONE = "+8613800000001"


@dataclass
class Desk:
    """The emulator, the running bot and the shop behind it."""

    emu: Emulator
    app: Application
    shop: Shop

    async def restart(self) -> None:
        """Stop the bot and start a new Application, as a new process would."""
        await stop_bot(self.app)
        self.app = await start_bot(self.emu, self.shop.clock)


@dataclass
class Customer:
    """A Telegram user talking to the bot through the emulator."""

    desk: Desk
    user_id: int

    async def say(self, text: str) -> dict[str, Any]:
        return await self.desk.emu.send_text(self.user_id, text)

    async def command(self, name: str, args: str = "") -> dict[str, Any]:
        return await self.desk.emu.send_command(self.user_id, name, args)

    async def share_contact(self, phone: str = PHONE, owner: int | None = None) -> dict[str, Any]:
        return await self.desk.emu.share_contact(
            self.user_id, phone, contact_user_id=owner or self.user_id
        )

    async def photo(self, data: bytes = b"\x89PNG fake photo") -> dict[str, Any]:
        return await self.desk.emu.send_photo(self.user_id, data)

    async def reply(self) -> dict[str, Any]:
        """The bot's next message to this chat."""
        return await self.desk.emu.next_bot_message(self.user_id, wait=WAIT)

    async def press(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """Press the button whose label contains ``text``."""
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if text in button["text"]:
                    return await self.desk.emu.press_button(
                        self.user_id, message["message_id"], data=button["callback_data"]
                    )
        raise AssertionError(f"no button {text!r} in {message['reply_markup']}")


def renderer() -> Renderer:
    return Renderer(load_catalogs(), currency="CNY", zone=ZoneInfo("Asia/Shanghai"))


async def start_bot(emu: Emulator, clock) -> Application:
    app = build_application(TOKEN, base_url=emu.base_url, clock=clock, renderer=renderer())
    await app.initialize()
    await app.start()
    await app.updater.start_polling(timeout=1, poll_interval=0)
    return app


async def stop_bot(app: Application) -> None:
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


@pytest.fixture
async def desk(db, clock, monkeypatch) -> AsyncIterator[Desk]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    shop = await build_shop(clock)
    async with Emulator(token=TOKEN) as emu:
        app = await start_bot(emu, clock)
        desk = Desk(emu, app, shop)
        yield desk
        await stop_bot(desk.app)


def customer(desk: Desk, language: str = "en") -> Customer:
    user = desk.emu.create_user("Li", language_code=language)
    return Customer(desk, user["id"])


def bot_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors logged while setting up and running a test (an update that raised)."""
    records = caplog.get_records("setup") + caplog.get_records("call")
    return [
        f"{r.name}: {r.getMessage()} {r.exc_info[1] if r.exc_info else ''}"
        for r in records
        if r.levelno >= logging.ERROR
    ]


@pytest.fixture
def no_bot_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No update may end in an exception: the customer would be left without an answer."""
    yield
    assert bot_errors(caplog) == []
