"""The back-office in a test client over the test database, with one account per role."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from backoffice.app import create_app
from domain.clock import FakeClock
from models import StaffUser
from services import staff as staff_service
from tests.factories import Shop, build_shop

SECRET_KEY = "a secret key for the back-office tests, long enough"
ZONE = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct horse battery"
QUICK = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_HASH = QUICK.hash(PASSWORD)
ACCOUNTS = {
    "admin": ["admin"],
    "rita": ["reviewer"],
    "wang": ["warehouse"],
    "fiona": ["finance"],
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(params=["sqlite"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """Page tests run on SQLite; a test that needs PostgreSQL parametrizes ``db_kind``."""
    return str(request.param)


class Desk:
    """A browser on the back-office: signs in as someone and submits forms with their token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    async def token(self, path: str = "/login") -> str:
        response = await self.client.get(path)
        found = CSRF.search(await response.text())
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    async def sign_in(self, username: str, password: str = PASSWORD) -> int:
        form = {"username": username, "password": password, "next": "/"}
        form["csrf_token"] = await self.token("/login")
        response = await self.client.post("/login", data=form, allow_redirects=False)
        return response.status

    async def as_(self, username: str) -> Desk:
        assert await self.sign_in(username) == 303
        return self

    async def get(self, path: str) -> tuple[int, str]:
        response = await self.client.get(path, allow_redirects=False)
        return response.status, await response.text()

    async def post(self, path: str, data: dict[str, object], *, page: str = "/") -> tuple[int, str]:
        """Post a form with this session's CSRF token (read from ``page``); follow redirects."""
        fields = {**data, "csrf_token": await self.token(page)}
        response = await self.client.post(path, data=fields)
        return response.status, await response.text()


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the real ones cost a third of a second per sign-in on purpose,
    and these tests sign in a hundred times. The code path (hash, verify, rehash check) is
    the same."""
    monkeypatch.setattr(staff_service, "_hasher", QUICK)


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    shop = await build_shop(clock)
    for username, roles in ACCOUNTS.items():
        await StaffUser.create(username=username, password_hash=_HASH, roles=roles)
    return shop


@pytest.fixture
async def desk(shop: Shop, clock: FakeClock) -> AsyncIterator[Desk]:
    app = create_app(secret_key=SECRET_KEY, clock=clock, zone=ZONE)
    async with TestClient(TestServer(app)) as client:
        yield Desk(client)


async def staff_id(username: str) -> int:
    return (await StaffUser.get(username=username)).id
