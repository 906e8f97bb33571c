"""Chat load benchmark: N customers walk the whole return flow at once through the emulator.

Run from the repository root (see bench/README.md)::

    /work/venv/bin/python -m bench.chat --customers 100 --database both --mode both

Every measured configuration runs in a fresh interpreter (this module with ``--child``) on a
fresh database, so runs do not share ORM state, caches or garbage. The parent prints the
table on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# One customer's walk; the floor replies once to every update, so it uses the same actions
# with one reply each.
from services.load_shop import REFUND_WALK as FLOW

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424242:RETURNDESK-BENCH"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
PHOTO = b"\x89PNG bench"
WAIT = 300.0  # seconds a customer waits for one reply before the run counts it as lost
PROGRESS_STEPS = 10
LATE = 0.001  # paced: a send this far behind its time counts as late (the reply was slower)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Runs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One measured configuration."""

    bot: str  # "floor" (no-op handler), "state" (the floor plus the chat's row) or "desk"
    database: str  # "-", "sqlite" or "postgres"
    mode: str  # "saturation" or "paced"
    limiter: bool  # the production AIORateLimiter, or no rate limiter at all
    customers: int
    rate: float
    pause: float = 1.0
    pool: int = 20  # PostgreSQL: connections in Tortoise's pool (``maxsize``)
    socket: str = ""  # PostgreSQL: the Unix socket's directory ("": TCP to 127.0.0.1)
    db_url: str = ""

    @property
    def where(self) -> str:
        """The database, and how PostgreSQL is reached when not over TCP."""
        over_socket = self.database == "postgres" and self.socket
        return f"{self.database} (socket)" if over_socket else self.database

    @property
    def label(self) -> str:
        limiter = "limiter" if self.limiter else "no limiter"
        return f"{self.bot}/{self.where}/{self.mode}/{limiter}"


@dataclass
class Result:
    spec: Spec
    updates: int = 0
    lost: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)  # paced: how late sends left the timetable
    steps: list[int] = field(default_factory=list)  # the FLOW index of each latency
    sent: list[float] = field(default_factory=list)  # when each update was sent (s from start)
    requests: int = 0
    cpu: float = 0.0  # CPU seconds of the benchmark process (bot, emulator, customers)
    load: float = 0.0  # the machine's 1-minute load average when the run ended
    error: str = ""

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# The bot ---------------------------------------------------------------------------------


def make_application(spec: Spec, base_url: str) -> Any:
    """The PTB application for a run.

    The desk with the limiter is ``build_application`` itself. Without the limiter, the
    application comes from the same ``application_builder`` (Bot API address, HTTP client,
    per-chat ordering) and gets every handler, error handler and bot_data entry that
    ``build_application`` registered, only no rate limiter. The floor is that builder with one
    handler that replies ``ok``.
    """
    from telegram import Update
    from telegram.ext import AIORateLimiter, TypeHandler

    from bot.app import RETRIES_ON_RETRY_AFTER, application_builder, build_application
    from domain.clock import SystemClock

    desk = None
    if spec.bot == "desk":
        desk = build_application(
            TOKEN, base_url=base_url, clock=SystemClock(), renderer=make_renderer()
        )
        if spec.limiter:
            return desk
    builder = application_builder(TOKEN, base_url=base_url)
    if spec.limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RETRIES_ON_RETRY_AFTER))
    application = builder.build()
    if desk is None:
        application.add_handler(
            TypeHandler(Update, reply_ok_with_state if spec.bot == "state" else reply_ok)
        )
        return application
    application.bot_data.update(desk.bot_data)
    for group, handlers in desk.handlers.items():
        application.add_handlers(handlers, group)
    for callback, block in desk.error_handlers.items():
        application.add_error_handler(callback, block)
    return application


def make_renderer() -> Any:
    from bot.i18n import Renderer, load_catalogs

    return Renderer(load_catalogs(), currency="CNY", zone=ZoneInfo("Asia/Shanghai"))


async def reply_ok(update: Any, context: Any) -> None:
    """The floor: one fixed reply per update, nothing else."""
    await context.bot.send_message(update.effective_chat.id, "ok")


async def reply_ok_with_state(update: Any, context: Any) -> None:
    """The floor plus the least the desk must do for any update: lock the chat's state row,
    check the update_id and write the row back, in one transaction (the desk's own code)."""
    from tortoise.transactions import in_transaction

    from domain.clock import SystemClock
    from services.chat import Incoming
    from services.chat.state import load_turn, save_turn

    chat_id = update.effective_chat.id
    incoming = Incoming(update_id=update.update_id, chat_id=chat_id, user_id=chat_id)
    async with in_transaction():
        turn = await load_turn(incoming, SystemClock())
        if not turn.state.handled(incoming.update_id):
            await save_turn(turn)
    await reply_ok(update, context)


# The shop --------------------------------------------------------------------------------


async def seed(customers: int) -> None:
    """Products, N customers and one delivered order each (TEE-1 ×2, MUG-1 ×1)."""
    from services.load_shop import seed_load_shop

    await seed_load_shop(customers, stock=100_000)


def sqlite_url(directory: str) -> str:
    return f"sqlite://{directory}/bench.sqlite3"


async def create_postgres(name: str, *, drop: bool = False) -> None:
    import asyncpg

    connection = await asyncpg.connect(
        POSTGRES.replace("postgres://", "postgresql://") + "/postgres"
    )
    try:
        if drop:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


# The customers ---------------------------------------------------------------------------


def button_data(message: dict[str, Any], want: str) -> str:
    """Callback data of the first button whose ``verb[:arg]`` (after the nonce) is ``want``."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data", "")
            _nonce, _, rest = data.partition(":")
            if rest == want or rest.startswith(want + ":"):
                return data
    raise LookupError(f"no button {want!r} in {message.get('text', '')[:80]!r}")


def timetable(customers: int, rate: float, pause: float, seed: int = 1) -> list[list[float]]:
    """When each customer sends each step, as seconds from the start of the run.

    The run's time is cut into slots of ``1 / rate`` seconds and every slot is given to one
    customer, drawn at random (weighted by the steps it has left) among those that have
    paused at least ``pause`` seconds since their previous send: a constant offered load of
    ``rate`` updates/s with customers at every stage of the walk at once, each pausing
    ``customers / rate`` seconds on average. Seeded, so every run gets the same timetable.
    """
    rng = random.Random(seed)
    left = [len(FLOW)] * customers
    ready_at = [0.0] * customers
    table: list[list[float]] = [[] for _ in range(customers)]
    slot, remaining = 0, customers * len(FLOW)
    while remaining:
        now = slot / rate
        ready = [n for n in range(customers) if left[n] and ready_at[n] <= now]
        if ready:
            n = rng.choices(ready, weights=[left[m] for m in ready])[0]
            table[n].append(now)
            left[n] -= 1
            ready_at[n] = now + pause
            remaining -= 1
        slot += 1
    return table


class Crowd:
    """The customers: one coroutine per chat, each awaiting its own chat's next message."""

    def __init__(self, emu: Any, spec: Spec, result: Result) -> None:
        self.emu, self.spec, self.result = emu, spec, result
        self.users = [emu.create_user(f"C{n}")["id"] for n in range(spec.customers)]
        self.total = len(FLOW) * spec.customers
        self.done = 0
        self.started = 0.0
        self.finished = 0.0

    def send(self, user_id: int, n: int, step: tuple[str, str, int], last: Any) -> Awaitable[Any]:
        action, argument, _replies = step
        emu = self.emu
        if action == "command":
            return emu.send_command(user_id, argument)
        if action == "contact":
            from services.load_shop import shopper_phone

            return emu.share_contact(user_id, shopper_phone(n))
        if action == "photo":
            return emu.send_photo(user_id, PHOTO)
        if action == "text":
            return emu.send_text(user_id, argument)
        data = button_data(last, argument) if self.spec.bot == "desk" else "noop"
        return emu.press_button(user_id, last["message_id"], data=data)

    def replies(self, step: tuple[str, str, int]) -> int:
        return step[2] if self.spec.bot == "desk" else 1

    async def walk(self, n: int, schedule: Callable[[int, int], float] | None) -> None:
        user_id, last = self.users[n], None
        loop = asyncio.get_running_loop()
        for j, step in enumerate(FLOW):
            if schedule is not None:
                due = schedule(n, j)
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -LATE:
                    self.result.late.append(-delay)
            start = loop.time()
            await self.send(user_id, n, step, last)
            try:
                for _ in range(self.replies(step)):
                    last = await self.emu.next_bot_message(user_id, wait=WAIT)
            except TimeoutError:
                self.result.lost += len(FLOW) - j
                return
            now = loop.time()
            self.result.latencies.append(now - start)
            self.result.steps.append(j)
            self.result.sent.append(start - self.started)
            self.finished = max(self.finished, now)
            self.tick()
        if self.spec.bot == "desk" and "RMA-" not in (last or {}).get("text", ""):
            raise AssertionError(f"customer {n} did not end on a request: {last!r}")

    def tick(self) -> None:
        self.done += 1
        if self.done % max(1, self.total // PROGRESS_STEPS) == 0:
            elapsed = asyncio.get_running_loop().time() - self.started
            log(f"  {self.spec.label}: {self.done}/{self.total} updates in {elapsed:.1f} s")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self.started = loop.time()
        schedule = None
        if self.spec.mode == "paced":
            table = timetable(self.spec.customers, self.spec.rate, self.spec.pause)
            origin = self.started

            def schedule(n: int, j: int) -> float:
                return origin + table[n][j]

        cpu = time.process_time()
        await asyncio.gather(*(self.walk(n, schedule) for n in range(self.spec.customers)))
        self.result.cpu = time.process_time() - cpu
        self.result.load = os.getloadavg()[0]
        self.result.updates = len(self.result.latencies)
        self.result.seconds = self.finished - self.started


# One run (child process) -------------------------------------------------------------------


async def run_bot(spec: Spec, result: Result) -> None:
    from emulator import Emulator

    async with Emulator(token=TOKEN) as emu:
        application = make_application(spec, emu.base_url)
        await application.initialize()
        await application.start()
        await application.updater.start_polling(timeout=1, poll_interval=0)
        try:
            await Crowd(emu, spec, result).run()
        finally:
            stopping = time.monotonic()
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
            log(f"  {spec.label}: bot stopped in {time.monotonic() - stopping:.1f} s")
        result.requests = sum(emu.calls.values())


async def run_desk(spec: Spec, result: Result) -> None:
    from models import ReturnRequest
    from returndesk.database import connected, migrate

    began = time.monotonic()
    await migrate(spec.db_url)
    migrated = time.monotonic()
    async with connected(spec.db_url):
        await seed(spec.customers)
        log(
            f"  {spec.label}: database ready (migrations {migrated - began:.1f} s, "
            f"shop {time.monotonic() - migrated:.1f} s)"
        )
        await run_bot(spec, result)
        submitted = await ReturnRequest.all().count()
    if spec.bot == "desk" and not result.lost and submitted != spec.customers:
        raise AssertionError(f"{submitted} requests for {spec.customers} customers")


async def child(spec: Spec) -> Result:
    result = Result(spec)
    if spec.database != "-":
        await run_desk(spec, result)
    else:
        await run_bot(spec, result)
    return result


def child_main(raw: str) -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    spec = Spec(**json.loads(raw))
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as directory:
        if spec.database == "sqlite":
            spec = Spec(**(asdict(spec) | {"db_url": sqlite_url(directory)}))
        result = asyncio.run(child(spec))
    print(json.dumps(asdict(result)))


# The parent --------------------------------------------------------------------------------


def postgres_url(name: str, spec: Spec) -> str:
    """The run's database, over TCP or, with ``--socket``, PostgreSQL's Unix socket."""
    if spec.socket:
        return f"postgres://postgres@/{name}?host={spec.socket}&maxsize={spec.pool}"
    return f"{POSTGRES}/{name}?maxsize={spec.pool}"


def run_in_child(spec: Spec) -> Result:
    """Run one configuration in a fresh interpreter (a fresh PostgreSQL database too)."""
    name = ""
    if spec.database == "postgres":
        name = f"bench_chat_{uuid.uuid4().hex[:10]}"
        asyncio.run(create_postgres(name))
        spec = Spec(**(asdict(spec) | {"db_url": postgres_url(name, spec)}))
    log(f"run {spec.label} ({spec.customers} customers)")
    began = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.chat", "--child", json.dumps(asdict(spec))],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        if name:
            asyncio.run(create_postgres(name, drop=True))
    if done.returncode != 0:
        return Result(spec, error=f"exit {done.returncode}")
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    result = Result(**(raw | {"spec": spec}))
    log(
        f"  done in {time.monotonic() - began:.0f} s: {result.rate:.1f} updates/s, "
        f"{cpu_per_update(result)} CPU ms/update, "
        f"{result.requests / max(1, result.updates):.2f} Bot API calls/update, "
        f"load average {result.load:.1f}"
    )
    return result


def plan(args: argparse.Namespace) -> list[Spec]:
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    modes = ["saturation", "paced"] if args.mode == "both" else [args.mode]
    limiters = {"none": [False], "production": [True], "both": [False, True]}[args.limiter]
    specs = []
    for limiter in limiters:
        for mode in modes:
            common = {"mode": mode, "limiter": limiter, "customers": args.customers}
            common |= {"rate": args.rate, "pause": args.pause, "pool": args.pool}
            common |= {"socket": args.socket}
            specs.append(Spec("floor", "-", **common))
            for database in databases:
                specs.extend(Spec(bot, database, **common) for bot in args.bots)
    return specs


def step_table(result: Result) -> str:
    """p50/p99 per step of the walk, for one run."""
    by_step: dict[int, list[float]] = {}
    for step, latency in zip(result.steps, result.latencies, strict=True):
        by_step.setdefault(step, []).append(latency)
    lines = [f"{result.spec.label}, per step (p50 / p99 ms):"]
    for step, latencies in sorted(by_step.items()):
        action, argument, _replies = FLOW[step]
        name = f"{action} {argument}".strip()
        p50, p99 = ms(percentile(latencies, 50)), ms(percentile(latencies, 99))
        lines.append(f"  {step + 1:2d} {name:<28} {p50:>6} / {p99:>6}")
    return "\n".join(lines)


def cpu_per_update(result: Result) -> str:
    return f"{result.cpu / result.updates * 1000:.2f}" if result.updates else "—"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def table(results: list[Result]) -> str:
    floors = {(r.spec.mode, r.spec.limiter): r for r in results if r.spec.bot == "floor"}
    head = (
        "| mode | bot | database | rate limiter | customers | updates | updates/s "
        "| ratio to floor | p50 ms | p99 ms | CPU ms/update | load |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in results:
        s = r.spec
        limiter = "production (30 msg/s)" if s.limiter else "none"
        if r.error:
            lines.append(
                f"| {s.mode} | {s.bot} | {s.where} | {limiter} | {s.customers} "
                f"| failed: {r.error} | | | | | | |"
            )
            continue
        floor = floors.get((s.mode, s.limiter))
        ratio = "—"
        if s.mode == "saturation" and floor is not None and floor.rate and s.bot != "floor":
            ratio = f"{r.rate / floor.rate:.2f}"
        lost = f" ({r.lost} lost)" if r.lost else ""
        lines.append(
            f"| {s.mode} | {s.bot} | {s.where} | {limiter} | {s.customers} "
            f"| {r.updates}{lost} | {r.rate:.1f} | {ratio} "
            f"| {ms(percentile(r.latencies, 50))} | {ms(percentile(r.latencies, 99))} "
            f"| {cpu_per_update(r)} | {r.load:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--mode", choices=["saturation", "paced", "both"], default="both")
    parser.add_argument("--rate", type=float, default=50.0, help="paced: offered updates/s")
    parser.add_argument(
        "--pause", type=float, default=1.0, help="paced: shortest pause of a customer, s"
    )
    parser.add_argument("--pool", type=int, default=20, help="PostgreSQL: pool size")
    parser.add_argument(
        "--socket", default="", help="PostgreSQL: connect over the Unix socket in this directory"
    )
    parser.add_argument("--limiter", choices=["none", "production", "both"], default="both")
    parser.add_argument(
        "--bots",
        nargs="+",
        choices=["state", "desk"],
        default=["state", "desk"],
        help="what runs on each database besides the floor",
    )
    parser.add_argument("--steps", action="store_true", help="also print latency per step")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child)
        return
    results = [run_in_child(spec) for spec in plan(args)]
    print(table(results))
    if args.steps:
        for result in results:
            if result.latencies:
                log(step_table(result))
    for r in results:
        if r.late:
            log(
                f"{r.spec.label}: {len(r.late)} sends behind the timetable "
                f"(p50 {percentile(r.late, 50) * 1000:.0f} ms, max {max(r.late) * 1000:.0f} ms)"
            )


if __name__ == "__main__":
    main()
