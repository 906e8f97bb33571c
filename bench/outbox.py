"""Outbox fan-out benchmark: N due notifications delivered through the rate limiter.

Run from the repository root (see bench/README.md)::

    /work/venv/bin/python -m bench.outbox                     # 10,000 at 100/s, 1,000 at 30/s
    /work/venv/bin/python -m bench.outbox --run 2000@100      # any runs, messages@limit

Each run gets a fresh PostgreSQL database with one customer (and one chat) per message,
and a Telegram stand-in in a process of its own: the emulator behind a leaky bucket of the
configured limit (capacity one second of messages, 10 % + 2 slack for arrival jitter) that
answers 429 with ``retry_after`` to whatever goes faster, as Telegram does. This process
sends with the outbox's own loop (``deliver_backlog``) through python-telegram-bot's
AIORateLimiter(overall_max_rate=limit). The table says how close the achieved rate came to
the limit, and counts 429s, duplicates and losses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424242:RETURNDESK-BENCH"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
FIRST_USER_ID = 100001  # the emulator numbers users from here
SLACK = 0.10  # of one second's messages, plus two: arrival jitter, not extra rate
UNFINISHED = ("pending", "sending")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- The Telegram stand-in (child process) ------------------------------------------------


class LeakyBucket:
    """Telegram's limit as a leaky bucket: ``rate`` per second, bursts up to one second's worth."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = rate * (1 + SLACK) + 2
        self.level = 0.0
        self.checked = time.monotonic()

    def admit(self) -> bool:
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self.checked) * self.rate)
        self.checked = now
        if self.level + 1 > self.capacity:
            return False
        self.level += 1
        return True


def telegram_app(users: int, limit: float) -> web.Application:
    """The emulator with ``users`` chats behind the rate limit, plus a stats route."""
    from emulator import Emulator

    emulator = Emulator(token=TOKEN)
    for n in range(users):
        emulator.create_user(f"C{n}")
    bucket, accepted, refused = LeakyBucket(limit), [], Counter()

    @web.middleware
    async def rate_limit(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.lower().endswith("/sendmessage"):
            return await handler(request)
        if not bucket.admit():
            refused["429"] += 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        response = await handler(request)
        accepted.append(time.monotonic())
        return response

    async def stats(request: web.Request) -> web.Response:
        delivered = {str(chat): count for chat, count in emulator.delivered.items()}
        return web.json_response(
            {"accepted": accepted, "refused": refused["429"], "delivered": delivered}
        )

    app = emulator.create_app()
    app.middlewares.append(rate_limit)
    app.router.add_get("/_bench/stats", stats)
    return app


async def serve(users: int, limit: float) -> None:
    runner = web.AppRunner(telegram_app(users, limit))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"http://{host}:{port}", flush=True)
    await asyncio.Event().wait()


# --- The desk's side (this process) -------------------------------------------------------


@dataclass
class Result:
    messages: int
    limit: float
    seconds: float
    rate: float
    sustained: float
    peak: int
    refused: int
    duplicates: int
    lost: int
    cpu_ms: float = 0.0

    @property
    def ratio(self) -> float:
        return self.rate / self.limit

    @property
    def sustained_ratio(self) -> float:
        return self.sustained / self.limit


async def fill_outbox(count: int) -> None:
    from models import Customer, Notification

    now = datetime.now(UTC)
    await Customer.bulk_create(
        [
            Customer(
                name=f"C{n}",
                phone=f"+1555{n:07d}",
                language=("en", "zh_Hans", "ru")[n % 3],
                telegram_user_id=FIRST_USER_ID + n,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    customers = await Customer.all().only("id")
    await Notification.bulk_create(
        [
            Notification(
                customer_id=customer.id,
                template="staff_message",
                params={"number": f"N-{customer.id}", "text": "Your refund is on its way."},
                dedupe_key=f"bench:{customer.id}",
                due_at=now,
                created_at=now,
            )
            for customer in customers
        ],
        batch_size=1000,
    )


async def deliver_all(base_url: str, limit: float, count: int) -> None:
    """Run the outbox sender until every message is sent (or dead)."""
    from bot.i18n import Renderer, load_catalogs
    from domain.clock import SystemClock
    from jobs.scheduler import deliver_backlog
    from jobs.sender import sending_application
    from models import Notification

    renderer = Renderer(load_catalogs(), currency="CNY", zone=ZoneInfo("Asia/Shanghai"))
    app = sending_application(TOKEN, base_url=f"{base_url}/bot", rate=limit)
    sent, step = 0, max(count // 10, 1)
    async with app:
        while await Notification.filter(status__in=UNFINISHED).exists():
            batch = await deliver_backlog(
                app.bot, renderer, clock=SystemClock(), staff_chat_id=None
            )
            if sent // step != (sent + batch) // step:
                log(f"  {sent + batch}/{count}")
            sent += batch
            if not batch:
                await asyncio.sleep(0.05)


def peak_per_second(times: list[float]) -> int:
    """The most messages accepted in any one-second window."""
    peak, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def measure(stats: dict[str, Any], count: int, limit: float) -> Result:
    times = sorted(stats["accepted"])
    delivered = Counter({int(chat): n for chat, n in stats["delivered"].items()})
    chats = range(FIRST_USER_ID, FIRST_USER_ID + count)
    seconds = times[-1] - times[0]
    burst = int(limit)  # a leaky bucket lets one second's worth through at once, once
    return Result(
        messages=len(times),
        limit=limit,
        seconds=seconds,
        rate=(len(times) - 1) / seconds,
        sustained=(len(times) - 1 - burst) / seconds,
        peak=peak_per_second(times),
        refused=stats["refused"],
        duplicates=sum(max(delivered[chat] - 1, 0) for chat in chats),
        lost=sum(1 for chat in chats if delivered[chat] == 0),
    )


async def deliver_run(base_url: str, count: int, limit: float, database: str) -> Result:
    from tortoise.context import tortoise_test_context

    url = f"{database}/returndesk_bench_{uuid.uuid4().hex[:12]}"
    async with tortoise_test_context(["models"], db_url=url, connection_label="bench"):
        await fill_outbox(count)
        log(f"{count} messages at {limit:g}/s")
        cpu = time.process_time()
        await deliver_all(base_url, limit, count)
        cpu = time.process_time() - cpu
    async with ClientSession() as session, session.get(f"{base_url}/_bench/stats") as got:
        stats = json.loads(await got.text())
    result = measure(stats, count, limit)
    result.cpu_ms = cpu * 1000 / count
    return result


def run(count: int, limit: float, database: str) -> Result:
    """One run against a fresh Telegram stand-in process and a fresh database."""
    telegram = subprocess.Popen(
        [sys.executable, "-m", "bench.outbox", "--serve", str(count), str(limit)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert telegram.stdout is not None
        base_url = telegram.stdout.readline().strip()
        return asyncio.run(deliver_run(base_url, count, limit, database))
    finally:
        telegram.terminate()
        telegram.wait()


def table(results: list[Result]) -> str:
    head = (
        "| messages | limit/s | seconds | achieved/s | ÷ limit | ÷ limit, burst excluded "
        "| peak in 1 s | 429s | duplicates | lost | sender CPU ms/message |"
    )
    rows = [head, "|" + "---|" * 11]
    for r in results:
        rows.append(
            f"| {r.messages:,} | {r.limit:g} | {r.seconds:.1f} | {r.rate:.1f} | {r.ratio:.3f} "
            f"| {r.sustained_ratio:.3f} | {r.peak} | {r.refused} | {r.duplicates} | {r.lost} "
            f"| {r.cpu_ms:.1f} |"
        )
    return "\n".join(rows)


def parse_run(text: str) -> tuple[int, float]:
    count, _, limit = text.partition("@")
    return int(count), float(limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="append", type=parse_run, help="messages@limit")
    parser.add_argument("--database", default=POSTGRES, help="PostgreSQL server URL")
    parser.add_argument("--serve", nargs=2, metavar=("USERS", "LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # as the runtime sets it
    if args.serve:
        asyncio.run(serve(int(args.serve[0]), float(args.serve[1])))
        return
    results = []
    for count, limit in args.run or [(10_000, 100.0), (1_000, 30.0)]:
        results.append(run(count, limit, args.database))
    print(table(results))


if __name__ == "__main__":
    main()
