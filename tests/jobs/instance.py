"""Another instance of the outbox sender, in a process of its own (tests of several instances).

    python -m tests.jobs.instance DB_URL BOT_API_BASE_URL TOKEN [--rate N] [--batch N]

Prints ``ready`` once connected, delivers until a pass finds nothing it may claim (what is
left is leased to another instance, or not due), then prints ``delivered N`` and exits.
Tests may SIGKILL it at any moment.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from zoneinfo import ZoneInfo

from bot.i18n import Renderer, load_catalogs
from domain.clock import SystemClock
from jobs.scheduler import deliver_backlog
from jobs.sender import sending_application
from returndesk.database import connected


async def run(db_url: str, base_url: str, token: str, rate: float, batch: int) -> int:
    renderer = Renderer(load_catalogs(), currency="CNY", zone=ZoneInfo("Asia/Shanghai"))
    async with connected(db_url):
        app = sending_application(token, base_url=base_url, rate=rate)
        async with app:
            print("ready", flush=True)
            delivered = 0
            while sent := await deliver_backlog(
                app.bot, renderer, clock=SystemClock(), staff_chat_id=None, limit=batch
            ):
                delivered += sent
            return delivered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db_url")
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("--rate", type=float, default=30)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    delivered = asyncio.run(run(args.db_url, args.base_url, args.token, args.rate, args.batch))
    print(f"delivered {delivered}", flush=True)


if __name__ == "__main__":
    main()
