"""Memory benchmark: one `returndesk serve` instance's RSS while it serves chat, pages and jobs
against a PostgreSQL holding 1,000,000 returns.

Run from the repository root (see bench/README.md)::

    /work/venv/bin/python -m bench.memory [--minutes 10] [--returns 1000000] [--keep]

A fresh database is migrated and filled set-based by ``bench.reports.fill`` (1M returns,
2M order lines, their events, ledger and surveys), the rollups rebuilt, and a chat shop
added (``bench.chat.seed``). Then ``returndesk serve --log-json`` runs in its own process
in webhook mode against the emulator (in this process) and, for ``--minutes``:

* chat: ``--customers`` simulated customers walk the refund flow at ``--rate`` updates/s in
  all; a customer's first walk submits a request, later ones stop at the summary with
  /cancel (so the flow stays the same however long the run is);
* pages: a signed-in staff member GETs the dashboard, the queue (first pages, a search,
  a status filter) and request pages of random returns among the 1M, ``--pages`` per second;
* jobs: the instance's scheduler delivers the outbox every second (staff messages to
  ``--listeners`` linked customers, one every 2 s) and runs its cluster jobs on their cron
  (every 5 minutes: reminders, expiry, SLA escalations — over the 1M returns); at
  ``--jobs-at`` seconds (a third of the run by default) the instance gets SIGUSR1 and runs
  every cluster job once, whatever the hour. The fill gives them nothing to do now (its
  dates are months back), so a few thousand requests are made due for each
  (``JOBS_WORK``); the jobs' log lines are printed after the samples.

The instance's VmRSS (``/proc/<pid>/status``) is sampled every ``--every`` seconds; the
samples are printed, and the growth per 1,000 updates is the least-squares slope of RSS
over updates after the first minute's warm-up. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432"
TOKEN = "424242:RETURNDESK-MEMORY"
SECRET_KEY = "bench/memory.py: a secret key long enough for serve"
PASSWORD = "bench memory password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WARM_UP_SECONDS = 60.0
SPIKE_MB = 20.0  # a rise this big between two samples is a step (a job's burst), not drift
REPLY_SECONDS = 120.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# The database --------------------------------------------------------------------------------


async def admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(f"{SERVER}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def prepare(name: str, returns: int, customers: int, listeners: int) -> list[int]:
    """Create, migrate and fill the database; return the listeners' request ids."""
    from bench.reports import fill
    from returndesk.database import connected, migrate
    from services.rollups import rebuild_rollups

    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    await admin(f'CREATE DATABASE "{name}"')
    await migrate(url)
    began = time.perf_counter()
    log(f"filling {returns:,} returns (set-based) …")
    await fill(f"{SERVER}/{name}", returns, 2 * returns)
    async with connected(url):
        await rebuild_rollups()
        log(f"  filled and rolled up in {time.perf_counter() - began:.0f} s")
        await seed(customers + 1)
        await give_snapshots(phone(customers))
        await give_jobs_work()
        await add_staff()
        return await listener_requests(listeners)


def phone(n: int) -> str:
    return f"+86137{n:08d}"


async def seed(customers: int) -> None:
    """Two products and ``customers`` customers with one delivered order each (TEE-1 ×2,
    MUG-1 ×1), numbered apart from the filled orders."""
    from datetime import timedelta

    from domain.clock import SystemClock
    from domain.returns import Actor, Role
    from services.imports import upsert_customers, upsert_orders, upsert_products
    from services.policies import ensure_default_reasons

    admin, clock = Actor.staff(1, "admin", {Role.ADMIN}), SystemClock()
    await ensure_default_reasons()
    products = [("TEE-1", "apparel", "100.00", "40.00"), ("MUG-1", "home", "80.00", "30.00")]
    rows = [
        (
            n,
            {"sku": sku, "name": f"Product {sku}", "category": category, "price": price}
            | {"cost": cost, "stock": "100000", "low_stock_threshold": "3", "returnable": "true"},
        )
        for n, (sku, category, price, cost) in enumerate(products, start=2)
    ]
    await upsert_products(rows, actor=admin, clock=clock)
    people = [(n + 2, {"name": f"M {n}", "phone": phone(n)}) for n in range(customers)]
    await upsert_customers(people, actor=admin)
    delivered = clock.now() - timedelta(days=2)
    lines = []
    for n in range(customers):
        for sku, quantity, price in (("TEE-1", 2, "100.00"), ("MUG-1", 1, "80.00")):
            row = {"order_number": f"MEM-{n}", "customer_phone": phone(n), "channel": "web"}
            row |= {"ordered_at": (delivered - timedelta(days=2)).isoformat()}
            row |= {"delivered_at": delivered.isoformat(), "sku": sku, "quantity": str(quantity)}
            lines.append((len(lines) + 2, row | {"unit_price": price, "payment_method": "card"}))
    await upsert_orders(lines, actor=admin)


async def give_snapshots(spare_phone: str) -> None:
    """The fill leaves ``policy_decision`` empty, which a request page (and the jobs, which
    build one) cannot show; give every twentieth filled request (the pages browse every
    hundredth) the snapshot of a real submission."""
    from domain.clock import SystemClock
    from domain.returns import Actor, ReturnType
    from models import Customer, Order, OrderLine, ReturnRequest
    from services.submission import LineRequest, ReturnDraft, submit_return

    customer = await Customer.get(phone=spare_phone)
    order = await Order.get(customer_id=customer.id)
    line = await OrderLine.get(order_id=order.id, product__sku="TEE-1")
    draft = ReturnDraft(
        order.id, ReturnType.REFUND, "quality_defect", (LineRequest(line.id, 1),), ("p",)
    )
    view = await submit_return(draft, actor=Actor.customer(customer.id), clock=SystemClock())
    snapshot = (await ReturnRequest.get(id=view.id)).policy_decision
    began = time.perf_counter()
    client = ReturnRequest._meta.db
    await client.execute_query(
        "UPDATE return_request SET policy_decision = $1 WHERE id % 20 = 0 AND id < $2",
        [json.dumps(snapshot), view.id],
    )
    log(f"  snapshots on every twentieth request in {time.perf_counter() - began:.1f} s")


# The fill's dates are months back and it sets no deadlines or surveys sent, so the cluster
# jobs would find nothing (or, for auto-close, every resolved request) due now. Give each a
# few thousand requests to act on, among those with a snapshot (id % 20 = 0).
JOBS_WORK = {
    "expiry": "UPDATE return_request SET deadline_at = now() - interval '1 hour'"
    " WHERE status = 'approved' AND id % 40 = 0",
    "ship-back reminders": "UPDATE return_request"
    " SET deadline_at = now() + (1 + id / 40 % 11) * interval '1 day'"
    " WHERE status = 'approved' AND id % 40 = 20",
    "SLA escalations": "UPDATE return_request SET status_changed_at = now() - interval '30 hours'"
    " WHERE status = 'submitted' AND id % 20 = 0",
    "auto-close (the others resolved just now)": "UPDATE return_request"
    " SET status_changed_at = now() WHERE status IN ('refunded', 'exchanged') AND id % 20 <> 0",
    "survey reminders": "INSERT INTO notification (customer_id, staff_chat, template, params,"
    " dedupe_key, due_at, attempts, status, last_error, sent_at, created_at)"
    " SELECT customer_id, false, 'survey', jsonb_build_object('number', number),"
    " number || ':survey:bench', now() - interval '3 days', 1, 'sent', '',"
    " now() - interval '3 days', now() - interval '3 days'"
    " FROM return_request WHERE status = 'closed' AND id % 80 = 0",
}


async def give_jobs_work() -> None:
    from models import ReturnRequest

    for job, sql in JOBS_WORK.items():
        began = time.perf_counter()
        rows = await ReturnRequest._meta.db.execute_query_dict(sql + " RETURNING id")
        log(f"  work for {job}: {len(rows):,} rows in {time.perf_counter() - began:.1f} s")


async def add_staff() -> None:
    from argon2 import PasswordHasher

    from models import StaffUser

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    roles = ["admin", "finance", "reviewer", "warehouse"]
    await StaffUser.create(username="bench", password_hash=quick.hash(PASSWORD), roles=roles)


async def listener_requests(count: int) -> list[int]:
    """Open returns of the filled data whose customers will get staff messages."""
    from models import ReturnRequest

    rows = await ReturnRequest._meta.db.execute_query_dict(
        "SELECT id FROM return_request WHERE status = 'submitted' AND id % 100 = 0"
        " AND policy_decision::text <> '{}' ORDER BY id LIMIT $1",
        [count],
    )
    return [row["id"] for row in rows]


async def link_listeners(url: str, ids: list[int], chats: list[int]) -> None:
    from models import ChatState, Customer, ReturnRequest
    from returndesk.database import connected

    async with connected(url):
        # a kept database starts afresh: the emulator's update ids and chats start again
        await ChatState.all().delete()
        await Customer.filter(telegram_user_id__isnull=False).update(telegram_user_id=None)
        for request_id, chat in zip(ids, chats, strict=True):
            request = await ReturnRequest.get(id=request_id)
            await Customer.filter(id=request.customer_id).update(telegram_user_id=chat)


async def count_rows(url: str) -> dict[str, int]:
    from models import Notification, ReturnRequest
    from returndesk.database import connected

    async with connected(url):
        return {
            "returns": await ReturnRequest.all().count(),
            "sent": await Notification.filter(status="sent").count(),
        }


# The instance ------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start_instance(
    url: str, emulator_base: str, port: int, directory: Path
) -> asyncio.subprocess.Process:
    script = Path(sys.executable).with_name("returndesk")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETURNDESK_", "TELEGRAM_"))}
    env |= {
        "RETURNDESK_DATABASE_URL": url,
        "RETURNDESK_SECRET_KEY": SECRET_KEY,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emulator_base,
        "RETURNDESK_WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "RETURNDESK_HTTP_PORT": str(port),
        "RETURNDESK_MEDIA_DIR": str(directory / "media"),
    }
    with (directory / "serve.log").open("wb") as output:
        return await asyncio.create_subprocess_exec(
            str(script),
            "serve",
            "--log-json",
            cwd=directory,
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )


async def wait_ready(session: aiohttp.ClientSession, base: str, process: Any) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"serve exited {process.returncode}")
        try:
            async with session.get(base + "/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("serve did not become ready")


# The load ----------------------------------------------------------------------------------


@dataclass
class Load:
    """What was done, for the samples."""

    updates: int = 0
    walks: int = 0
    pages: int = 0
    messages: int = 0
    failures: list[str] = field(default_factory=list)
    page_seconds: dict[str, list[float]] = field(default_factory=dict)


class Pace:
    """Hands out send slots at ``rate`` per second across all customers."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self.next = time.monotonic()
        self.lock = asyncio.Lock()

    async def slot(self) -> None:
        async with self.lock:
            now = time.monotonic()
            self.next = max(self.next + self.interval, now)
            delay = self.next - now
        if delay > 0:
            await asyncio.sleep(delay)


def data(message: dict[str, Any], verb: str) -> str | None:
    from bench.chat import button_data

    try:
        return button_data(message, verb)
    except LookupError:
        return None


class Customer:
    """One simulated customer: walks the refund flow again and again until ``stop``."""

    def __init__(self, emu: Any, n: int, load: Load, pace: Pace) -> None:
        self.emu, self.n, self.load, self.pace = emu, n, load, pace
        self.user_id = emu.create_user(f"M{n}")["id"]
        self.last: dict[str, Any] = {}

    async def send(self, kind: str, argument: str = "", replies: int = 1) -> None:
        from bench.chat import PHOTO

        await self.pace.slot()
        emu, uid = self.emu, self.user_id
        if kind == "command":
            await emu.send_command(uid, argument)
        elif kind == "contact":
            await emu.share_contact(uid, phone(self.n))
        elif kind == "photo":
            await emu.send_photo(uid, PHOTO)
        elif kind == "text":
            await emu.send_text(uid, argument)
        else:
            found = data(self.last, argument)
            if found is None:
                raise LookupError(f"no {argument!r} in {self.last.get('text', '')[:60]!r}")
            await emu.press_button(uid, self.last["message_id"], data=found)
        self.load.updates += 1
        for _ in range(replies):
            self.last = await emu.next_bot_message(uid, wait=REPLY_SECONDS)

    async def walk(self, first: bool) -> None:
        if first:
            await self.send("command", "start")
            await self.send("contact", replies=2)
        await self.send("command", "new")
        await self.send("press", "order")
        await self.send("press", "item")
        if data(self.last, "qty"):
            await self.send("press", "qty:1")
        await self.send("press", "items_done")
        await self.send("press", "reason:quality_defect")
        await self.send("press", "type:refund")
        await self.send("photo")
        await self.send("press", "photos_done")
        await self.send("text", "The seam is torn")
        if first:
            await self.send("press", "confirm")
        else:
            await self.send("command", "cancel")
        self.load.walks += 1

    async def run(self, stop: float) -> None:
        first = True
        while time.monotonic() < stop:
            try:
                await self.walk(first)
                first = False
            except (LookupError, TimeoutError) as error:
                self.load.failures.append(f"customer {self.n}: {error}")
                await self.send("command", "cancel")  # start afresh


async def staff_session(base: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(base + "/login") as response:
        token = CSRF.search(await response.text()).group(1)  # type: ignore[union-attr]
    form = {"username": "bench", "password": PASSWORD, "next": "/", "csrf_token": token}
    async with session.post(base + "/login", data=form, allow_redirects=False) as response:
        assert response.status == 303, response.status
    return session


async def browse(base: str, returns: int, rate: float, load: Load, stop: float) -> None:
    """Dashboard, queue pages, searches, filters and request pages, ``rate`` a second."""
    rng = random.Random(7)
    session = await staff_session(base)
    paths = itertools.cycle(
        ["/", "/returns", "/returns?status=approved", "/returns?q=RMA-12", None]
    )
    try:
        while time.monotonic() < stop:
            began = time.monotonic()
            kind = next(paths)
            path = kind or f"/returns/{100 * rng.randint(1, returns // 100)}"
            async with session.get(base + path, allow_redirects=False) as response:
                await response.read()
                if response.status != 200:
                    load.failures.append(f"GET {path}: {response.status}")
            load.page_seconds.setdefault(kind or "/returns/{id}", []).append(
                time.monotonic() - began
            )
            load.pages += 1
            await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - began)))
    finally:
        await session.close()


async def write_to_listeners(base: str, ids: list[int], load: Load, stop: float) -> None:
    """A staff message to a listener every 2 s: the outbox job delivers each."""
    session = await staff_session(base)
    try:
        for n in itertools.count():
            if time.monotonic() >= stop:
                return
            request_id = ids[n % len(ids)]
            async with session.get(f"{base}/returns/{request_id}") as response:
                token = CSRF.search(await response.text()).group(1)  # type: ignore[union-attr]
            form = {"csrf_token": token, "text": f"Update {n} on your request"}
            url = f"{base}/returns/{request_id}/message"
            async with session.post(url, data=form, allow_redirects=False) as response:
                if response.status != 303:
                    load.failures.append(f"message: {response.status}")
            load.messages += 1
            await asyncio.sleep(2)
    finally:
        await session.close()


# Sampling ------------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    rss: float
    updates: int
    walks: int
    pages: int
    messages: int


async def sample(pid: int, load: Load, every: float, stop: float, out: list[Sample]) -> None:
    began = time.monotonic()
    while True:
        now = time.monotonic()
        out.append(
            Sample(now - began, rss_mb(pid), load.updates, load.walks, load.pages, load.messages)
        )
        s = out[-1]
        log(f"  {s.seconds:6.0f} s  RSS {s.rss:6.1f} MB  {s.updates} updates  {s.pages} pages")
        if now >= stop:
            return
        await asyncio.sleep(min(every, max(0.0, stop - now)))


def slope_per_thousand(samples: list[Sample]) -> float:
    """Least-squares MB per 1,000 updates over the samples after warm-up."""
    points = [(s.updates, s.rss) for s in samples if s.seconds >= WARM_UP_SECONDS]
    if len(points) < 3:
        points = [(s.updates, s.rss) for s in samples]
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if not spread:
        return 0.0
    return 1000 * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def steady_per_thousand(samples: list[Sample]) -> float:
    """MB per 1,000 updates after warm-up, leaving out the steps of SPIKE_MB or more."""
    after = [s for s in samples if s.seconds >= WARM_UP_SECONDS] or samples
    drift = sum(
        b.rss - a.rss for a, b in itertools.pairwise(after) if abs(b.rss - a.rss) < SPIKE_MB
    )
    updates = after[-1].updates - after[0].updates
    return 1000 * drift / updates if updates else 0.0


def report(samples: list[Sample], load: Load, returns: int, args: argparse.Namespace) -> None:
    print(
        f"returndesk serve: {returns:,} returns, {args.customers} customers at {args.rate}/s, "
        f"{args.pages} pages/s, {args.minutes} min"
    )
    print("| s | RSS MB | updates | walks | pages | staff messages |")
    print("|---|---|---|---|---|---|")
    for s in samples:
        counts = f"{s.updates} | {s.walks} | {s.pages} | {s.messages}"
        print(f"| {s.seconds:.0f} | {s.rss:.1f} | {counts} |")
    after = [s for s in samples if s.seconds >= WARM_UP_SECONDS] or samples
    print(
        f"\nRSS: start {samples[0].rss:.1f} MB, after warm-up {after[0].rss:.1f} MB, "
        f"peak {max(s.rss for s in samples):.1f} MB, end {samples[-1].rss:.1f} MB"
    )
    print(f"growth after warm-up: {slope_per_thousand(samples):+.2f} MB per 1,000 updates")
    steps = [
        (b.seconds, b.rss - a.rss)
        for a, b in itertools.pairwise(samples)
        if b.rss - a.rss >= SPIKE_MB
    ]
    print(
        f"steps of {SPIKE_MB:.0f} MB or more: "
        + (", ".join(f"+{rise:.0f} MB at {at:.0f} s" for at, rise in steps) or "none")
    )
    print(f"drift without those steps: {steady_per_thousand(samples):+.2f} MB per 1,000 updates")
    print("\n| page | views | p50 s | max s |")
    print("|---|---|---|---|")
    for path, seconds in load.page_seconds.items():
        ordered = sorted(seconds)
        median = ordered[len(ordered) // 2]
        print(f"| {path} | {len(ordered)} | {median:.2f} | {ordered[-1]:.2f} |")
    print(f"failures: {len(load.failures)}")
    for failure in load.failures[:10]:
        print(f"  {failure}")


def copy_log(source: Path, target: Path) -> None:
    target.write_bytes(source.read_bytes())


def print_job_runs(serve_log: Path, began: datetime) -> None:
    """The cluster jobs' lines from the instance's log (how many each did, or its error)."""
    print("\ncluster jobs (seconds into the run):")
    for line in serve_log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        scheduler_trouble = entry["logger"].startswith("apscheduler") and entry["level"] != "INFO"
        if entry["logger"] == "returndesk.jobs" or scheduler_trouble:
            at = (datetime.fromisoformat(entry["time"]) - began).total_seconds()
            print(f"  {at:5.0f} s  {entry['level']}  {entry['message'][:160]}")


# Main --------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    from emulator import Emulator

    name = args.database or f"returndesk_bench_memory_{uuid.uuid4().hex[:8]}"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        if not args.database:
            args.listener_ids = await prepare(name, args.returns, args.customers, args.listeners)
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
            async with Emulator(token=TOKEN) as emu:
                listeners = [emu.create_user(f"L{n}")["id"] for n in range(args.listeners)]
                await link_listeners(url, args.listener_ids, listeners)
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                process = await start_instance(url, emu.base_url, port, Path(tmp))
                try:
                    async with aiohttp.ClientSession() as session:
                        await wait_ready(session, base, process)
                    log(f"serve (pid {process.pid}) ready: RSS {rss_mb(process.pid):.1f} MB")
                    began = await measure(args, emu, base, process.pid)
                    rows = await count_rows(url)
                    log(f"  database now: {rows}")
                finally:
                    process.send_signal(signal.SIGTERM)
                    code = await asyncio.wait_for(process.wait(), 60)
                    log(f"serve exited {code}")
                    if args.log:
                        copy_log(Path(tmp) / "serve.log", Path(args.log))
                print_job_runs(Path(tmp) / "serve.log", began)
    finally:
        if not args.keep and not args.database:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            log(f"kept database {name}")


async def measure(args: argparse.Namespace, emu: Any, base: str, pid: int) -> datetime:
    """Run the load and sample the instance; print the report; return when it began."""
    began, load, samples = datetime.now(UTC), Load(), []
    stop = time.monotonic() + args.minutes * 60
    pace = Pace(args.rate)
    customers = [Customer(emu, n, load, pace) for n in range(args.customers)]
    work = [
        *(c.run(stop) for c in customers),
        browse(base, args.returns, args.pages, load, stop),
        write_to_listeners(base, args.listener_ids, load, stop),
        sample(pid, load, args.every, stop, samples),
    ]
    jobs_at = args.minutes * 20 if args.jobs_at is None else args.jobs_at
    if jobs_at > 0:
        work.append(run_jobs_at(pid, time.monotonic() + jobs_at, jobs_at))
    await asyncio.gather(*work)
    report(samples, load, args.returns, args)
    return began


async def run_jobs_at(pid: int, moment: float, seconds: float) -> None:
    """Send the instance SIGUSR1 at ``moment``: every cluster job runs once, there and then."""
    await asyncio.sleep(max(0.0, moment - time.monotonic()))
    os.kill(pid, signal.SIGUSR1)
    log(f"  {seconds:.0f} s: SIGUSR1, every cluster job runs now")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--returns", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--rate", type=float, default=10, help="chat updates per second")
    parser.add_argument("--pages", type=float, default=2, help="page views per second")
    parser.add_argument("--listeners", type=int, default=5)
    parser.add_argument("--every", type=float, default=5, help="seconds between samples")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--database", help="reuse a database kept by --keep")
    parser.add_argument("--log", help="copy the instance's log here")
    parser.add_argument(
        "--jobs-at",
        type=float,
        help="seconds into the run to make every cluster job run once (SIGUSR1); "
        "default a third of the run, 0 leaves them to their cron",
    )
    args = parser.parse_args()
    if args.database:
        args.listener_ids = asyncio.run(_listeners_of(args.database, args.listeners))
    asyncio.run(run(args))


async def _listeners_of(name: str, count: int) -> list[int]:
    from returndesk.database import connected

    async with connected(f"postgres://postgres@127.0.0.1:5432/{name}"):
        return await listener_requests(count)


if __name__ == "__main__":
    main()
