"""Delivering the outbox through the bot, honouring Telegram's limits and answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.i18n import Renderer
from bot.render import send_reply
from domain.clock import Clock
from services.health import DATABASE_DOWN
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

log = logging.getLogger(__name__)
# How long to keep trying to record a delivery while the database restarts (about a minute):
# well under the claim's lease (services.outbox.LEASE), after which it would be sent again.
RECORD_RETRY_DELAYS = (0.5, 1, 2, *[3] * 18)


async def deliver_due(
    bot: Bot,
    renderer: Renderer,
    *,
    clock: Clock,
    staff_chat_id: int | None,
    staff_language: str = "en",
    limit: int = 50,
) -> int:
    """Claim due messages and send each once (the staff chat's in ``staff_language``); return
    how many reached Telegram."""
    deliveries = await claim_due(
        clock.now(), staff_chat_id=staff_chat_id, staff_language=staff_language, limit=limit
    )
    sent = await asyncio.gather(*(_deliver(bot, renderer, d, clock) for d in deliveries))
    return sum(sent)


async def _deliver(bot: Bot, renderer: Renderer, delivery: Delivery, clock: Clock) -> bool:
    record: partial[Coroutine[Any, Any, bool]]
    try:
        await send_reply(
            bot, delivery.chat_id, notification_reply(delivery), renderer, delivery.language
        )
    except Forbidden as error:
        record = partial(mark_unreachable, delivery, clock.now(), str(error))
    except RetryAfter as error:
        record = partial(defer, delivery, clock.now() + _as_delta(error.retry_after), str(error))
    except BadRequest as error:
        record = partial(finish, delivery, Status.DEAD, clock.now(), str(error))
    except NetworkError as error:
        record = partial(mark_failed, delivery, clock.now(), str(error))
    else:
        record = partial(mark_sent, delivery, clock.now())
    if not await _record(record):
        # The send outlasted the lease and another instance claimed the message: what it
        # records stands (sent, or to be retried by it), and this late answer is dropped.
        log.warning(
            "outbox message %s: lease ran out during the send and another instance claimed"
            " it; %s not recorded",
            delivery.id,
            record.func.__name__,
        )
    return record.func is mark_sent


async def _record(write: Callable[[], Awaitable[bool]]) -> bool:
    """Record how a delivery went, waiting out a database restart: a message that reached
    Telegram but stayed 'sending' would be sent again once its lease ran out. Tell whether
    it was recorded (False: the claim was lost to another instance)."""
    for delay in RECORD_RETRY_DELAYS:
        try:
            return await write()
        except DATABASE_DOWN as error:
            log.warning(
                "database unavailable (%s); recording again in %ss", type(error).__name__, delay
            )
            await asyncio.sleep(delay)
    return await write()


def _as_delta(retry_after: int | timedelta) -> timedelta:
    """PTB gives seconds, or a timedelta when PTB_TIMEDELTA is set (as the runtime does)."""
    return retry_after if isinstance(retry_after, timedelta) else timedelta(seconds=retry_after)
