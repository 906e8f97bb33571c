"""The bot's update queue, shared by long polling and webhook delivery."""

import asyncio
import contextlib
import itertools
from typing import Any

from emulator.errors import ApiError

DEFAULT_TYPES = {"chat_member", "message_reaction", "message_reaction_count"}
TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


def update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def update_chat(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to, used to keep per-chat order."""
    body = update[update_type(update)]
    chat = body.get("chat") or body.get("from") or {}
    return chat.get("id")


class UpdateQueue:
    """Pending updates with increasing update_id; confirmed ones are dropped."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.history: dict[int, dict[str, Any]] = {}
        self.allowed: list[str] = []
        self.changed = asyncio.Condition()
        self.webhook_active = False
        self.closed = False
        self._ids = itertools.count(1)
        self._forced: set[int] = set()
        self._claimed: set[int] = set()
        self._busy_chats: set[int | None] = set()
        self._poll_generation = 0

    def wanted(self, kind: str) -> bool:
        return kind in self.allowed if self.allowed else kind not in DEFAULT_TYPES

    async def push(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create an update with the next update_id and queue it if the bot wants it."""
        update = {"update_id": next(self._ids), **body}
        self.history[update["update_id"]] = update
        if self.wanted(update_type(update)):
            await self._append(update)
        return update

    async def resend(self, update_id: int) -> dict[str, Any]:
        """Queue an already created update again, even if it was confirmed."""
        update = self.history[update_id]
        self._forced.add(update_id)
        await self._append(update)
        return update

    async def _append(self, update: dict[str, Any]) -> None:
        async with self.changed:
            self.pending.append(update)
            self.changed.notify_all()

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def close(self) -> None:
        """Release waiting getUpdates calls so the server can shut down."""
        self.closed = True
        await self.notify()

    def drop_all(self) -> None:
        self.pending.clear()

    def confirm(self, offset: int) -> None:
        """Drop updates below ``offset``; a negative offset keeps the last ``-offset``."""
        if offset < 0:
            self.pending = self.pending[offset:]
            return
        self.pending = [
            u for u in self.pending if u["update_id"] >= offset or u["update_id"] in self._forced
        ]

    async def poll(self, offset: int | None, limit: int, wait: float) -> list[dict[str, Any]]:
        """getUpdates: wait up to ``wait`` seconds for updates."""
        self._poll_generation += 1
        generation = self._poll_generation
        if offset:
            self.confirm(offset)
        async with self.changed:
            self.changed.notify_all()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self.changed.wait_for(lambda: self._poll_done(generation))
        if self.webhook_active:
            raise ApiError(409, WEBHOOK_ACTIVE)
        if generation != self._poll_generation:
            raise ApiError(409, TERMINATED)
        return self._take(limit)

    def _poll_done(self, generation: int) -> bool:
        superseded = generation != self._poll_generation
        return bool(self.pending) or self.webhook_active or self.closed or superseded

    def _take(self, limit: int) -> list[dict[str, Any]]:
        batch = sorted(self.pending, key=lambda u: u["update_id"])[:limit]
        self._forced.difference_update(u["update_id"] for u in batch)
        return batch

    def _claimable(self) -> dict[str, Any] | None:
        for update in self.pending:
            free = update_chat(update) not in self._busy_chats
            if free and update["update_id"] not in self._claimed:
                return update
        return None

    async def claim(self) -> dict[str, Any]:
        """Take the next update for webhook delivery, one in flight per chat."""
        async with self.changed:
            while (update := self._claimable()) is None:
                await self.changed.wait()
            self._claimed.add(update["update_id"])
            self._busy_chats.add(update_chat(update))
            return update

    def unclaim(self, update: dict[str, Any]) -> None:
        self._claimed.discard(update["update_id"])
        self._busy_chats.discard(update_chat(update))

    async def delivered(self, update: dict[str, Any]) -> None:
        """Forget an update the webhook accepted."""
        self.unclaim(update)
        self._forced.discard(update["update_id"])
        async with self.changed:
            if update in self.pending:
                self.pending.remove(update)
            self.changed.notify_all()
