"""Another instance of the outbox sender, in a process of its own (tests of several instances).

    python -m tests.jobs.instance DB_URL BOT_API_BASE_URL TOKEN [--rate N] [--batch N]

Prints ``ready`` once connected, delivers until no message is pending or being sent by
anyone, then prints ``delivered N`` and exits. Tests may SIGKILL it at any moment.
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
from models import Notification
from returndesk.database import connected

UNFINISHED = ("pending", "sending")


async def run(db_url: str, base_url: str, token: str, rate: float, batch: int) -> int:
    renderer = Renderer(load_catalogs(), currency="CNY", zone=ZoneInfo("Asia/Shanghai"))
    async with connected(db_url):
        app = sending_application(token, base_url=base_url, rate=rate)
        async with app:
            print("ready", flush=True)
            delivered = 0
            while True:
                delivered += await deliver_backlog(
                    app.bot, renderer, clock=SystemClock(), staff_chat_id=None, limit=batch
                )
                if not await Notification.filter(status__in=UNFINISHED).exists():
                    return delivered
                await asyncio.sleep(0.05)


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
