"""`returndesk serve` with a bot token Telegram refuses, or a Bot API that does not answer:
it stops at once with one line that says why, and never prints the token (SPEC §9)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulator import Emulator
from tests.production.harness import returndesk_command

REFUSED_TOKEN = "999999:SECRET-TOKEN-the-shop-mistyped"
STOP_SECONDS = 60


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(token="123456:THE-BOTS-REAL-TOKEN") as emu:
        yield emu


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def serve(tmp_path: Path, api_url: str) -> tuple[int, str]:
    """Run `returndesk serve` until it exits; its exit code and everything it printed."""
    env = dict(
        os.environ,
        RETURNDESK_DATABASE_URL=f"sqlite://{tmp_path / 'shop.sqlite3'}",
        RETURNDESK_SECRET_KEY="a secret key of thirty-two characters or more",
        RETURNDESK_HTTP_PORT=str(free_port()),
        RETURNDESK_MEDIA_DIR=str(tmp_path / "media"),
        TELEGRAM_BOT_TOKEN=REFUSED_TOKEN,
        TELEGRAM_API_URL=api_url,
        PYTHONWARNINGS="default",  # an unclosed HTTP session would be reported
    )
    process = await asyncio.create_subprocess_exec(
        *returndesk_command(),
        "serve",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), STOP_SECONDS)
    assert process.returncode is not None
    return process.returncode, output.decode()


def assert_said_plainly(output: str, why: str) -> None:
    assert why in output, output
    assert "SECRET-TOKEN" not in output, output
    assert "Traceback" not in output, output
    assert "Unclosed" not in output, output


async def test_a_refused_token_stops_serve_with_a_message_that_hides_it(emulator, tmp_path):
    code, output = await serve(tmp_path, emulator.base_url)

    assert code != 0
    assert_said_plainly(output, "Telegram refused TELEGRAM_BOT_TOKEN")


async def test_a_bot_api_that_does_not_answer_stops_serve_with_its_address(tmp_path):
    silent = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there

    code, output = await serve(tmp_path, silent)

    assert code != 0
    assert_said_plainly(output, f"The Bot API at {silent} did not answer")
