"""Hand-written statements for the hottest paths, on the caller's connection.

Tortoise spends about three times the CPU of the round trip building and reading a query
(bench/README.md), so the chat's per-update reads and writes are plain SQL. ``$1, $2…`` are
asyncpg's placeholders; SQLite takes the same numbers as ``?1, ?2…``.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from models import ChatState


def current_connection() -> BaseDBAsyncClient:
    """The current connection: the caller's transaction when there is one."""
    return ChatState._meta.db


def is_postgres() -> bool:
    return current_connection().capabilities.dialect == "postgres"


def placeholders(first: int, count: int) -> str:
    """``$first, …`` for ``count`` values."""
    return ", ".join(f"${n}" for n in range(first, first + count))


async def fetch(sql: str, *params: object) -> list[dict[str, Any]]:
    """The rows of one statement on the current connection."""
    db = current_connection()
    if db.capabilities.dialect != "postgres":
        sql = sql.replace("$", "?")
    return await db.execute_query_dict(sql, list(params))


async def execute(sql: str, *params: object) -> int:
    """Run one statement on the current connection; the number of rows it touched."""
    db = current_connection()
    if db.capabilities.dialect != "postgres":
        sql = sql.replace("$", "?")
    count, _rows = await db.execute_query(sql, list(params))
    return int(count)
