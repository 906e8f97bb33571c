"""One event loop: the database, the bot (polling or webhook), the scheduler and the web
server; started in order, stopped in reverse (the web server first stops taking requests,
then the bot finishes the updates in hand, then the database closes)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from backoffice.app import create_app
from backoffice.keys import PHOTOS
from bot.app import build_application, download_file, register_commands
from bot.i18n import Renderer, load_catalogs
from bot.webhook import WEBHOOK_PATH, add_webhook, webhook_secret
from domain.clock import Clock, SystemClock
from emulator import Emulator
from jobs.scheduler import build_cluster_scheduler, build_scheduler
from returndesk.database import connected, migrate
from returndesk.health import add_health
from returndesk.settings import Settings
from services.attachments import keeping_photos_in
from services.demo import DEMO_CUSTOMER_PHONE
from services.demo_returns import demo_photos
from services.policies import load_policy_book

log = logging.getLogger("returndesk")
DEMO_TOKEN = "100000:RETURNDESK-DEMO"
PARTS = ("backoffice", "api", "webhook", "bot", "scheduler")
SHUTDOWN_SECONDS = 20.0
JOBS_STOP_SECONDS = 10.0
DEMO_STAFF_GROUP = "Shop staff"


class StartupError(RuntimeError):
    """ReturnDesk cannot start as configured; the message says why and holds no secret."""


@dataclass(frozen=True)
class Plan:
    """Which parts this process runs."""

    parts: frozenset[str] = frozenset(PARTS)
    demo: bool = False

    def has(self, part: str) -> bool:
        return part in self.parts

    @property
    def web(self) -> bool:
        return bool(self.parts & {"backoffice", "api", "webhook"})


@dataclass(frozen=True)
class BotEndpoint:
    """Where the bot talks, and the chat its staff alerts go to (None: nowhere)."""

    token: str
    base_url: str
    staff_chat_id: int | None


async def _renderer(settings: Settings) -> Renderer:
    zone = (await load_policy_book()).resolve("").zone
    return Renderer(load_catalogs(), currency=settings.currency, zone=zone)


@asynccontextmanager
async def running_bot(
    settings: Settings,
    web_app: web.Application,
    clock: Clock,
    plan: Plan,
    endpoint: BotEndpoint,
) -> AsyncIterator[Application]:
    """The bot's Application: updates by polling or webhook (if this process takes them),
    and the outbox scheduler (if this process runs it)."""
    webhook = bool(settings.webhook_url)
    takes_updates = plan.has("bot")
    application = build_application(
        endpoint.token,
        base_url=endpoint.base_url,
        clock=clock,
        renderer=await _renderer(settings),
        polling=takes_updates and not webhook,
    )
    if takes_updates and webhook and plan.has("webhook"):
        add_webhook(web_app, application, webhook_secret(settings.secret_key))
    await _initialize(application, endpoint.base_url)
    async with application:
        await application.start()
        if takes_updates:
            await _take_updates(application, settings, webhook)
        scheduler = None
        if plan.has("scheduler"):
            scheduler = build_scheduler(
                application.bot,
                application.bot_data["renderer"],
                clock=clock,
                staff_chat_id=endpoint.staff_chat_id,
                staff_language=settings.staff_language,
            )
            scheduler.start()
        try:
            yield application
        finally:
            if application.updater and application.updater.running:
                await application.updater.stop()
            if scheduler is not None:
                await stop_scheduler(scheduler)
            await application.stop()


async def _initialize(application: Application, base_url: str) -> None:
    """Initialize the bot (PTB checks the token with getMe). A refused token or a Bot API
    that does not answer stops the start with a message; PTB's own names the token."""
    try:
        await application.initialize()
    except InvalidToken:
        await application.bot.shutdown()  # PTB leaves the HTTP sessions open here
        raise StartupError(
            "Telegram refused TELEGRAM_BOT_TOKEN (mistyped, or revoked: @BotFather shows "
            "the bot's current token)"
        ) from None
    except TelegramError as error:
        await application.bot.shutdown()
        raise StartupError(f"The Bot API at {base_url} did not answer: {error}") from None


@asynccontextmanager
async def cluster_jobs(clock: Clock) -> AsyncIterator[None]:
    """The once-per-cluster jobs of an instance without a bot, until exit."""
    zone = (await load_policy_book()).resolve("").zone
    scheduler = build_cluster_scheduler(clock=clock, zone=zone)
    scheduler.start()
    try:
        yield
    finally:
        await stop_scheduler(scheduler)


async def stop_scheduler(scheduler: AsyncIOScheduler, within: float = JOBS_STOP_SECONDS) -> None:
    """Start no more job runs, let the running ones finish (up to ``within`` seconds), stop.

    APScheduler's own shutdown cancels running coroutine jobs: an outbox run cancelled
    between sending a message and recording it leaves the message 'sending', and it is sent
    again when its lease runs out.
    """
    scheduler.pause()
    running = [
        future
        for executor in scheduler._executors.values()  # APScheduler 3.x keeps no public list
        for future in getattr(executor, "_pending_futures", ())
        if not future.done()
    ]
    if running:
        log.info("waiting for %d running job(s) to finish", len(running))
        await asyncio.wait(running, timeout=within)
    scheduler.shutdown(wait=False)


async def _take_updates(application: Application, settings: Settings, webhook: bool) -> None:
    await register_commands(application, application.bot_data["renderer"])
    if webhook:
        url = settings.webhook_url.rstrip("/") + WEBHOOK_PATH
        await application.bot.set_webhook(url, secret_token=webhook_secret(settings.secret_key))
    elif application.updater is None:
        raise RuntimeError("the bot was built without an updater; polling needs one")
    else:
        await application.updater.start_polling(timeout=10)


@asynccontextmanager
async def serving(web_app: web.Application, host: str, port: int) -> AsyncIterator[None]:
    """Serve ``web_app``; on exit stop taking requests and let those in hand finish."""
    runner = web.AppRunner(web_app, shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        yield
    finally:
        await runner.cleanup()


async def _bot_endpoint(
    settings: Settings, stack: AsyncExitStack, plan: Plan
) -> BotEndpoint | None:
    """Where the bot talks: Telegram (or TELEGRAM_API_URL), the demo's emulator, or nowhere."""
    if not plan.parts & {"bot", "scheduler"}:
        return None
    if settings.telegram_bot_token:
        token, url = settings.telegram_bot_token, settings.telegram_api_url
        return BotEndpoint(token, url, settings.staff_chat_id)
    if not plan.demo:
        log.warning(
            "No TELEGRAM_BOT_TOKEN: serving everything but the bot; scheduled jobs run and "
            "their messages wait in the outbox for an instance with the bot."
        )
        return None
    return await _demo_emulator(settings, stack)


async def _demo_emulator(settings: Settings, stack: AsyncExitStack) -> BotEndpoint:
    """The demo's emulator: its customer, their photos, and the staff chat (the group
    "Shop staff", unless RETURNDESK_STAFF_CHAT_ID names another chat)."""
    emulator = Emulator(token=DEMO_TOKEN)
    await emulator.start(settings.http_host, settings.http_port + 1)
    stack.push_async_callback(emulator.stop)
    emulator.create_user("Demo customer", phone_number=DEMO_CUSTOMER_PHONE)
    for file_id, photo in demo_photos().items():
        emulator.add_photo(file_id, photo)
    staff_chat_id = settings.staff_chat_id
    if staff_chat_id is None:
        staff_chat_id = emulator.create_group(DEMO_STAFF_GROUP)["id"]
        print(f'Staff alerts: the group "{DEMO_STAFF_GROUP}" on the chat page (read-only there)')
    else:
        print(f"Staff alerts: chat {staff_chat_id} (RETURNDESK_STAFF_CHAT_ID)")
    print(f"Customer chat (Telegram emulator): {emulator.url}/_emulator/chat")
    return BotEndpoint(DEMO_TOKEN, emulator.base_url, staff_chat_id)


async def _web_app(settings: Settings, clock: Clock, plan: Plan) -> web.Application:
    zone = (await load_policy_book()).resolve("").zone
    web_app = web.Application()
    add_health(web_app)
    if plan.has("backoffice") or plan.has("api"):
        create_app(
            secret_key=settings.secret_key,
            clock=clock,
            zone=zone,
            currency=settings.currency,
            app=web_app,
        )
    return web_app


async def run(settings: Settings, plan: Plan | None = None, *, clock: Clock | None = None) -> None:
    """Run the planned parts until SIGINT or SIGTERM."""
    plan = plan or Plan()
    clock = clock or SystemClock()
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta
    await migrate(settings.database_url)
    stop = _stop_event()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(connected(settings.database_url))
        stack.enter_context(keeping_photos_in(Path(settings.media_dir)))
        web_app = await _web_app(settings, clock, plan)
        endpoint = await _bot_endpoint(settings, stack, plan)
        if endpoint is not None:
            application = await stack.enter_async_context(
                running_bot(settings, web_app, clock, plan, endpoint)
            )
            fetch_photo: Callable[[str], Awaitable[bytes | None]] = partial(
                download_file, application.bot
            )
            web_app[PHOTOS] = fetch_photo
        elif plan.has("scheduler"):
            await stack.enter_async_context(cluster_jobs(clock))
        await stack.enter_async_context(serving(web_app, settings.http_host, settings.http_port))
        log.info(
            "running %s on http://%s:%s/",
            ", ".join(sorted(plan.parts)),
            settings.http_host,
            settings.http_port,
        )
        address = f"http://{settings.http_host}:{settings.http_port}/"
        print(f"ReturnDesk is running on {address} (Ctrl+C stops it)")
        await stop.wait()
        log.info("stopping: no new requests or updates; finishing those in hand")


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop
