"""Fixtures: an emulator, a PTB Bot pointed at it and a polling PTB echo application."""

import asyncio
import html
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from emulator import Emulator

TOKEN = "123456:EMULATOR-TEST"
WAIT = 5.0


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as ptb_bot:
        yield ptb_bot


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    button = KeyboardButton("Share phone", request_contact=True)
    keyboard = ReplyKeyboardMarkup([[button]], one_time_keyboard=True)
    name = html.escape(update.effective_user.first_name)
    await update.message.reply_html(f"Welcome, <b>{name}</b>!", reply_markup=keyboard)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data.setdefault("seen", []).append(update.update_id)
    buttons = [InlineKeyboardButton("Yes", callback_data="yes")]
    buttons.append(InlineKeyboardButton("No", callback_data="no"))
    reply = f"You said: {update.message.text}"
    await update.message.reply_text(reply, reply_markup=InlineKeyboardMarkup([buttons]))


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    contact = update.message.contact
    owner = "Own" if contact.user_id == update.effective_user.id else "Foreign"
    reply = f"{owner} contact {contact.phone_number}"
    await update.message.reply_text(reply, reply_markup=ReplyKeyboardRemove())


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    photo_file = await update.message.photo[-1].get_file()
    data = bytes(await photo_file.download_as_bytearray())
    await update.message.reply_photo(
        data, caption=f"Got <b>{len(data)}</b> bytes", parse_mode="HTML"
    )


async def on_sticker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"Sticker {update.message.sticker.emoji}")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"Picked {query.data}")
    await query.edit_message_text(f"Chosen: <i>{html.escape(query.data)}</i>", parse_mode="HTML")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.bot_data["errors"].put_nowait(context.error)


def build_echo_app(emu: Emulator) -> Application:
    """A tiny PTB application talking to the emulator over HTTP."""
    builder = ApplicationBuilder().token(TOKEN)
    app = builder.base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    app.bot_data["errors"] = asyncio.Queue()
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.Sticker.ALL, on_sticker))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app


@pytest.fixture
async def echo_app(emu: Emulator) -> AsyncIterator[Application]:
    """The echo application, initialized and processing updates, but not polling."""
    app = build_echo_app(emu)
    async with app:
        await app.start()
        yield app
        await app.stop()


@pytest.fixture
async def polling_app(echo_app: Application) -> AsyncIterator[Application]:
    """The echo application receiving updates by long polling."""
    await echo_app.updater.start_polling(timeout=2)
    yield echo_app
    await echo_app.updater.stop()


@pytest.fixture
async def control(emu: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client of the emulator's control API (under /_emulator)."""
    async with aiohttp.ClientSession(f"{emu.url}/") as session:
        yield session


async def send(session: aiohttp.ClientSession, verb: str, path: str, **kwargs: Any) -> Any:
    """Call the control API: (status, JSON body)."""
    async with session.request(verb, f"_emulator/{path}", **kwargs) as response:
        return response.status, await response.json()
