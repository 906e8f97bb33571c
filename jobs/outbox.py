"""Delivering the outbox through the bot, honouring Telegram's limits and answers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.i18n import Renderer
from bot.render import send_reply
from domain.clock import Clock
from services.outbox import (
    Delivery,
    Status,
    claim_due,
    defer,
    finish,
    mark_failed,
    mark_sent,
    mark_unreachable,
    notification_reply,
)


async def deliver_due(
    bot: Bot, renderer: Renderer, *, clock: Clock, staff_chat_id: int | None, limit: int = 50
) -> int:
    """Claim due messages and send each once; return how many reached Telegram."""
    deliveries = await claim_due(clock.now(), staff_chat_id=staff_chat_id, limit=limit)
    sent = await asyncio.gather(*(_deliver(bot, renderer, d, clock) for d in deliveries))
    return sum(sent)


async def _deliver(bot: Bot, renderer: Renderer, delivery: Delivery, clock: Clock) -> bool:
    try:
        await send_reply(
            bot, delivery.chat_id, notification_reply(delivery), renderer, delivery.language
        )
    except Forbidden as error:
        await mark_unreachable(delivery, clock.now(), str(error))
    except RetryAfter as error:
        wait = timedelta(
            seconds=error.retry_after
            if isinstance(error.retry_after, int)
            else error.retry_after.total_seconds()
        )
        await defer(delivery, clock.now() + wait, str(error))
    except BadRequest as error:
        await finish(delivery.id, Status.DEAD, clock.now(), str(error))
    except NetworkError as error:
        await mark_failed(delivery, clock.now(), str(error))
    else:
        await mark_sent(delivery.id, clock.now())
        return True
    return False


def _as_delta(retry_after: int | timedelta) -> timedelta:
    """PTB gives seconds, or a timedelta when PTB_TIMEDELTA is set (as the runtime does)."""
    return retry_after if isinstance(retry_after, timedelta) else timedelta(seconds=retry_after)
