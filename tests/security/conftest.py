"""The back-office under aiohttp's test server, with staff who sign in through the form.

Each :class:`Browser` is one cookie jar (one person's browser): it signs in with the real
login form and sends forms the way the pages do, or — to test the server's own checks —
the way an attacker would, without the page's CSRF token or with another role's form.
Requests are put in the status each test needs through the services.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from multidict import CIMultiDict

import models
from backoffice.app import create_app
from backoffice.keys import PHOTOS
from domain.returns import Actor, ReturnType, Status
from models import Order, OrderLine, ReturnLine, ReturnRequest, StaffUser
from services import staff as staff_accounts
from services.refunds import record_exchange_payment, refund_return
from services.review import approve_return
from services.staff import add_staff_user
from services.submission import LineRequest, ReturnDraft, submit_return
from services.warehouse import Grades, inspect_return, receive_return
from tests.factories import FINANCE, REVIEWER, WAREHOUSE, Shop, build_shop, place_order

PASSWORD = "a-long-security-password"
SECRET = "security-tests-secret"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT = re.compile(r'action="/login".*?name="next" value="([^"]*)"', re.DOTALL)
PHOTO_BYTES = b"\x89PNG the customer's photo"
_orders = itertools.count(1)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CIMultiDict[str]
    text: str


@dataclass
class Browser:
    """One person's browser: its own cookies, the CSRF token of the last page it read."""

    client: TestClient
    token: str = ""
    next: str = "/"

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str]:
        async with self.client.get(path, allow_redirects=False, **kwargs) as response:
            text = (await response.read()).decode("utf-8", "replace")  # exports are binary
        self.remember(text)
        return response.status, text

    def remember(self, text: str) -> None:
        """Keep the CSRF token (and sign-in target) of a page, as its forms would send them."""
        found = CSRF.search(text)
        if found:
            self.token = found.group(1)
        target = NEXT.search(text)
        if target:
            self.next = html.unescape(target.group(1))

    async def page(self, path: str) -> str:
        status, text = await self.get(path)
        assert status == 200, (path, status)
        return text

    async def post(
        self, path: str, data: Mapping[str, str] | None = None, *, token: str | None = None
    ) -> Answer:
        """POST ``data`` with ``token`` (the page's token unless given; "" sends none)."""
        return await self.post_as("POST", path, data, token=token)

    async def post_as(
        self,
        method: str,
        path: str,
        data: Mapping[str, str] | None = None,
        *,
        token: str | None = None,
    ) -> Answer:
        form = dict(data or {})
        token = self.token if token is None else token
        if token:
            form["csrf_token"] = token
        async with self.client.request(method, path, data=form, allow_redirects=False) as response:
            return Answer(response.status, response.headers.copy(), await response.text())

    def cookie(self, name: str = "returndesk_session") -> str:
        for morsel in self.client.session.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return ""

    async def sign_in(self, username: str, password: str = PASSWORD) -> Answer:
        await self.page("/login")
        return await self.post("/login", {"username": username, "password": password, "next": "/"})

    async def sign_in_from_page(self, username: str, path: str = "") -> Answer:
        """Sign in with the form as the last page read showed it (its ``next`` included)."""
        return await self.post(
            "/login", {"username": username, "password": PASSWORD, "next": self.next}
        )


@dataclass
class Office:
    """The served back-office, the factory shop and a way to open more browsers."""

    app: web.Application
    server: TestServer
    shop: Shop
    browsers: list[TestClient] = field(default_factory=list)

    async def browser(self) -> Browser:
        client = TestClient(self.server)
        await client.start_server()
        self.browsers.append(client)
        return Browser(client)

    async def staff(self, username: str) -> Browser:
        """A browser signed in as ``username`` (the staff member of that role)."""
        await make_staff(username)
        browser = await self.browser()
        response = await browser.sign_in(username)
        assert (response.status, response.headers["Location"]) == (303, "/"), response.status
        await browser.page("/")
        return browser


async def make_staff(*usernames: str) -> None:
    """Staff named after their one role (made once)."""
    for username in usernames:
        if not await StaffUser.exists(username=username):
            await add_staff_user(username, PASSWORD, [username])


async def fake_photo(file_id: str) -> bytes | None:
    return PHOTO_BYTES if file_id.startswith("photo") else None


def backoffice(shop: Shop) -> web.Application:
    app = create_app(
        secret_key=SECRET, clock=shop.clock, zone=ZoneInfo("Asia/Shanghai"), currency="CNY"
    )
    app[PHOTOS] = fake_photo
    return app


@pytest.fixture
def db_kind() -> str:
    return "sqlite"


@pytest.fixture
async def shop(db, clock) -> Shop:
    return await build_shop(clock)


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with light parameters: each sign-in costs milliseconds, not 0.2 s."""
    monkeypatch.setattr(staff_accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
async def office(shop) -> AsyncIterator[Office]:
    app = backoffice(shop)
    server = TestServer(app)
    await server.start_server()
    office = Office(app, server, shop)
    try:
        yield office
    finally:
        for client in office.browsers:
            await client.close()
        await server.close()


# --- requests in a given status ---------------------------------------------------------------


async def new_request(
    shop: Shop, *, kind: ReturnType = ReturnType.REFUND, description: str = ""
) -> ReturnRequest:
    """A submitted request on a fresh one-line order (one TEE-1; exchanges take a TEE-2)."""
    number = f"SEC-{next(_orders)}"
    delivered = shop.clock.now() - timedelta(days=1)
    await place_order(shop.clock, number, shop.customer.phone, delivered, [("TEE-1", 1, "100.00")])
    order = await Order.get(number=number)
    line = await OrderLine.get(order_id=order.id)
    replacement = shop.products["TEE-2"].id if kind is ReturnType.EXCHANGE else None
    draft = ReturnDraft(
        order.id,
        kind,
        "quality_defect",
        (LineRequest(line.id, 1, replacement),),
        ("photo-1",),
        description,
    )
    view = await submit_return(draft, actor=Actor.customer(shop.customer.id), clock=shop.clock)
    return await ReturnRequest.get(id=view.id)


async def in_status(
    shop: Shop, status: Status, *, kind: ReturnType = ReturnType.REFUND, paid: bool = False
) -> ReturnRequest:
    """A request moved by the services to ``status`` (exchanges: ``paid`` the difference)."""
    request = await new_request(shop, kind=kind)
    clock, rid = shop.clock, request.id
    path = [Status.APPROVED, Status.RECEIVED, Status.INSPECTED, Status.REFUNDED]
    for step in path[: path.index(status) + 1] if status in path else ():
        if step is Status.APPROVED:
            await approve_return(rid, actor=REVIEWER, clock=clock)
        elif step is Status.RECEIVED:
            line = await ReturnLine.get(request_id=rid)
            await receive_return(rid, {line.id: 1}, actor=WAREHOUSE, clock=clock)
        elif step is Status.INSPECTED:
            line = await ReturnLine.get(request_id=rid)
            await inspect_return(rid, {line.id: Grades(resellable=1)}, actor=WAREHOUSE, clock=clock)
        else:
            await refund_return(rid, actor=FINANCE, clock=clock)
    if paid:
        await record_exchange_payment(rid, "50.00", actor=FINANCE, clock=clock)
    await request.refresh_from_db()
    return request


async def everything() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table: what a refused request must leave exactly as it was."""
    tables = {}
    for name in models.__all__:
        model = getattr(models, name)
        rows = await model.all().order_by(model._meta.pk_attr).values()
        tables[name] = rows
    return tables
