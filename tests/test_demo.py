"""`returndesk demo` as a person starts it (README): a real process on SQLite with its
emulator; the demo customers' photos show in the back-office and get their local copies,
and the staff alerts show in the emulator's group "Shop staff"."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.production.harness import CSRF, eventually, free_port, returndesk_command

STARTED_SECONDS = 120.0  # migrations and the demo shop's seeding on a small CI machine
LOGIN = re.compile(r"staff login\s+admin\s+(\S+)")
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class Started:
    """What the demo printed up to its chat page: the admin's password, and every line."""

    password: str = ""
    lines: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def demo(
    directory: Path, port: int
) -> AsyncIterator[tuple[asyncio.subprocess.Process, Started]]:
    """The demo process, once it printed its chat page; yields it and what it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETURNDESK_", "TELEGRAM_"))}
    env |= {"RETURNDESK_HTTP_PORT": str(port), "RETURNDESK_MEDIA_DIR": str(directory / "media")}
    process = await asyncio.create_subprocess_exec(
        *returndesk_command(),
        "demo",
        cwd=directory,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process, await asyncio.wait_for(_started(process), STARTED_SECONDS)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def _started(process: asyncio.subprocess.Process) -> Started:
    assert process.stdout is not None
    started = Started()
    async for raw in process.stdout:
        line = raw.decode()
        started.lines.append(line)
        started.password = (found.group(1) if (found := LOGIN.search(line)) else "") or (
            started.password
        )
        if "_emulator/chat" in line:
            return started
    raise AssertionError(f"the demo stopped (exit {await process.wait()})")


async def ready(session: aiohttp.ClientSession, base: str) -> None:
    async def answers() -> bool:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(base + "/readyz") as response:
                return response.status == 200
        return False

    await eventually(answers, within=STARTED_SECONDS, what="the demo's back-office")


async def sign_in(session: aiohttp.ClientSession, base: str, password: str) -> None:
    async with session.get(base + "/login") as page:
        token = CSRF.search(await page.text())
    assert token
    form = {"username": "admin", "password": password, "next": "/", "csrf_token": token.group(1)}
    async with session.post(base + "/login", data=form, allow_redirects=False) as answer:
        assert answer.status == 303


def first_photo(database: Path) -> tuple[int, str]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT id, local_path FROM attachment ORDER BY id").fetchone()


async def test_the_demo_shows_its_customers_photos_and_keeps_copies(tmp_path: Path) -> None:
    port = free_port()
    jar = aiohttp.CookieJar(unsafe=True)  # the back-office is at an IP address
    async with (
        demo(tmp_path, port) as (process, started),
        aiohttp.ClientSession(cookie_jar=jar) as session,
    ):
        base = f"http://127.0.0.1:{port}"
        await ready(session, base)
        await sign_in(session, base, started.password)
        attachment_id, _ = first_photo(tmp_path / "returndesk.sqlite3")

        async with session.get(f"{base}/attachments/{attachment_id}") as photo:
            assert (photo.status, photo.content_type) == (200, "image/png")
            assert (await photo.read()).startswith(PNG)

        process.send_signal(signal.SIGUSR1)  # the cluster jobs, now

        async def copied() -> str:
            return first_photo(tmp_path / "returndesk.sqlite3")[1]

        local = await eventually(copied, within=60, what="the photo's local copy")
        assert (tmp_path / "media" / local).read_bytes().startswith(PNG)


def request_numbers(database: Path) -> set[str]:
    with sqlite3.connect(database) as connection:
        return {number for (number,) in connection.execute("SELECT number FROM return_request")}


async def staff_chat(session: aiohttp.ClientSession, emulator: str) -> dict[str, Any]:
    """The demo's group "Shop staff", found through the emulator's control API."""
    async with session.get(f"{emulator}/_emulator/groups") as answer:
        groups = await answer.json()
    [group] = [g for g in groups if g["title"] == "Shop staff"]
    return group


async def test_the_demos_staff_alerts_show_in_its_staff_chat(tmp_path: Path) -> None:
    port = free_port()
    async with demo(tmp_path, port) as (process, started), aiohttp.ClientSession() as session:
        assert any('Staff alerts: the group "Shop staff"' in line for line in started.lines)
        emulator = f"http://127.0.0.1:{port + 1}"
        group = await staff_chat(session, emulator)
        assert (group["type"], group["id"] < 0) == ("group", True)
        await ready(session, f"http://127.0.0.1:{port}")  # the jobs have their SIGUSR1 handler

        # SLA escalations and the digest now, after any alerts the seeded history left waiting
        process.send_signal(signal.SIGUSR1)

        async def alerts() -> list[dict[str, Any]]:
            async with session.get(f"{emulator}/_emulator/chats/{group['id']}") as answer:
                return (await answer.json())["messages"]

        messages = await eventually(alerts, within=60, what="an alert in the staff chat")
        assert all(message["from_bot"] for message in messages)
        named = re.findall(r"RMA-\d{4}-\d{6}", " ".join(m["text"] for m in messages))
        assert named
        assert set(named) <= request_numbers(tmp_path / "returndesk.sqlite3")
