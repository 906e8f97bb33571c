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


def _in_dialect(db: BaseDBAsyncClient, sql: str) -> str:
    return sql if db.capabilities.dialect == "postgres" else sql.replace("$", "?")


async def fetch(sql: str, *params: object) -> list[dict[str, Any]]:
    """The rows of one statement on the current connection."""
    db = current_connection()
    return await db.execute_query_dict(_in_dialect(db, sql), list(params))


async def execute(sql: str, *params: object) -> int:
    """Run one statement on the current connection; the number of rows it touched."""
    db = current_connection()
    count, _rows = await db.execute_query(_in_dialect(db, sql), list(params))
    return int(count)
