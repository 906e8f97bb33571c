"""Injected faults as PTB sees them: RetryAfter, Forbidden, NetworkError, latency."""

import asyncio
import datetime as dt

import aiohttp
import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from emulator import Emulator


async def test_429_becomes_retry_after(emu: Emulator, bot: Bot, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    user = emu.create_user("Ann")
    emu.inject("retry_after", retry_after=7, method="sendmessage")
    assert await bot.get_me()
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user["id"], "flood")
    assert caught.value.retry_after == dt.timedelta(seconds=7)
    await bot.send_message(user["id"], "fine")
    assert emu.calls["sendMessage"] == 2
    assert emu.delivered[user["id"]] == 1


async def test_blocked_chat_is_forbidden_until_cleared(emu: Emulator, bot: Bot):
    blocked, other = emu.create_user("Bo"), emu.create_user("Cy")
    emu.faults.block(blocked["id"])
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(blocked["id"], "hello")
    await bot.send_message(other["id"], "hello")
    emu.faults.unblock(blocked["id"])
    await bot.send_message(blocked["id"], "hello again")
    assert emu.delivered == {other["id"]: 1, blocked["id"]: 1}


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_become_network_errors(emu: Emulator, bot: Bot, status: int):
    user = emu.create_user("Dee")
    emu.inject("server_error", status=status, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(user["id"], "hi")
        assert not isinstance(caught.value, BadRequest)
    await bot.send_message(user["id"], "hi")
    assert emu.delivered[user["id"]] == 1


async def test_fault_limited_to_one_chat(emu: Emulator, bot: Bot):
    first, second = emu.create_user("Eve"), emu.create_user("Fay")
    emu.inject("server_error", chat_id=second["id"])
    await bot.send_message(first["id"], "ok")
    with pytest.raises(NetworkError):
        await bot.send_message(second["id"], "fails once")
    await bot.send_message(second["id"], "ok")


async def test_latency_is_added(emu: Emulator, bot: Bot):
    emu.inject("latency", delay=0.2, method="getMe")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await bot.get_me()
    assert loop.time() - started >= 0.2
    assert emu.faults.rules == []


def test_unknown_fault_kind_is_rejected(emu: Emulator):
    with pytest.raises(ValueError, match="unknown fault kind"):
        emu.inject("meteor")


async def test_wait_until_idle_returns_once_a_call_in_flight_is_answered(emu: Emulator, bot: Bot):
    user = emu.create_user("Gil")
    emu.inject("latency", delay=0.3, method="sendMessage")  # holds the call, whatever its pace
    sending = asyncio.create_task(bot.send_message(user["id"], "slow"))
    await emu.wait_for_calls(lambda: emu.in_flight == 1)
    assert emu.delivered[user["id"]] == 0

    await emu.wait_until_idle()

    assert (emu.in_flight, emu.delivered[user["id"]]) == (0, 1)
    await sending


async def test_wait_until_idle_waits_for_a_call_whose_client_went_away(emu: Emulator):
    user = emu.create_user("Hal")
    emu.inject("latency", delay=0.3, method="sendMessage")
    async with aiohttp.ClientSession() as session:
        sending = asyncio.create_task(
            session.post(
                f"{emu.base_url}{emu.token}/sendMessage",
                json={"chat_id": user["id"], "text": "bye"},
            )
        )
        await emu.wait_for_calls(lambda: emu.in_flight == 1)
        sending.cancel()  # the client dies before its answer
    await emu.wait_until_idle()
    assert emu.delivered[user["id"]] == 1


async def test_a_long_poll_does_not_keep_the_emulator_busy(emu: Emulator, bot: Bot):
    user = emu.create_user("Ida")
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for_calls(lambda: emu.calls["getUpdates"] == 1)

    await emu.wait_until_idle()

    assert not polling.done()
    await emu.send_text(user["id"], "wake up")
    [update] = await polling
    assert update.message.text == "wake up"
