"""A bot that only sends (no updates): the outbox sender of a separate instance or bench."""

from __future__ import annotations

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.app import RETRIES_ON_RETRY_AFTER, file_url

TELEGRAM_MESSAGES_PER_SECOND = 30


def sending_application(
    token: str, *, base_url: str, rate: float = TELEGRAM_MESSAGES_PER_SECOND
) -> Application:
    """An Application without an updater whose bot sends at most ``rate`` messages/s."""
    limiter = AIORateLimiter(overall_max_rate=rate, max_retries=RETRIES_ON_RETRY_AFTER)
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(file_url(base_url))
        .rate_limiter(limiter)
        .updater(None)
        .build()
    )
