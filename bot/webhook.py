"""Telegram's webhook, served by the project's own aiohttp app (PTB's custom-webhook pattern)."""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web
from telegram import Update
from telegram.ext import Application

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"
BOT_APPLICATION = web.AppKey("bot_application", Application)
WEBHOOK_SECRET = web.AppKey("webhook_secret", str)


def webhook_secret(secret_key: str) -> str:
    """The secret token Telegram sends back with every update (64 hex characters)."""
    return hashlib.sha256(f"telegram-webhook:{secret_key}".encode()).hexdigest()


async def receive_update(request: web.Request) -> web.Response:
    """Check Telegram's secret header and queue the update for the bot."""
    expected = request.app[WEBHOOK_SECRET]
    if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), expected):
        raise web.HTTPForbidden(text="wrong secret token")
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="not JSON") from None
    application = request.app[BOT_APPLICATION]
    await application.update_queue.put(Update.de_json(data, application.bot))
    return web.Response(text="ok")


def add_webhook(app: web.Application, application: Application, secret: str) -> None:
    """Serve the webhook endpoint on ``app`` for ``application``."""
    app[BOT_APPLICATION] = application
    app[WEBHOOK_SECRET] = secret
    app.router.add_post(WEBHOOK_PATH, receive_update, name="telegram_webhook")
