"""Production tests: real `returndesk serve` processes on PostgreSQL, in webhook mode.

Select them with ``pytest -m production`` (or skip them with ``-m "not production"``). They
need PostgreSQL (skipped without it unless RETURNDESK_REQUIRE_POSTGRES=1). One migrated
template database is made per session with `returndesk migrate`; each test gets a copy.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from emulator import Emulator
from returndesk.database import connected
from tests.conftest import POSTGRES_URL, _need_postgres
from tests.production.harness import TOKEN, returndesk_command

HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "production: real serve processes on PostgreSQL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.production)
            item.add_marker(pytest.mark.postgres)


def _server_url(name: str = "postgres") -> str:
    return POSTGRES_URL.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/" + name


def _url(name: str) -> str:
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(_server_url())
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def template_database() -> Iterator[str]:
    """A database migrated by `returndesk migrate`, copied for each test."""
    _need_postgres()
    name = f"returndesk_prod_template_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        env = dict(os.environ, RETURNDESK_DATABASE_URL=_url(name))
        done = subprocess.run(
            [*returndesk_command(), "migrate"],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        yield name
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db_url(template_database: str) -> AsyncIterator[str]:
    """A fresh migrated database for this test; this process is connected to it too."""
    name = f"returndesk_prod_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    url = _url(name)
    try:
        async with connected(url):
            yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session
