"""One event loop: the database, the bot (polling or webhook), the web server; started in
order and stopped in reverse."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

from aiohttp import web
from telegram.ext import Application

from backoffice.app import create_app
from backoffice.keys import PHOTOS
from bot.app import build_application, download_file, register_commands
from bot.i18n import Renderer, load_catalogs
from bot.webhook import WEBHOOK_PATH, add_webhook, webhook_secret
from domain.clock import Clock, SystemClock
from emulator import Emulator
from jobs.scheduler import build_scheduler
from returndesk.database import connected, migrate
from returndesk.settings import Settings
from services.policies import load_policy_book

log = logging.getLogger("returndesk")
DEMO_TOKEN = "100000:RETURNDESK-DEMO"


async def _renderer(settings: Settings) -> Renderer:
    zone = (await load_policy_book()).resolve("").zone
    return Renderer(load_catalogs(), currency=settings.currency, zone=zone)


@asynccontextmanager
async def running_bot(
    settings: Settings, web_app: web.Application, clock: Clock, *, base_url: str, token: str
) -> AsyncIterator[Application]:
    """Start the bot by polling, or by webhook when a public URL is set; stop it after."""
    webhook = bool(settings.webhook_url)
    application = build_application(
        token,
        base_url=base_url,
        clock=clock,
        renderer=await _renderer(settings),
        polling=not webhook,
    )
    if webhook:
        add_webhook(web_app, application, webhook_secret(settings.secret_key))
    async with application:
        await register_commands(application, application.bot_data["renderer"])
        await application.start()
        scheduler = build_scheduler(
            application.bot,
            application.bot_data["renderer"],
            clock=clock,
            staff_chat_id=settings.staff_chat_id,
        )
        scheduler.start()
        if webhook:
            url = settings.webhook_url.rstrip("/") + WEBHOOK_PATH
            await application.bot.set_webhook(url, secret_token=webhook_secret(settings.secret_key))
        else:
            await application.updater.start_polling(timeout=10)
        try:
            yield application
        finally:
            if application.updater and application.updater.running:
                await application.updater.stop()
            scheduler.shutdown(wait=True)
            await application.stop()


@asynccontextmanager
async def serving(web_app: web.Application, host: str, port: int) -> AsyncIterator[None]:
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        yield
    finally:
        await runner.cleanup()


async def _bot_endpoint(
    settings: Settings, stack: AsyncExitStack, demo: bool
) -> tuple[str, str] | None:
    """Where the bot talks: Telegram (or TELEGRAM_API_URL), the demo's emulator, or nowhere."""
    if settings.telegram_bot_token:
        return settings.telegram_bot_token, settings.telegram_api_url
    if not demo:
        log.warning("No TELEGRAM_BOT_TOKEN: serving everything but the bot.")
        return None
    emulator = Emulator(token=DEMO_TOKEN)
    await emulator.start(settings.http_host, settings.http_port + 1)
    stack.push_async_callback(emulator.stop)
    print(f"Customer chat (Telegram emulator): {emulator.url}/_emulator/chat")
    return DEMO_TOKEN, emulator.base_url


async def run(settings: Settings, *, demo: bool = False, clock: Clock | None = None) -> None:
    """Run until SIGINT or SIGTERM."""
    clock = clock or SystemClock()
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta
    await migrate(settings.database_url)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(connected(settings.database_url))
        zone = (await load_policy_book()).resolve("").zone
        web_app = create_app(
            secret_key=settings.secret_key, clock=clock, zone=zone, currency=settings.currency
        )
        endpoint = await _bot_endpoint(settings, stack, demo)
        if endpoint is not None:
            token, base_url = endpoint
            application = await stack.enter_async_context(
                running_bot(settings, web_app, clock, base_url=base_url, token=token)
            )
            web_app[PHOTOS] = partial(download_file, application.bot)
        await stack.enter_async_context(serving(web_app, settings.http_host, settings.http_port))
        address = f"http://{settings.http_host}:{settings.http_port}/"
        print(f"ReturnDesk is running on {address} (Ctrl+C stops it)")
        await _until_stopped()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
