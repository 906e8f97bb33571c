"""Webhook delivery to aiohttp receivers, including a PTB application fed by webhook."""

import pytest
from telegram import Bot, Update
from telegram.error import Conflict
from telegram.ext import Application

from emulator import Emulator
from tests.emulator.conftest import WAIT
from tests.emulator.receiver import Receiver

SECRET = "s3cret_Token-1"


async def test_delivery_carries_the_secret_header(emu: Emulator, bot: Bot):
    user = emu.create_user("Ann")
    async with Receiver() as receiver:
        assert await bot.set_webhook(receiver.url, secret_token=SECRET)
        sent = await emu.send_text(user["id"], "hook me")
        headers, update = await receiver.next()
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert update == sent
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)


async def test_get_updates_conflicts_while_webhook_is_set(emu: Emulator, bot: Bot):
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_failed_delivery_is_retried(emu: Emulator, bot: Bot):
    user = emu.create_user("Bo")
    async with Receiver(lambda attempt: 500 if attempt == 1 else 200) as receiver:
        await bot.set_webhook(receiver.url)
        sent = await emu.send_text(user["id"], "retry")
        _, update = await receiver.next()
        info = await bot.get_webhook_info()
    assert update["update_id"] == sent["update_id"]
    assert receiver.attempts == 2
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_round_robin_over_several_instances(emu: Emulator, bot: Bot):
    users = [emu.create_user(f"U{i}") for i in range(4)]
    async with Receiver() as first, Receiver() as second:
        await bot.set_webhook("http://balancer.invalid/hook", secret_token=SECRET)
        await emu.set_webhook_targets([first.url, second.url])
        for user in users:
            await emu.send_text(user["id"], "spread")
        received = [await first.next(), await first.next(), await second.next()]
        received.append(await second.next())
    assert sorted(update["message"]["chat"]["id"] for _, update in received) == [
        user["id"] for user in users
    ]
    assert all(h["X-Telegram-Bot-Api-Secret-Token"] == SECRET for h, _ in received)


async def test_pending_updates_can_be_dropped(emu: Emulator, bot: Bot):
    user = emu.create_user("Cy")
    await emu.send_text(user["id"], "old")
    async with Receiver() as receiver:
        await bot.set_webhook(receiver.url, drop_pending_updates=True)
        new = await emu.send_text(user["id"], "new")
        _, update = await receiver.next()
    assert update == new


async def test_ptb_application_fed_by_webhook(emu: Emulator, echo_app: Application):
    user = emu.create_user("Dee")
    async with Receiver() as receiver:
        await echo_app.bot.set_webhook(receiver.url, secret_token=SECRET)
        await emu.send_text(user["id"], "via webhook")
        headers, data = await receiver.next()
        assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
        await echo_app.update_queue.put(Update.de_json(data, echo_app.bot))
        reply = await emu.next_bot_message(user["id"], WAIT)
    assert reply["text"] == "You said: via webhook"
