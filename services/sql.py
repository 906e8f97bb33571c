"""Hand-written statements, on the caller's connection.

Tortoise spends about three times the CPU of the round trip building and reading a query
(bench/README.md), so the chat's per-update reads and writes are plain SQL, with asyncpg's
``$1, $2…`` placeholders (SQLite takes the same numbers as ``?1, ?2…``). The set-based
report statements (services/rollups.py) name their parameters instead: ``:name``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models import ChatState


def current_connection() -> BaseDBAsyncClient:
    """The current connection: the caller's transaction when there is one."""
    return ChatState._meta.db


def fits(model: type[Model], column: str, text: str) -> bool:
    """Whether ``text`` can be a value of the model's text column: Tortoise refuses to compare
    a column with a longer text (a ValidationError, not an empty match)."""
    return len(text) <= int(getattr(model._meta.fields_map[column], "max_length", len(text)))


def dialect() -> str:
    """``postgres`` or ``sqlite``: the current connection's SQL dialect."""
    return str(current_connection().capabilities.dialect)


def is_postgres() -> bool:
    return dialect() == "postgres"


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


NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def _positional(sql: str, params: Mapping[str, Any], dialect: str) -> tuple[str, list[Any]]:
    """Turn ``:name`` parameters into the driver's ($1 for asyncpg, ? for SQLite)."""
    values: list[Any] = []
    numbers: dict[str, int] = {}

    def place(match: re.Match[str]) -> str:
        name = match.group(1)
        if dialect != "postgres":
            values.append(params[name])
            return "?"
        if name not in numbers:
            values.append(params[name])
            numbers[name] = len(values)
        return f"${numbers[name]}"

    return NAMED.sub(place, sql), values


async def fetch_named(sql: str, **params: Any) -> list[dict[str, Any]]:
    """The rows of one statement with ``:name`` parameters, on the current connection."""
    db = current_connection()
    _count, rows = await db.execute_query(*_positional(sql, params, dialect()))
    return [dict(row) for row in rows]


async def execute_named(sql: str, **params: Any) -> None:
    """Run one statement with ``:name`` parameters on the current connection."""
    await current_connection().execute_query(*_positional(sql, params, dialect()))
