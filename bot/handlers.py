"""The bot's one handler: every private-chat update goes to the chat service."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.i18n import Renderer
from services.chat import Incoming, Outcome, Reply, handle_incoming

CLOCK, RENDERER = "clock", "renderer"


def parse_update(update: Update) -> Incoming | None:
    """Turn a private-chat update into the chat service's input (None: not for us)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return None
    base = {"update_id": update.update_id, "chat_id": chat.id, "user_id": user.id}
    base["language_code"] = user.language_code or ""
    if update.callback_query is not None:
        return Incoming(**base, press=update.callback_query.data or "")
    message = update.message
    if message is None:
        return None
    return Incoming(**base, **_message_fields(message))


def _message_fields(message) -> dict:
    if message.contact is not None:
        return {
            "contact_phone": message.contact.phone_number,
            "contact_user_id": message.contact.user_id,
        }
    if message.photo:
        return {"photo_file_id": message.photo[-1].file_id, "text": message.caption or ""}
    text = message.text or ""
    if text.startswith("/"):
        command, _, argument = text[1:].partition(" ")
        return {"command": command.split("@")[0].lower(), "argument": argument.strip()}
    if text:
        return {"text": text}
    return {"other": "unsupported"}


def keyboard(reply: Reply, renderer: Renderer, language: str):
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


async def send_outcome(
    update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome
) -> None:
    """Answer the button press (if any) and send every reply."""
    renderer: Renderer = context.bot_data[RENDERER]
    language = outcome.language
    if update.callback_query is not None:
        notice = renderer.word(outcome.notice, language) if outcome.notice else None
        await update.callback_query.answer(notice)
    for reply in outcome.replies:
        await context.bot.send_message(
            update.effective_chat.id,
            renderer.text(reply, language),
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply, renderer, language),
        )


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand the update to the chat service and send what it says."""
    incoming = parse_update(update)
    if incoming is None:
        return
    outcome = await handle_incoming(incoming, clock=context.bot_data[CLOCK])
    if outcome.duplicate:
        if update.callback_query is not None:
            await update.callback_query.answer()
        return
    await send_outcome(update, context, outcome)
