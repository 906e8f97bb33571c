"""Replies as Telegram messages: text in the chat's language, buttons as keyboards."""

from __future__ import annotations

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode

from bot.i18n import Renderer
from services.chat import Reply

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


def keyboard(reply: Reply, renderer: Renderer, language: str) -> Markup:
    """The reply's buttons as Telegram markup."""
    if reply.ask_contact:
        share = KeyboardButton(
            renderer.word("button.share_contact", language), request_contact=True
        )
        return ReplyKeyboardMarkup([[share]], one_time_keyboard=True, resize_keyboard=True)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    if not reply.buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(
                button.label or renderer.text(Reply(button.key, button.params), language),
                callback_data=button.data,
            )
            for button in row
        ]
        for row in reply.buttons
    ]
    return InlineKeyboardMarkup(rows)


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, renderer: Renderer, language: str
) -> None:
    """Send one reply as an HTML message with its keyboard."""
    await bot.send_message(
        chat_id,
        renderer.text(reply, language),
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(reply, renderer, language),
    )
