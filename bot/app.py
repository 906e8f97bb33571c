"""Building the python-telegram-bot Application for the shop's bot."""

from __future__ import annotations

from telegram import Bot, BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, TypeHandler

from bot.handlers import CLOCK, RENDERER, on_error, on_update
from bot.i18n import Renderer
from bot.processor import ChatOrderedProcessor
from bot.request import AiohttpRequest
from domain.clock import Clock

COMMANDS = ("start", "new", "my", "policy", "language", "help", "cancel")
TELEGRAM_LANGUAGE = {"en": "en", "zh_Hans": "zh", "ru": "ru"}
RETRIES_ON_RETRY_AFTER = 3


def file_url(base_url: str) -> str:
    """Telegram's file base for a Bot API base (``…/bot`` → ``…/file/bot``)."""
    root, _, tail = base_url.rstrip("/").rpartition("/")
    return f"{root}/file/{tail}"


def application_builder(token: str, *, base_url: str) -> ApplicationBuilder:
    """The bot's builder before its rate limiter: the Bot API address, the HTTP client and
    per-chat ordering (bench/chat.py builds its no-op floor from it too)."""
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .base_file_url(file_url(base_url))
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .concurrent_updates(ChatOrderedProcessor())
    )


def build_application(
    token: str,
    *,
    base_url: str,
    clock: Clock,
    renderer: Renderer,
    polling: bool = True,
) -> Application:
    """The bot: one handler for every update, per-chat ordering, Telegram's rate limits."""
    builder = application_builder(token, base_url=base_url).rate_limiter(
        AIORateLimiter(max_retries=RETRIES_ON_RETRY_AFTER)
    )
    if not polling:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data[CLOCK] = clock
    application.bot_data[RENDERER] = renderer
    application.add_handler(TypeHandler(Update, on_update))
    application.add_error_handler(on_error)
    return application


async def register_commands(application: Application, renderer: Renderer) -> None:
    """Register the command menu in every language (English also as the default)."""
    for language, code in TELEGRAM_LANGUAGE.items():
        commands = [BotCommand(c, renderer.word(f"command.{c}", language)) for c in COMMANDS]
        await application.bot.set_my_commands(commands, language_code=code)
        if language == "en":
            await application.bot.set_my_commands(commands)


async def download_file(bot: Bot, file_id: str) -> bytes | None:
    """A file the customer sent, fetched through the Bot API (the token stays server-side);
    None when Telegram no longer has it."""
    try:
        telegram_file = await bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())
    except TelegramError:
        return None
