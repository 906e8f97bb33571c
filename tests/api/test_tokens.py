"""API tokens: admin only, shown once, SHA-256 at rest; the admin page lists, makes, revokes."""

from __future__ import annotations

import hashlib
import re

import aiohttp
import pytest
from argon2 import PasswordHasher

from domain.errors import NotFound, PermissionDenied, ValidationError
from models import ApiToken
from services import staff as staff_service
from services.staff import add_staff_user
from services.tokens import (
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    verify_api_token,
)
from tests.factories import ADMIN, REVIEWER

PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEW_TOKEN = re.compile(r'<input readonly value="([^"]+)"')


# The service -------------------------------------------------------------------------------


async def test_a_token_is_kept_only_as_its_sha256(db):
    plain = await create_api_token("erp", actor=ADMIN)
    [row] = await ApiToken.all().values()
    assert row["token_hash"] == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in str(row)
    assert (row["name"], row["created_by"]) == ("erp", "staff:admin")
    assert len(plain) >= 43


async def test_a_live_token_names_its_caller_and_others_name_nobody(db, clock):
    plain = await create_api_token("erp", actor=ADMIN)
    assert await verify_api_token(plain) == "erp"
    for wrong in ("", plain[:-1], plain + "x", "x" * 10_000):
        assert await verify_api_token(wrong) is None
    [token] = await list_api_tokens(actor=ADMIN)
    await revoke_api_token(token.id, actor=ADMIN, clock=clock)
    assert await verify_api_token(plain) is None


async def test_revoking_twice_keeps_the_first_time(db, clock):
    await create_api_token("erp", actor=ADMIN)
    [token] = await list_api_tokens(actor=ADMIN)
    first = await revoke_api_token(token.id, actor=ADMIN, clock=clock)
    clock.advance(clock.now() - clock.now().replace(year=2025))
    again = await revoke_api_token(token.id, actor=ADMIN, clock=clock)
    assert first.revoked_at == again.revoked_at
    assert not again.active
    with pytest.raises(NotFound):
        await revoke_api_token(token.id + 1, actor=ADMIN)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_a_token_needs_a_short_name(db, name):
    with pytest.raises(ValidationError):
        await create_api_token(name, actor=ADMIN)
    assert await ApiToken.all().count() == 0


async def test_only_an_admin_manages_tokens(db):
    with pytest.raises(PermissionDenied):
        await create_api_token("erp", actor=REVIEWER)
    await create_api_token("erp", actor=ADMIN)
    [token] = await list_api_tokens(actor=ADMIN)
    with pytest.raises(PermissionDenied):
        await list_api_tokens(actor=REVIEWER)
    with pytest.raises(PermissionDenied):
        await revoke_api_token(token.id, actor=REVIEWER)


# The page ----------------------------------------------------------------------------------
# Page tests run on SQLite (as in tests/backoffice); the service above runs on both.
PAGE = pytest.mark.parametrize("db_kind", ["sqlite"])
QUICK = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


async def signed_in(server: str, username: str, roles: list[str]) -> aiohttp.ClientSession:
    await add_staff_user(username, PASSWORD, roles)
    session = aiohttp.ClientSession(base_url=server, cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get("/login") as response:
        csrf = CSRF.search(await response.text())[1]
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf, "next": "/tokens"}
    async with session.post("/login", data=form, allow_redirects=False) as response:
        assert response.status == 303
    return session


async def csrf_of(session: aiohttp.ClientSession) -> str:
    async with session.get("/tokens") as response:
        return CSRF.search(await response.text())[1]


@pytest.fixture
async def admin(server, monkeypatch):
    # Cheap argon2 parameters: the same code path, without a third of a second per sign-in.
    monkeypatch.setattr(staff_service, "_hasher", QUICK)
    session = await signed_in(server, "ada", ["admin"])
    yield session
    await session.close()


@PAGE
async def test_an_admin_makes_a_token_sees_it_once_and_revokes_it(admin):
    csrf = await csrf_of(admin)
    async with admin.post(
        "/tokens", data={"name": "warehouse scanner", "csrf_token": csrf}
    ) as made:
        assert made.status == 200
        assert made.headers["Cache-Control"] == "no-store"
        token = NEW_TOKEN.search(await made.text())[1]
    assert await verify_api_token(token) == "warehouse scanner"
    async with admin.get("/tokens") as listing:
        page = await listing.text()
    assert "warehouse scanner" in page
    assert token not in page
    [row] = await list_api_tokens(actor=ADMIN)
    revoke = {"csrf_token": csrf}
    async with admin.post(f"/tokens/{row.id}/revoke", data=revoke, allow_redirects=False) as gone:
        assert (gone.status, gone.headers["Location"]) == (303, "/tokens")
    assert await verify_api_token(token) is None


@PAGE
async def test_a_form_without_the_csrf_token_is_refused(admin):
    await create_api_token("erp", actor=ADMIN)
    [row] = await list_api_tokens(actor=ADMIN)
    async with admin.post("/tokens", data={"name": "sneaky"}) as response:
        assert response.status == 403
    async with admin.post(f"/tokens/{row.id}/revoke", data={"csrf_token": "wrong"}) as response:
        assert response.status == 403
    assert [t.name for t in await list_api_tokens(actor=ADMIN)] == ["erp"]
    assert (await list_api_tokens(actor=ADMIN))[0].active


@PAGE
async def test_a_nameless_token_is_refused_on_the_page(admin):
    csrf = await csrf_of(admin)
    async with admin.post("/tokens", data={"name": " ", "csrf_token": csrf}) as response:
        assert response.status == 422
        assert 'role="alert"' in await response.text()
    assert await ApiToken.all().count() == 0


@PAGE
async def test_revoking_an_unknown_token_is_404(admin):
    csrf = await csrf_of(admin)
    async with admin.post("/tokens/999/revoke", data={"csrf_token": csrf}) as response:
        assert response.status == 404


@PAGE
async def test_a_reviewer_may_not_see_or_make_tokens(server, admin):
    reviewer = await signed_in(server, "rita", ["reviewer"])
    async with reviewer:
        async with reviewer.get("/login") as page:
            csrf = CSRF.search(await page.text())[1]
        async with reviewer.get("/tokens") as response:
            assert response.status == 403
        async with reviewer.post("/tokens", data={"name": "x", "csrf_token": csrf}) as response:
            assert response.status == 403
    assert await ApiToken.all().count() == 0
