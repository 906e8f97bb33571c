"""The :class:`Emulator` object: state, Python API and server lifecycle."""

from collections import Counter
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from emulator.app import build_app
from emulator.driver import Driver
from emulator.faults import Fault, Faults
from emulator.state import Hub

SHUTDOWN_TIMEOUT = 2.0


class Emulator(Driver):
    """An emulated Telegram Bot API server for one bot token.

    Use ``async with Emulator(token=...) as emu`` to serve it on 127.0.0.1 with a free port.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_name: str = "ReturnDesk",
        bot_username: str = "returndesk_bot",
        webhook_retry_delay: float = 0.05,
    ):
        super().__init__(Hub(token, bot_name, bot_username, webhook_retry_delay))
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def token(self) -> str:
        return self.hub.token

    @property
    def base_url(self) -> str:
        """Value for PTB's ``base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's ``base_file_url``."""
        return f"{self.url}/file/bot"

    @property
    def faults(self) -> Faults:
        return self.hub.faults

    @property
    def calls(self) -> Counter[str]:
        """Bot API calls per official method name (failed ones included)."""
        return self.hub.calls

    @property
    def delivered(self) -> Counter[int]:
        """Messages successfully sent by the bot, per chat."""
        return self.hub.delivered

    def inject(self, kind: str, **options: Any) -> Fault:
        """Add a :class:`Fault` (``retry_after``, ``server_error`` or ``latency``)."""
        return self.hub.faults.add(Fault(kind, **options))

    async def set_webhook_targets(self, urls: list[str]) -> None:
        """Deliver webhooks round-robin to ``urls`` (a load balancer in front of instances)."""
        await self.hub.webhooks.set_targets(urls)

    def create_app(self) -> web.Application:
        return build_app(self.hub)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hub.updates.closed = False
        self._runner = web.AppRunner(self.create_app(), shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
