"""Shared fixtures: an empty database per test, on SQLite and on PostgreSQL.

SQLite gets a new in-memory database per test. PostgreSQL gets one database per session,
built once and emptied (TRUNCATE) before each test: creating and dropping a database per
test would cost a checkpoint each, and Tortoise's test context does not drop what it
creates. Tests that need a database of their own use ``fresh_database``, which drops it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from tortoise.backends.base.config_generator import generate_config
from tortoise.context import TortoiseContext, tortoise_test_context

from domain.clock import FakeClock

POSTGRES_URL = os.environ.get("RETURNDESK_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("RETURNDESK_REQUIRE_POSTGRES") == "1"


@functools.cache
def postgres_available() -> bool:
    """Tell whether the test PostgreSQL answers (CI requires it; a laptop may skip)."""
    address = urlsplit(POSTGRES_URL)
    try:
        socket.create_connection((address.hostname, address.port or 5432), timeout=2).close()
    except OSError:
        return False
    return True


def _need_postgres() -> None:
    if not postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required (RETURNDESK_REQUIRE_POSTGRES=1) but not reachable")
        pytest.skip("PostgreSQL not reachable")


def database_url(kind: str) -> str:
    """A URL for a new, uniquely named test database of ``kind``."""
    if kind == "sqlite":
        return "sqlite://:memory:"
    _need_postgres()
    base = POSTGRES_URL.rsplit("/", 1)[0]
    return f"{base}/returndesk_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def drop_database(url: str) -> None:
    """Drop a PostgreSQL test database (and end its sessions)."""
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@asynccontextmanager
async def fresh_database(kind: str, *, pool: str = "") -> AsyncIterator[str]:
    """A brand-new database of ``kind`` with every table, dropped afterwards; yields its URL.

    ``pool`` adds asyncpg pool parameters (e.g. ``?maxsize=60``) to the connection.
    """
    url = database_url(kind)
    try:
        async with tortoise_test_context(["models"], db_url=url + pool, connection_label=kind):
            yield url
    finally:
        if kind == "postgres":
            await drop_database(url)


def _run_aside(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on its own loop in another thread (a test's loop may be running here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, work).result()


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """The session's PostgreSQL database, with every table; dropped when the session ends."""
    url = database_url("postgres")

    async def build() -> None:
        async with tortoise_test_context(["models"], db_url=url, connection_label="schema"):
            pass

    _run_aside(build())
    yield url
    _run_aside(drop_database(url))


@asynccontextmanager
async def emptied(url: str, label: str) -> AsyncIterator[None]:
    """Open the session database with every table emptied and every id sequence reset."""
    config = generate_config(url, app_modules={"models": ["models"]}, connection_label=label)
    async with TortoiseContext() as context:
        await context.init(config=config, use_tz=True, timezone="UTC")
        connection = context.connections.get(label)
        rows = await connection.execute_query_dict(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        tables = ", ".join(f'"{row["tablename"]}"' for row in rows)
        await connection.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        yield


@pytest.fixture
async def db(db_kind: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """An empty database with every table.

    The connection is named after the kind of database: Tortoise 1.1 caches its INSERT
    statements per connection name, not per dialect, so SQLite and PostgreSQL in one
    process must not share a name.
    """
    if db_kind == "sqlite":
        async with tortoise_test_context(
            ["models"], db_url="sqlite://:memory:", connection_label="sqlite"
        ):
            yield db_kind
        return
    async with emptied(request.getfixturevalue("postgres_session_url"), "postgres"):
        yield db_kind


@pytest.fixture
async def pg_db(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """An empty PostgreSQL database, for what only PostgreSQL can show (concurrency)."""
    _need_postgres()
    async with emptied(request.getfixturevalue("postgres_session_url"), "postgres"):
        yield "postgres"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 10, 4, 0, tzinfo=UTC))
