"""Shared fixtures: a fresh database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from tortoise.context import tortoise_test_context

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


@pytest.fixture
async def db(db_kind: str) -> AsyncIterator[str]:
    """A fresh database with every table, dropped afterwards.

    The connection is named after the kind of database: Tortoise 1.1 caches its INSERT
    statements per connection name, not per dialect, so SQLite and PostgreSQL in one
    process must not share a name.
    """
    async with tortoise_test_context(
        ["models"], db_url=database_url(db_kind), connection_label=db_kind
    ):
        yield db_kind


@pytest.fixture
async def pg_db() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for what only PostgreSQL can show (concurrency)."""
    async with tortoise_test_context(
        ["models"], db_url=database_url("postgres"), connection_label="postgres"
    ):
        yield "postgres"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 10, 4, 0, tzinfo=UTC))
