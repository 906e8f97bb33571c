"""Back-office pages over 1,000,000 returns: server time beside the raw SQL they need.

Run from the repository root (see bench/README.md)::

    /work/venv/bin/python -m bench.pages [--returns 1000000] [--lines 2000000] [--calls 30]

A fresh PostgreSQL database is migrated and filled by bench/reports.py's set-based fill;
the back-office app then serves in-process and a signed-in admin's requests are timed end
to end (routing, middlewares, session, queries, template): the queue filtered by status,
searched by a customer's name, its second page (keyset cursor), one request page, and the
dashboard — each beside the raw SQL it rests on. Prints p50/p95 and the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.test_utils import TestServer

from backoffice.app import create_app
from bench.reports import SERVER, connect, fill, log, p, timed
from domain.clock import SystemClock
from models import StaffUser
from returndesk.database import connected, migrate
from services.rollups import rebuild_rollups
from services.staff import add_staff_user

PASSWORD = "bench password 1234"
RAW = {
    "queue by status": (
        "SELECT r.*, c.name, o.number, o.channel FROM return_request r"
        " JOIN customer c ON c.id = r.customer_id JOIN customer_order o ON o.id = r.order_id"
        " WHERE r.status = 'submitted' ORDER BY r.created_at DESC, r.id DESC LIMIT 51"
    ),
    "queue searched by name": (
        "SELECT r.*, c.name, o.number FROM return_request r"
        " JOIN customer c ON c.id = r.customer_id JOIN customer_order o ON o.id = r.order_id"
        " WHERE UPPER(c.name) LIKE UPPER($1) ORDER BY r.created_at DESC, r.id DESC LIMIT 51"
    ),
    "request page": (
        "SELECT * FROM return_request r JOIN return_line l ON l.request_id = r.id"
        " JOIN return_event e ON e.request_id = r.id WHERE r.id = $1"
    ),
    "dashboard": (
        "SELECT status, sum(requests) FROM rollup_status GROUP BY status",
        "SELECT p.sku, p.name, s.quantity FROM stock_level s JOIN product p ON p.id = s.product_id"
        " WHERE s.location = 'sellable' AND p.active AND s.quantity <= p.low_stock_threshold"
        " ORDER BY s.quantity, p.sku LIMIT 20",
    ),
}

RAW["queue searched by a word in every name"] = RAW["queue searched by name"]


async def sign_in(session: aiohttp.ClientSession, base: str) -> None:
    async with session.get(f"{base}/login") as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
    form = {
        "username": "bench",
        "password": PASSWORD,
        "csrf_token": token.group(1) if token else "",
    }
    async with session.post(f"{base}/login", data=form) as response:
        assert response.status == 200, response.status


async def prepare(url: str) -> dict[str, str]:
    """A staff account, one request page that can be shown, and a name to search for."""
    conn = await connect(url.replace("postgres://", "postgresql://"))
    try:
        request_id = await conn.fetchval("SELECT max(id) FROM return_request")
        snapshot = {
            "reason_class": "quality", "lines": [], "refusals": [], "shipping_paid_by": "shop",
            "photo_required": True, "auto_approved": False, "ship_back_days": 14,
            "evaluated_at": "2026-03-01T00:00:00+00:00",
        }  # fmt: skip
        await conn.execute(
            "UPDATE return_request SET policy_decision = $1 WHERE id = $2",
            json.dumps(snapshot),
            request_id,
        )
        # a customer in the middle: the bench's names are "Customer <n>"
        name = await conn.fetchval("SELECT name FROM customer ORDER BY id OFFSET 4710 LIMIT 1")
    finally:
        await conn.close()
    if not await StaffUser.exists(username="bench"):  # a kept database has it already
        await add_staff_user("bench", PASSWORD, ["admin"])
    return {"id": str(request_id), "name": name, "word": name.split()[0]}


async def measure(url: str, calls: int) -> list[tuple[str, float, float, float, float]]:
    async with connected(url):
        found = await prepare(url)
        app = create_app(secret_key="b" * 40, clock=SystemClock(), zone=ZoneInfo("Asia/Shanghai"))
        server = TestServer(app)
        await server.start_server()
        base = str(server.make_url("")).rstrip("/")
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
                await sign_in(session, base)
                return await _timings(session, base, url, found, calls)
        finally:
            await server.close()


async def _timings(
    session: aiohttp.ClientSession, base: str, url: str, found: dict[str, str], calls: int
) -> list[tuple[str, float, float, float, float]]:
    async def page(path: str) -> Callable[[], Awaitable[Any]]:
        async def get() -> None:
            async with session.get(base + path) as response:
                assert response.status == 200, (path, response.status)
                await response.read()

        return get

    async with session.get(f"{base}/returns?status=submitted") as response:
        cursor = re.search(r"after=([^\"&]+)", await response.text())
    pages = {
        "queue by status": "/returns?status=submitted",
        "queue searched by name": f"/returns?q={quote(found['name'])}",
        "queue searched by a word in every name": f"/returns?q={quote(found['word'])}",
        "queue page 2": f"/returns?status=submitted&after={cursor.group(1) if cursor else ''}",
        "request page": f"/returns/{found['id']}",
        "dashboard": "/",
    }
    raw_args = {
        "queue searched by name": [f"%{found['name']}%"],
        "queue searched by a word in every name": [f"%{found['word']}%"],
        "request page": [int(found["id"])],
    }
    conn = await connect(url.replace("postgres://", "postgresql://"))
    results = []
    try:
        for label, path in pages.items():
            log(f"  {label}")
            served = await timed(await page(path), calls)
            statements = RAW.get(label, RAW["queue by status"])
            if isinstance(statements, str):
                statements = (statements,)

            async def raw_sql(statements: tuple[str, ...] = statements, label: str = label) -> None:
                for sql in statements:
                    await conn.fetch(sql, *raw_args.get(label, []))

            raw = await timed(raw_sql, calls)
            results.append((label, p(served, 0.5), p(served, 0.95), p(raw, 0.5), p(raw, 0.95)))
    finally:
        await conn.close()
    return results


def print_table(results: list[tuple[str, float, float, float, float]], note: str) -> None:
    print(f"\n{note}\n")
    print("| page | p50 ms | p95 ms | raw SQL p50 ms | raw SQL p95 ms | p95 above raw, ms |")
    print("|---|---|---|---|---|---|")
    for label, p50, p95, raw50, raw95 in results:
        print(
            f"| {label} | {p50:.1f} | {p95:.1f} | {raw50:.1f} | {raw95:.1f} | {p95 - raw95:.1f} |"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument(
        "--database", help="Measure a database kept by bench.reports --keep (not dropped)."
    )
    args = parser.parse_args()
    if args.database:
        await _report(f"postgres://postgres@127.0.0.1:5432/{args.database}", args)
        return
    name = f"returndesk_bench_pages_{uuid.uuid4().hex[:8]}"
    admin = await connect(f"{SERVER}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        log(f"database {name}: migrating and filling")
        await migrate(url)
        await fill(url.replace("postgres://", "postgresql://"), args.returns, args.lines)
        log("rebuilding the rollups (the dashboard's counts and findings read them)")
        async with connected(url):
            await rebuild_rollups()
        await _report(url, args)
    finally:
        admin = await connect(f"{SERVER}/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _report(url: str, args: argparse.Namespace) -> None:
    log("measuring")
    results = await measure(url, args.calls)
    print_table(
        results, f"{args.returns:,} returns, {args.lines:,} order lines; {args.calls} calls each"
    )


if __name__ == "__main__":
    asyncio.run(main())
