"""Webhook delivery: POST queued updates to one URL or round-robin to several."""

import asyncio
import itertools
import time
from typing import Any

import aiohttp

from emulator.update_queue import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BACKOFF = 1.0


class Webhooks:
    """Webhook settings and the worker tasks that deliver updates."""

    def __init__(self, queue: UpdateQueue, retry_delay: float = 0.05):
        self.queue = queue
        self.retry_delay = retry_delay
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.targets: list[str] = []
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._turns = itertools.count()
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    @property
    def active(self) -> bool:
        return bool(self.url or self.targets)

    async def configure(self, url: str, secret_token: str | None, max_connections: int) -> None:
        """setWebhook / deleteWebhook (an empty url removes the webhook and its targets)."""
        self.url, self.secret_token, self.max_connections = url, secret_token, max_connections
        if not url:
            self.targets = []
        await self.restart()

    async def set_targets(self, urls: list[str]) -> None:
        """Deliver round-robin to ``urls`` instead of the url the bot set."""
        self.targets = list(urls)
        await self.restart()

    async def restart(self) -> None:
        await self.stop()
        self.queue.webhook_active = self.active
        await self.queue.notify()
        if self.active:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
            self._session = session
            workers = range(max(1, self.max_connections))
            self._tasks = [asyncio.create_task(self._work(session)) for _ in workers]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._session is not None:
            await self._session.close()
            self._session = None

    def info(self) -> dict[str, Any]:
        """The Bot API ``WebhookInfo`` object."""
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue.pending),
        }
        if self.url:
            info["max_connections"] = self.max_connections
        if self.queue.allowed:
            info["allowed_updates"] = self.queue.allowed
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def _work(self, session: aiohttp.ClientSession) -> None:
        while True:
            update = await self.queue.claim()
            try:
                await self._deliver(session, update)
            except asyncio.CancelledError:
                self.queue.unclaim(update)
                raise
            await self.queue.delivered(update)

    async def _deliver(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        for attempt in itertools.count():
            error = await self._post(session, update)
            if error is None:
                return
            self.last_error_date, self.last_error_message = int(time.time()), error
            await asyncio.sleep(min(self.retry_delay * 2**attempt, MAX_BACKOFF))

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> str | None:
        """POST once; return an error message or None on success."""
        targets = self.targets or [self.url]
        url = targets[next(self._turns) % len(targets)]
        headers = {SECRET_HEADER: self.secret_token} if self.secret_token else {}
        try:
            async with session.post(url, json=update, headers=headers) as response:
                if response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc}"
