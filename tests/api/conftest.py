"""The back-office app on a real port over the test database, and clients for its API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from backoffice.app import create_app
from domain.clock import FakeClock
from returndesk.runtime import serving
from services.tokens import create_api_token
from tests.factories import ADMIN

SECRET_KEY = "a secret key for the API tests, long enough to derive from"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def server(db: str, clock: FakeClock, unused_tcp_port: int) -> AsyncIterator[str]:
    """The base URL of the whole back-office (pages and API) served on 127.0.0.1."""
    app = create_app(secret_key=SECRET_KEY, clock=clock, zone=ZONE)
    async with serving(app, "127.0.0.1", unused_tcp_port):
        yield f"http://127.0.0.1:{unused_tcp_port}"


@pytest.fixture
async def token(db: str) -> str:
    return await create_api_token("erp", actor=ADMIN)


@pytest.fixture
async def api(server: str, token: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A client that sends the bearer token on every call."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base_url=server, headers=headers) as session:
        yield session


@pytest.fixture
async def anonymous(server: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server) as session:
        yield session
