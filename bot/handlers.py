"""The bot's one handler: every private-chat update goes to the chat service."""

from __future__ import annotations

import contextlib

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import Renderer
from bot.render import send_reply
from services.chat import Incoming, Outcome, handle_incoming

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


def _message_fields(message: Message) -> dict[str, object]:
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


async def send_outcome(
    update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome
) -> None:
    """Answer the button press (if any) and send every reply."""
    renderer: Renderer = context.bot_data[RENDERER]
    if update.callback_query is not None:
        notice = renderer.word(outcome.notice, outcome.language) if outcome.notice else None
        await update.callback_query.answer(notice)
    for reply in outcome.replies:
        await send_reply(context.bot, update.effective_chat.id, reply, renderer, outcome.language)


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand the update to the chat service and send what it says."""
    incoming = parse_update(update)
    if incoming is None:
        return
    outcome = await handle_incoming(incoming, clock=context.bot_data[CLOCK])
    if outcome.duplicate:
        if update.callback_query is not None:
            # answered the first time round; Telegram refuses a second answer
            with contextlib.suppress(BadRequest):
                await update.callback_query.answer()
        return
    await send_outcome(update, context, outcome)
