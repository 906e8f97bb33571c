"""The bot's one handler: every private-chat update goes to the chat service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace

from telegram import Bot, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.i18n import Renderer
from bot.render import send_reply
from domain.clock import Clock
from services.chat import Incoming, Outcome, handle_incoming
from services.chat.state import language_from_telegram
from services.health import DATABASE_DOWN

log = logging.getLogger(__name__)

CLOCK, RENDERER = "clock", "renderer"


def parse_update(update: Update) -> Incoming | None:
    """Turn a private-chat update into the chat service's input (None: not for us)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return None
    incoming = Incoming(update.update_id, chat.id, user.id, user.language_code or "")
    if update.callback_query is not None:
        return replace(incoming, press=update.callback_query.data or "")
    if update.message is None:
        return None
    return _with_message(incoming, update.message)


def _with_message(incoming: Incoming, message: Message) -> Incoming:
    if message.contact is not None:
        contact = message.contact
        return replace(
            incoming, contact_phone=contact.phone_number, contact_user_id=contact.user_id
        )
    if message.photo:
        file_id = message.photo[-1].file_id
        return replace(incoming, photo_file_id=file_id, text=message.caption or "")
    text = message.text or ""
    if text.startswith("/"):
        command, _, argument = text[1:].partition(" ")
        name = command.split("@")[0].lower()
        return replace(incoming, command=name, argument=argument.strip())
    if text:
        return replace(incoming, text=text)
    return replace(incoming, other="unsupported")


async def send_outcome(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, outcome: Outcome
) -> None:
    """Answer the button press (if any) while sending every reply, in order."""
    renderer: Renderer = context.bot_data[RENDERER]
    sending = _send_replies(context.bot, chat_id, outcome, renderer)
    if update.callback_query is None:
        await sending
        return
    notice = renderer.word(outcome.notice, outcome.language) if outcome.notice else None
    # the answer only stops the button's spinner: it need not wait for the replies, nor they for it
    await asyncio.gather(update.callback_query.answer(notice), sending)


async def _send_replies(bot: Bot, chat_id: int, outcome: Outcome, renderer: Renderer) -> None:
    for reply in outcome.replies:
        await send_reply(bot, chat_id, reply, renderer, outcome.language)


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand the update to the chat service and send what it says."""
    incoming = parse_update(update)
    if incoming is None:
        return
    outcome = await _handle_patiently(incoming, context.bot_data[CLOCK])
    if outcome.duplicate:
        if update.callback_query is not None:
            # answered the first time round; Telegram refuses a second answer
            with contextlib.suppress(BadRequest):
                await update.callback_query.answer()
        return
    await send_outcome(update, context, incoming.chat_id, outcome)


DATABASE_RETRY_DELAYS = (0.5, 1, 2, 4, 8, 15, 30)


async def _handle_patiently(incoming: Incoming, clock: Clock) -> Outcome:
    """Handle the update; while the database is away (a restart), wait and try again, so
    the customer's message is not lost — each try is one transaction, so none is doubled."""
    for delay in DATABASE_RETRY_DELAYS:
        try:
            return await handle_incoming(incoming, clock=clock)
        except DATABASE_DOWN as error:
            log.warning(
                "database unavailable (%s); retrying update %s in %ss",
                type(error).__name__,
                incoming.update_id,
                delay,
            )
            await asyncio.sleep(delay)
    return await handle_incoming(incoming, clock=clock)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the customer to try again, in their language."""
    log.error("update failed", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    renderer: Renderer = context.bot_data[RENDERER]
    user = update.effective_user
    language = language_from_telegram(user.language_code or "") if user else "en"
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(
            update.effective_chat.id, renderer.word("error.try_again", language)
        )
