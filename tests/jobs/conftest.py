"""The outbox sender against the emulator, with a bot built the way the runtime builds it."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from telegram.ext import Application

from bot.app import build_application
from emulator import Emulator
from models import Customer
from tests.e2e.conftest import TOKEN, renderer
from tests.factories import Shop, build_shop


@dataclass
class Outbox:
    emu: Emulator
    app: Application
    shop: Shop
    chat_id: int

    async def deliver(self, limit: int = 50) -> int:
        from jobs.outbox import deliver_due

        return await deliver_due(
            self.app.bot,
            self.app.bot_data["renderer"],
            clock=self.shop.clock,
            staff_chat_id=-100500,
            limit=limit,
        )


@pytest.fixture
def small_batches(monkeypatch) -> int:
    """Jobs read two rows per query, so a few due requests take several batches."""
    monkeypatch.setattr("services.deadlines.BATCH", 2)
    return 2


@pytest.fixture
async def outbox(db, clock, monkeypatch) -> AsyncIterator[Outbox]:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    shop = await build_shop(clock)
    async with Emulator(token=TOKEN) as emu:
        user = emu.create_user("Li", language_code="zh-hans")
        await Customer.filter(id=shop.customer.id).update(telegram_user_id=user["id"])
        app = build_application(
            TOKEN, base_url=emu.base_url, clock=clock, renderer=renderer(), polling=False
        )
        async with app:
            yield Outbox(emu, app, shop, user["id"])
