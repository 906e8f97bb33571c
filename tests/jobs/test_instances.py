"""Several outbox senders on one PostgreSQL, one of them in a process of its own: each due
message is delivered exactly once, and an instance killed mid-delivery loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.clock import Clock, FakeClock, SystemClock
from emulator import Emulator
from jobs.scheduler import deliver_backlog
from jobs.sender import sending_application
from models import Customer, Notification
from services.outbox import LEASE
from tests.conftest import fresh_database
from tests.e2e.conftest import TOKEN, renderer

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).parents[2]
LANGUAGES = ("en", "zh_Hans", "ru")
GREETING = {"en": "Message from the shop", "zh_Hans": "商家关于申请", "ru": "Сообщение магазина"}
FAST = 500  # messages/s per instance: raised from Telegram's 30 to keep the tests short


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, and its URL for the other process."""
    async with fresh_database("postgres") as url:
        yield url


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN) as emulator:
        yield emulator


async def fill_outbox(emu: Emulator, count: int) -> dict[int, str]:
    """One due message for each of ``count`` customers with a chat of their own; chat → language."""
    chats = {emu.create_user(f"C{n}")["id"]: LANGUAGES[n % 3] for n in range(count)}
    await Customer.bulk_create(
        [
            Customer(name=f"C{n}", phone=f"+1555{n:07d}", language=language, telegram_user_id=chat)
            for n, (chat, language) in enumerate(chats.items())
        ]
    )
    due = datetime.now(UTC) - timedelta(minutes=1)
    await Notification.bulk_create(
        [
            Notification(
                customer_id=customer.id,
                template="staff_message",
                params={"number": f"N-{customer.id}", "text": "Your parcel arrived."},
                dedupe_key=f"bulk:{customer.id}",
                due_at=due,
                created_at=due,
            )
            for customer in await Customer.all()
        ]
    )
    return chats


@asynccontextmanager
async def other_instance(
    url: str, emu: Emulator, rate: int
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``tests.jobs.instance`` in its own process, connected and ready to deliver."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.jobs.instance",
        url,
        emu.base_url,
        TOKEN,
        "--rate",
        str(rate),
        cwd=ROOT,
        env={**os.environ, "PTB_TIMEDELTA": "1"},
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        ready = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert ready.strip() == b"ready"
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def deliver_here(emu: Emulator, clock: Clock) -> int:
    """This instance delivers until nothing it may claim is left."""
    app = sending_application(TOKEN, base_url=emu.base_url, rate=FAST)
    delivered = 0
    async with app:
        while sent := await deliver_backlog(app.bot, renderer(), clock=clock, staff_chat_id=None):
            delivered += sent
    return delivered


def total(emu: Emulator, chats: dict[int, str]) -> int:
    return sum(emu.delivered[chat] for chat in chats)


async def test_two_instances_deliver_2000_due_messages_exactly_once(pg_url, emu):
    chats = await fill_outbox(emu, 2000)
    async with other_instance(pg_url, emu, FAST) as process:
        here = await deliver_here(emu, SystemClock())
        assert process.stdout is not None
        there = int((await process.stdout.readline()).split()[1])
    assert here + there == 2000
    assert here > 0
    assert there > 0  # both instances really delivered
    assert Counter(emu.delivered[chat] for chat in chats) == {1: 2000}
    assert await Notification.filter(status="sent").count() == 2000
    for chat, language in list(chats.items())[:3]:
        [message] = emu.messages(chat)
        assert GREETING[language] in message["text"]


async def test_an_instance_killed_mid_delivery_loses_nothing(pg_url, emu):
    chats = await fill_outbox(emu, 600)
    async with other_instance(pg_url, emu, 200) as process:
        chat = list(chats)[274]  # in the middle of its sixth batch of 50
        await emu.wait_until(chat, lambda: emu.delivered[chat] > 0, wait=60)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    # The child's last sends were in the emulator's sockets before process.wait() returned;
    # they are answered to no one, and count what they delivered only once they are done.
    await emu.wait_until_idle(wait=10)
    orphaned = await Notification.filter(status="sending").prefetch_related("customer")
    sent_unrecorded = sum(1 for row in orphaned if emu.delivered[row.customer.telegram_user_id])
    assert orphaned  # it died holding leases

    clock = FakeClock(datetime.now(UTC))
    await deliver_here(emu, clock)
    assert await Notification.filter(status="sending").count() == len(orphaned)  # leased still
    clock.advance(LEASE + timedelta(seconds=1))
    await deliver_here(emu, clock)

    assert await Notification.filter(status="sent").count() == 600
    assert min(emu.delivered[chat] for chat in chats) == 1  # nothing lost
    duplicates = total(emu, chats) - 600
    assert duplicates == sent_unrecorded  # exactly those sent but not yet marked sent
    print(f"killed with {len(orphaned)} leased, {duplicates} delivered twice")
