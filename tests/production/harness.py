"""Real `returndesk serve` processes on one PostgreSQL, the emulator in front of them.

An :class:`Instance` is one subprocess with its own port and log file; it is ready when its
``/readyz`` answers 200. Customers talk through the in-process emulator, whose webhook
delivery goes round-robin to every instance (a load balancer). Staff use the back-office's
HTTP forms (:class:`Staff`), as a browser would. Every wait has a deadline and waits on
something (a long poll, an HTTP answer, a process exit); nothing sleeps a fixed time to let
things happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from argon2 import PasswordHasher
from tortoise.functions import Sum

from bot.webhook import WEBHOOK_PATH
from domain.clock import SystemClock
from domain.returns import Actor, ReturnType
from emulator import Emulator
from models import (
    Attachment,
    ChatState,
    Customer,
    JournalLine,
    Notification,
    Order,
    OrderLine,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    StaffUser,
)
from services.load_shop import REFUND_WALK, seed_load_shop
from services.load_shop import shopper_phone as phone
from services.refunds import refundable_amount
from services.submission import LineRequest, ReturnDraft, submit_return

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "777001:RETURNDESK-PRODUCTION"
SECRET_KEY = "production tests: the same secret key on every instance, 32+ chars"
STAFF_PASSWORD = "correct horse battery"
READY_SECONDS = 60.0
REPLY_SECONDS = 60.0  # generous: two instances and PostgreSQL share a small CI machine
PHOTO = b"\x89PNG production"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
T = TypeVar("T")


CHAT_REPLIES = sum(step[2] for step in REFUND_WALK)
# What staff do to a refund request, in order, and the event each leaves.
STAFF_STEPS = ("approve", "receive", "inspect", "refund", "close")


def returndesk_command() -> list[str]:
    """The installed `returndesk` script of this interpreter's environment."""
    script = Path(sys.executable).with_name("returndesk")
    if script.exists():
        return [str(script)]
    found = shutil.which("returndesk")
    assert found, "the `returndesk` command is not installed (pip install -e .)"
    return [found]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, within: float, what: str, every: float = 0.2
) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(every)


# Instances ---------------------------------------------------------------------------------


@dataclass
class Instance:
    """One `returndesk serve` process."""

    name: str
    db_url: str
    emulator: Emulator
    directory: Path
    command: Sequence[str] = ()
    parts: Sequence[str] = ()
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook(self) -> str:
        return self.url + WEBHOOK_PATH

    @property
    def log_path(self) -> Path:
        return self.directory / f"{self.name}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("RETURNDESK_", "TELEGRAM_")) or k == "RETURNDESK_REQUIRE_POSTGRES"
        }
        env |= {
            "RETURNDESK_DATABASE_URL": self.db_url,
            "RETURNDESK_SECRET_KEY": SECRET_KEY,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.emulator.base_url,
            "RETURNDESK_WEBHOOK_URL": self.url,
            "RETURNDESK_HTTP_HOST": "127.0.0.1",
            "RETURNDESK_HTTP_PORT": str(self.port),
            "RETURNDESK_MEDIA_DIR": str(self.directory / "media"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT),
        }
        return env | self.extra_env

    async def start(self) -> None:
        """Start the process (again); ``ready()`` waits for it."""
        assert self.process is None or self.process.returncode is not None
        only = [arg for part in self.parts for arg in ("--only", part)]
        command = [*(self.command or returndesk_command()), "serve", "--log-json", *only]
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1}: {' '.join(command)}\n".encode())
            self.process = await asyncio.create_subprocess_exec(
                *command,
                cwd=self.directory,
                env=self.environment(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.starts += 1

    async def readiness(self, session: aiohttp.ClientSession) -> int | None:
        """/readyz's status, or None when nothing answers."""
        try:
            async with session.get(
                self.url + "/readyz", timeout=aiohttp.ClientTimeout(total=5)
            ) as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def ready(self, session: aiohttp.ClientSession, within: float = READY_SECONDS) -> None:
        """Wait until /readyz says 200 (fail at once if the process died)."""

        async def check() -> bool:
            if self.process is not None and self.process.returncode is not None:
                raise AssertionError(f"{self.name} exited {self.process.returncode}\n{self.tail()}")
            return await self.readiness(session) == 200

        try:
            await eventually(check, within=within, what=f"{self.name} /readyz", every=0.1)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.tail()}") from None

    async def terminate(self, within: float = 30.0) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds it took to exit)."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), within)
        return code, time.monotonic() - started

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return f"({self.name}: no log)"
        return f"--- {self.name} log tail:\n" + "\n".join(self.log().splitlines()[-lines:])

    def webhook_posts(self) -> int:
        """Updates this instance accepted (its access log's webhook POSTs answered 200)."""
        return len(re.findall(r'"POST /telegram/webhook HTTP/1\.1\\" 200', self.log()))

    def errors(self) -> list[str]:
        """Logged errors (JSON lines at level ERROR or CRITICAL)."""
        return [
            line
            for line in self.log().splitlines()
            if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line
        ]


async def start_all(instances: Sequence[Instance], session: aiohttp.ClientSession) -> None:
    for instance in instances:
        await instance.start()
    await asyncio.gather(*(instance.ready(session) for instance in instances))


async def balance(emulator: Emulator, instances: Sequence[Instance]) -> None:
    """Deliver webhooks round-robin to ``instances`` (each set its own URL at start)."""
    await emulator.set_webhook_targets([instance.webhook for instance in instances])


# The shop ----------------------------------------------------------------------------------


async def seed_shop(customers: int) -> None:
    """Two products, ``customers`` customers with one delivered order each (TEE-1 ×2, MUG-1)."""
    await seed_load_shop(customers, stock=1000)


async def add_staff(username: str = "boss") -> None:
    """A staff member with every role (a cheap argon2 hash; verifying it is the real code)."""
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    roles = ["admin", "finance", "reviewer", "warehouse"]
    await StaffUser.create(username=username, password_hash=quick.hash(STAFF_PASSWORD), roles=roles)


# Customers ---------------------------------------------------------------------------------


def button_data(message: dict[str, Any], want: str) -> str:
    """Callback data of the first button whose ``verb[:arg]`` (after the nonce) is ``want``."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data", "")
            _nonce, _, rest = data.partition(":")
            if rest == want or rest.startswith(want + ":"):
                return data
    raise AssertionError(f"no button {want!r} in {message.get('text', '')[:120]!r}")


@dataclass
class Shopper:
    """Customer ``n`` (phone ``phone(n)``) in a Telegram chat of their own."""

    emulator: Emulator
    n: int
    user_id: int = 0
    last: dict[str, Any] = field(default_factory=dict)
    replies: int = 0

    def __post_init__(self) -> None:
        self.user_id = self.emulator.create_user(f"C{self.n}", language_code="en")["id"]

    async def send(self, action: str, argument: str) -> dict[str, Any]:
        emu, uid = self.emulator, self.user_id
        if action == "command":
            return await emu.send_command(uid, argument)
        if action == "contact":
            return await emu.share_contact(uid, phone(self.n))
        if action == "photo":
            return await emu.send_photo(uid, PHOTO)
        if action == "text":
            return await emu.send_text(uid, argument)
        data = button_data(self.last, argument)
        return await emu.press_button(uid, self.last["message_id"], data=data)

    async def reply(self, within: float = REPLY_SECONDS) -> dict[str, Any]:
        try:
            message = await self.emulator.next_bot_message(self.user_id, wait=within)
        except TimeoutError:
            raise AssertionError(f"customer {self.n}: no reply within {within:.0f} s") from None
        self.replies += 1
        self.last = message
        return message

    async def step(self, action: str, argument: str, replies: int) -> dict[str, Any]:
        await self.send(action, argument)
        for _ in range(replies):
            await self.reply()
        return self.last

    async def take(self, steps: Sequence[tuple[str, str, int]]) -> None:
        for action, argument, replies in steps:
            await self.step(action, argument, replies)

    def rma(self) -> str:
        """The RMA number the last reply names (the walk ended on a request)."""
        found = re.search(r"RMA-\d{4}-\d{6}", self.last.get("text", ""))
        assert found, f"customer {self.n} did not end on a request: {self.last.get('text')!r}"
        return found.group(0)

    async def walk(self, steps: Sequence[tuple[str, str, int]] = REFUND_WALK) -> str:
        """Take ``steps``; return the RMA number the last reply names."""
        await self.take(steps)
        return self.rma()


async def submitted_by(shopper: Shopper) -> int:
    """The customer's request for one TEE-1 (opened earlier); their chat is linked."""
    customer = await Customer.get(phone=phone(shopper.n))
    await Customer.filter(id=customer.id).update(telegram_user_id=shopper.user_id)
    order = await Order.get(customer_id=customer.id)
    line = await OrderLine.get(order_id=order.id, product__sku="TEE-1")
    draft = ReturnDraft(
        order.id, ReturnType.REFUND, "quality_defect", (LineRequest(line.id, 1, None),), ("p",)
    )
    view = await submit_return(draft, actor=Actor.customer(customer.id), clock=SystemClock())
    return view.id


# Staff -------------------------------------------------------------------------------------


class Staff:
    """A signed-in browser on the back-office; any instance serves it (cookie sessions)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def _csrf(self, url: str) -> str:
        async with self.session.get(url, allow_redirects=False) as response:
            assert response.status == 200, f"GET {url}: {response.status}"
            found = CSRF.search(await response.text())
        assert found, f"no CSRF token on {url}"
        return found.group(1)

    async def sign_in(self, base: str, username: str = "boss") -> None:
        form = {"username": username, "password": STAFF_PASSWORD, "next": "/"}
        form["csrf_token"] = await self._csrf(base + "/login")
        async with self.session.post(base + "/login", data=form, allow_redirects=False) as r:
            assert r.status == 303, f"sign-in: {r.status}"

    async def page(self, url: str) -> tuple[int, str]:
        """(status, text); status 0 when nothing answers."""
        try:
            async with self.session.get(url, allow_redirects=False) as response:
                return response.status, await response.text()
        except aiohttp.ClientError:
            return 0, ""

    async def form(self, base: str, request_id: int) -> dict[str, str] | None:
        """The hidden fields of the request page's action forms (None: the page failed)."""
        status, page = await self.page(f"{base}/returns/{request_id}")
        if status != 200:
            return None
        csrf, version = CSRF.search(page), VERSION.search(page)
        assert csrf, f"no form on {base}/returns/{request_id}"
        return {"csrf_token": csrf.group(1), "version": version.group(1) if version else ""}

    async def post(self, base: str, request_id: int, action: str, data: dict[str, str]) -> int:
        url = f"{base}/returns/{request_id}/{action}"
        try:
            async with self.session.post(url, data=data, allow_redirects=False) as response:
                return response.status
        except aiohttp.ClientError:
            return 0

    async def act(self, base: str, request_id: int, action: str, fields: dict[str, str]) -> int:
        """Post one action's form as the request page shows it (with its version)."""
        hidden = await self.form(base, request_id)
        if hidden is None:
            return 0
        return await self.post(base, request_id, action, hidden | fields)


@contextlib.asynccontextmanager
async def signed_in(base: str, username: str = "boss") -> AsyncIterator[Staff]:
    """A staff member's browser, signed in at ``base``; its cookie is good on every instance."""
    jar = aiohttp.CookieJar(unsafe=True)  # keep cookies from 127.0.0.1
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:
        staff = Staff(session)
        await staff.sign_in(base, username)
        yield staff


async def action_fields(request_id: int, action: str) -> dict[str, str]:
    """The form fields of ``action`` for a one-line refund request (everything received, A)."""
    lines = await ReturnLine.filter(request_id=request_id)
    if action == "receive":
        return {f"received_{ln.id}": str(ln.quantity) for ln in lines}
    if action == "inspect":
        fields: dict[str, str] = {}
        for ln in lines:
            fields |= {f"a_{ln.id}": str(ln.quantity), f"b_{ln.id}": "0", f"r_{ln.id}": "0"}
        return fields
    if action == "refund":  # the whole amount owed, as the form offers it
        return {"method": "original", "amount": str(await refundable_amount(request_id))}
    return {}


# What the database must show ---------------------------------------------------------------


async def trial_balance() -> Decimal:
    row = await JournalLine.all().annotate(d=Sum("debit"), c=Sum("credit")).values("d", "c")
    debit, credit = row[0]["d"] or Decimal(0), row[0]["c"] or Decimal(0)
    return Decimal(debit) - Decimal(credit)


async def events_by_request() -> dict[str, list[str]]:
    """Each request's event actions, in order."""
    numbers = dict(await ReturnRequest.all().values_list("id", "number"))
    found: dict[str, list[str]] = {number: [] for number in numbers.values()}
    for request_id, action in (
        await ReturnEvent.all().order_by("id").values_list("request_id", "action")
    ):
        found[numbers[request_id]].append(action)
    return found


async def assert_submitted_refund(shopper: Shopper, number: str) -> ReturnRequest:
    """The customer's walk left exactly one whole request, and their chat at rest."""
    customer = await Customer.get(phone=phone(shopper.n))
    assert customer.telegram_user_id == shopper.user_id
    requests = await ReturnRequest.filter(customer_id=customer.id)
    assert [r.number for r in requests] == [number]
    request = requests[0]
    assert (request.type, request.reason_code) == ("refund", "quality_defect")
    lines = await ReturnLine.filter(request_id=request.id).prefetch_related("order_line__product")
    assert [(ln.order_line.product.sku, ln.quantity) for ln in lines] == [("TEE-1", 1)]
    assert await Attachment.filter(request_id=request.id).count() == 1
    assert await ReturnEvent.filter(request_id=request.id, action="submit").count() == 1
    state = await ChatState.get(chat_id=shopper.user_id)
    assert state.customer_id == customer.id
    assert state.step in ("", "idle"), state.step
    return request


async def outbox_settled() -> bool:
    """Nothing being sent, nothing due left unsent (a survey waits for days: not due)."""
    now = datetime.now(UTC)
    sending = Notification.filter(status="sending")
    due = Notification.filter(status="pending", due_at__lte=now)
    return not await sending.exists() and not await due.exists()


async def notifications_of(customer_phone: str) -> list[Notification]:
    customer = await Customer.get(phone=customer_phone)
    return await Notification.filter(customer_id=customer.id).order_by("id")


async def stop_all(instances: Sequence[Instance]) -> list[int]:
    """SIGTERM every instance still running (exit codes), then kill any left."""
    codes = []
    try:
        for instance in instances:
            if instance.process is not None and instance.process.returncode is None:
                codes.append((await instance.terminate())[0])
    finally:
        for instance in instances:
            with contextlib.suppress(ProcessLookupError):
                await instance.kill()
    return codes


@contextlib.asynccontextmanager
async def cluster(
    instances: Sequence[Instance], emulator: Emulator, http: aiohttp.ClientSession
) -> AsyncIterator[Sequence[Instance]]:
    """The instances, ready and taking webhooks in turn; stopped with SIGTERM after (each
    must exit 0)."""
    try:
        await start_all(instances, http)
        await balance(emulator, instances)
        yield instances
    finally:
        codes = await stop_all(instances)
    assert set(codes) <= {0}, f"exit codes {codes}"


def assert_each_notification_once(
    emulator: Emulator, shopper: Shopper, notes: Sequence[Notification], chat_replies: int
) -> None:
    """The chat got its conversation's replies and each sent notification once, no more."""
    sent = [n for n in notes if n.status == "sent"]
    texts = [m.get("text", "")[:60] for m in emulator.messages(shopper.user_id)]
    assert emulator.delivered[shopper.user_id] == chat_replies + len(sent), (shopper.n, texts)


# A PostgreSQL of the test's own, to stop and start -------------------------------------------


def postgres_bin() -> Path | None:
    """The server binaries of the newest local PostgreSQL (None if there are none)."""
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name),
    )
    return versions[-1] if versions else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, that a test may stop and start at will.

    The shared server on 5432 holds every engineer's and every CI job's databases, so its
    stop waits on a checkpoint of all of them (over a minute on a busy machine) and cuts
    everyone off. This one is the same server, empty, in a temporary directory. As root it
    runs as the ``postgres`` user (the server refuses to run as root).
    """

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="returndesk-pg-"))
        self.data = self.directory / "data"
        self.as_postgres = os.geteuid() == 0

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    async def _run(self, *command: str, within: float = 120) -> None:
        argv = [str(self.bin / command[0]), *command[1:]]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        output, _ = await asyncio.wait_for(process.communicate(), within)
        assert process.returncode == 0, f"{command[0]} {command[1:3]}: {output.decode()}"

    async def create(self) -> None:
        if self.as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")
        await self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"
        )
        await self.start()

    async def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory}"
            " -c fsync=off -c max_connections=60"
        )
        log = str(self.directory / "server.log")
        await self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    async def stop(self) -> None:
        await self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    async def destroy(self) -> None:
        with contextlib.suppress(AssertionError, TimeoutError):
            await self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    async def answers(self) -> bool:
        import asyncpg

        try:
            connection = await asyncpg.connect(self.server_url, timeout=2)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await connection.close()
        return True

    async def create_database(self, name: str) -> str:
        import asyncpg

        connection = await asyncpg.connect(self.server_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return self.url(name)
