"""Is the database reachable, and does it have every migration this code expects?"""

from __future__ import annotations

import pkgutil

import asyncpg
from tortoise import connections
from tortoise.exceptions import DBConnectionError

import models.migrations

# What a database restart looks like to a caller: the connection drops, is refused, or the
# server says it is starting up or shutting down. Worth waiting for; other errors are not.
DATABASE_DOWN: tuple[type[BaseException], ...] = (
    DBConnectionError,
    ConnectionError,
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.CannotConnectNowError,
)


def expected_migrations() -> set[str]:
    """The migration names shipped with this code."""
    return {
        m.name for m in pkgutil.iter_modules(models.migrations.__path__) if m.name[:4].isdigit()
    }


async def database_ready() -> tuple[bool, str]:
    """(ready, why not): reachable and fully migrated."""
    try:
        rows = await connections.get("default").execute_query_dict(
            "SELECT name FROM tortoise_migrations"
        )
    except Exception as error:  # any driver error at all means: not ready
        return False, f"database unreachable: {type(error).__name__}"
    missing = expected_migrations() - {row["name"] for row in rows}
    if missing:
        return False, f"migrations not applied: {', '.join(sorted(missing))}"
    return True, "ok"
