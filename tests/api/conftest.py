"""The back-office app on a real port over the test database, and clients for its API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
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


# aiohttp 3.14 warns once per str key on request storage; aiohttp_session and the back-office's
# sign-in middleware still use str keys. Not ours to change here, and not a fault of the API.
STR_REQUEST_KEYS = (
    "ignore:It is recommended to use web.RequestKey:aiohttp.web_exceptions.NotAppKeyWarning"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings(STR_REQUEST_KEYS))
