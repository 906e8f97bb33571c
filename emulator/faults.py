"""Fault injection: rate limits, server errors, latency and blocked chats."""

import asyncio
from dataclasses import dataclass
from http import HTTPStatus

from emulator.errors import ApiError

KINDS = ("retry_after", "server_error", "latency")
BLOCKED = "Forbidden: bot was blocked by the user"


@dataclass
class Fault:
    """Applies to the next ``count`` matching calls (optionally one method and/or chat)."""

    kind: str
    count: int = 1
    method: str | None = None
    chat_id: int | None = None
    retry_after: int = 1
    status: int = 500
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}, expected one of {KINDS}")
        if self.kind == "server_error" and not 500 <= self.status <= 599:
            raise ValueError("server_error status must be 5xx")

    def matches(self, method: str, chat_id: int | None) -> bool:
        same_method = self.method is None or self.method.lower() == method.lower()
        return same_method and self.chat_id in (None, chat_id)

    async def trigger(self) -> None:
        if self.kind == "latency":
            await asyncio.sleep(self.delay)
        elif self.kind == "retry_after":
            description = f"Too Many Requests: retry after {self.retry_after}"
            raise ApiError(429, description, {"retry_after": self.retry_after})
        else:
            raise ApiError(self.status, HTTPStatus(self.status).phrase)


class Faults:
    """Active fault rules plus chats that blocked the bot."""

    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.blocked: set[int] = set()

    def add(self, fault: Fault) -> Fault:
        self.rules.append(fault)
        return fault

    def block(self, chat_id: int) -> None:
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    def clear(self) -> None:
        self.rules.clear()
        self.blocked.clear()

    async def apply(self, method: str, chat_id: int | None) -> None:
        """Run matching rules in order: latencies sleep, errors raise."""
        if chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        for rule in [r for r in self.rules if r.matches(method, chat_id)]:
            rule.count -= 1
            if rule.count <= 0:
                self.rules.remove(rule)
            await rule.trigger()
