"""Webhook mode: Telegram posts updates to the project's aiohttp app with a secret header."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.app import build_application
from bot.webhook import SECRET_HEADER, WEBHOOK_PATH, add_webhook, webhook_secret
from emulator import Emulator
from returndesk.runtime import serving
from tests.e2e.conftest import TOKEN, Customer, Desk, renderer
from tests.factories import build_shop

SECRET = webhook_secret("a secret key for the webhook tests, long enough")


@pytest.fixture
async def webhook_desk(db, clock, monkeypatch, unused_tcp_port) -> AsyncIterator[tuple[Desk, str]]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    shop = await build_shop(clock)
    async with Emulator(token=TOKEN) as emu:
        app = build_application(
            TOKEN, base_url=emu.base_url, clock=clock, renderer=renderer(), polling=False
        )
        web_app = web.Application()
        add_webhook(web_app, app, SECRET)
        url = f"http://127.0.0.1:{unused_tcp_port}{WEBHOOK_PATH}"
        async with app, serving(web_app, "127.0.0.1", unused_tcp_port):
            await app.start()
            await app.bot.set_webhook(url, secret_token=SECRET)
            yield Desk(emu, app, shop), url
            await app.stop()


async def test_a_customer_chats_through_the_webhook(webhook_desk):
    desk, _url = webhook_desk
    user = desk.emu.create_user("Li", language_code="en")
    li = Customer(desk, user["id"])
    await li.command("start")
    assert "share your phone" in (await li.reply())["text"]
    await li.share_contact()
    assert "linked" in (await li.reply())["text"]


@pytest.mark.parametrize("header", [None, "wrong-secret"])
async def test_a_post_without_the_secret_is_refused(webhook_desk, header):
    _desk, url = webhook_desk
    headers = {SECRET_HEADER: header} if header else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"update_id": 1}, headers=headers) as response,
    ):
        assert response.status == 403


async def test_a_body_that_is_not_json_is_refused(webhook_desk):
    _desk, url = webhook_desk
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=b"{oops", headers={SECRET_HEADER: SECRET}) as response,
    ):
        assert response.status == 400
