"""A small aiohttp webhook receiver for tests."""

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from aiohttp import web


class Receiver:
    """Collects webhook POSTs; ``statuses`` decides the HTTP status of each answer."""

    def __init__(self, statuses: Callable[[int], int] = lambda attempt: 200):
        self.statuses = statuses
        self.received: asyncio.Queue[tuple[dict[str, str], dict[str, Any]]] = asyncio.Queue()
        self.attempts = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        self.attempts += 1
        status = self.statuses(self.attempts)
        if status == 200:
            self.received.put_nowait((dict(request.headers), await request.json()))
        return web.Response(status=status)

    async def next(self) -> tuple[dict[str, str], dict[str, Any]]:
        return await asyncio.wait_for(self.received.get(), 5)

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/hook"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
