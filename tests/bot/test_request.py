"""The bot's aiohttp client for the Bot API, against the emulator: what PTB sends arrives, files
go both ways, and failures come back as the errors PTB and the outbox sender expect."""

from __future__ import annotations

import socket
import traceback
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.app import file_url
from bot.request import AiohttpRequest
from emulator import Emulator

TOKEN = "424242:RETURNDESK-REQUEST"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN) as emulator:
        yield emulator


def bot_for(base_url: str, request: AiohttpRequest | None = None) -> Bot:
    return Bot(
        TOKEN,
        base_url=base_url,
        base_file_url=file_url(base_url),
        request=request or AiohttpRequest(),
    )


async def test_message_with_markup_arrives_as_sent(emu: Emulator) -> None:
    chat_id = emu.create_user("Ann")["id"]
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes & no", callback_data="a:1")]])
    async with bot_for(emu.base_url) as bot:
        sent = await bot.send_message(
            chat_id, "<b>Über</b> 100 ₽", parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
    received = await emu.next_bot_message(chat_id)
    assert received["message_id"] == sent.message_id
    assert received["text"] == "<b>Über</b> 100 ₽"
    button = received["reply_markup"]["inline_keyboard"][0][0]
    assert (button["text"], button["callback_data"]) == ("Yes & no", "a:1")


async def test_uploaded_file_downloads_byte_for_byte(emu: Emulator) -> None:
    chat_id = emu.create_user("Ann")["id"]
    data = bytes(range(256)) * 4
    async with bot_for(emu.base_url) as bot:
        sent = await bot.send_photo(chat_id, data, caption="a photo")
        stored = await bot.get_file(sent.photo[-1].file_id)
        assert bytes(await stored.download_as_bytearray()) == data


async def test_rate_limit_is_retry_after(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # as the runtime runs PTB
    chat_id = emu.create_user("Ann")["id"]
    emu.inject("retry_after", method="sendMessage", retry_after=7)
    async with bot_for(emu.base_url) as bot:
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(chat_id, "hello")
    assert raised.value.retry_after.total_seconds() == 7


async def test_slow_answer_is_timed_out(emu: Emulator) -> None:
    chat_id = emu.create_user("Ann")["id"]
    async with bot_for(emu.base_url, AiohttpRequest(read_timeout=0.05)) as bot:
        emu.inject("latency", method="sendMessage", delay=1.0)
        with pytest.raises(TimedOut):
            await bot.send_message(chat_id, "hello")


def logged(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


async def test_unreachable_server_is_network_error() -> None:
    with socket.socket() as unused:  # a port nobody listens on once closed
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    bot = bot_for(f"http://127.0.0.1:{port}/bot")
    async with bot.request:
        with pytest.raises(NetworkError) as raised:
            await bot.get_me()
    assert "ClientConnectorError" in str(raised.value)
    assert TOKEN not in logged(raised.value)


async def test_error_naming_the_url_does_not_show_the_token() -> None:
    bot = bot_for("http://127.0.0.1:99999/bot")  # aiohttp's error is the URL itself
    async with bot.request:
        with pytest.raises(NetworkError) as raised:
            await bot.get_me()
    assert "InvalidUrlClientError: http://127.0.0.1:99999/…" in str(raised.value)
    assert TOKEN not in logged(raised.value)
