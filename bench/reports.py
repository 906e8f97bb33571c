"""Reports benchmark: every report over 1,000,000 returns and 2,000,000 order lines.

Run from the repository root (see bench/README.md)::

    /work/venv/bin/python -m bench.reports [--returns 1000000] [--lines 2000000] [--calls 20]

A fresh PostgreSQL database is created, migrated and filled with set-based
``INSERT … SELECT generate_series`` (progress on stderr); the rollups are rebuilt from it
(timed), and the report snapshots refreshed once as the cluster job does (timed), so the
reports read them as in production; then each report is built through
``services.reports.build_report`` for the reports page's default period repeatedly (p50/p95)
beside the raw aggregate SQL that computes the same figures from the base tables. The
database is dropped at the end (``--keep`` keeps it). The table goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from domain.clock import FakeClock
from returndesk.database import connected, migrate
from services.findings import dashboard_findings, find_findings
from services.queue import dashboard
from services.report_snapshots import refresh_report_snapshots
from services.reports import DEFAULT_MONTHS, REPORTS, Period, ReportFilter, build_report
from services.rollups import rebuild_rollups

SERVER = "postgresql://postgres@127.0.0.1:5432"
ZONE = "Asia/Shanghai"
MONTHS = 24
FIRST_DAY = date(2024, 4, 1)
CLOCK = FakeClock(datetime(2026, 3, 31, 4, tzinfo=UTC))  # noon on 31 March in Shanghai
TODAY = CLOCK.now().astimezone(ZoneInfo(ZONE)).date()
PERIOD = Period.ending(TODAY, DEFAULT_MONTHS)  # the reports page's default: a snapshotted one
CHANNELS = ("web", "telegram", "wechat", "marketplace")
REASONS = (
    "quality_defect",
    "not_as_described",
    "wrong_item",
    "damaged_in_transit",
    "size_fit",
    "changed_mind",
    "other",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _array(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


def fill_statements(returns: int, lines: int) -> list[tuple[str, str]]:
    """(label, SQL) that fill the base tables, set-based, deterministic."""
    orders = max(returns * 6 // 5, lines * 3 // 5)
    customers = max(orders // 12, 1)
    span = f"interval '{MONTHS * 30} days'"
    start = f"timestamptz '{FIRST_DAY} 00:00+08'"
    # each request takes one path; stages reached: 1 submitted … 6 closed (void: 2 steps)
    return [
        (
            "products",
            "INSERT INTO product (sku, name, category, price, cost, returnable,"
            " low_stock_threshold, active, created_at, updated_at, updated_by)"
            " SELECT 'SKU-' || g, 'Product ' || g, 'category-' || (g % 10),"
            " 20 + (g % 50) * 5, (20 + (g % 50) * 5) * 0.4, true, 0, true, now(), now(), 'bench'"
            " FROM generate_series(1, 200) g",
        ),
        (
            "customers",
            "INSERT INTO customer (name, phone, email, language, unreachable, created_at,"
            " updated_at, updated_by) SELECT 'Customer ' || g, '+1555' || lpad(g::text, 9, '0'),"
            f" '', 'en', false, now(), now(), 'bench' FROM generate_series(1, {customers}) g",
        ),
        (
            "orders",
            "INSERT INTO customer_order (number, channel, ordered_at, delivered_at,"
            " payment_method, created_at, updated_at, customer_id)"
            f" SELECT 'SO-' || g, ({_array(CHANNELS)})[1 + (g * 7) % 10 % 4],"
            f" {start} + {span} * (g - 1) / {orders},"
            f" {start} + {span} * (g - 1) / {orders} + interval '2 days', 'card', now(), now(),"
            f" 1 + (g::bigint * 7919) % {customers} FROM generate_series(1, {orders}) g",
        ),
        (
            "order lines",
            "INSERT INTO order_line (quantity, unit_price, order_id, product_id)"
            f" SELECT 1 + g % 3, 20 + (p % 50) * 5, 1 + (g - 1) % {orders}, p"
            f" FROM (SELECT g, 1 + (g * 31 + g / 7) % 200 AS p"
            f" FROM generate_series(1, {lines}) g) s",
        ),
        (
            "return requests",
            "INSERT INTO return_request (number, type, status, reason_code, description,"
            " policy_decision, tracking_number, replacement_tracking, version,"
            " status_changed_at, created_at, updated_at, updated_by, customer_id, order_id)"
            " SELECT 'RMA-' || g, CASE WHEN g % 5 = 0 THEN 'exchange' ELSE 'refund' END,"
            " CASE WHEN g % 13 = 0 THEN 'cancelled' WHEN g % 17 = 0 THEN 'rejected'"
            " ELSE (ARRAY['submitted', 'approved', 'received', 'inspected',"
            " CASE WHEN g % 5 = 0 THEN 'exchanged' ELSE 'refunded' END, 'closed'])"
            "[LEAST(6, 1 + g % 11)] END,"
            f" ({_array(REASONS)})[1 + (g * 3 + g / 1000) % 7], '', '{{}}', '', '', 1,"
            " o.ordered_at + interval '5 days', o.ordered_at + interval '5 days'"
            " + (g % 48) * interval '1 hour', now(), 'bench', o.customer_id, o.id"
            f" FROM generate_series(1, {returns}) g JOIN customer_order o ON o.id = g",
        ),
        (
            "return lines",
            "INSERT INTO return_line (quantity, received_quantity, resellable, defective,"
            " refused, order_line_id, request_id)"
            " SELECT 1, 0, 0, 0, 0, r.id, r.id FROM return_request r"
            " UNION ALL SELECT 1, 0, 0, 0, 0, r.id + "
            f"{orders}, r.id FROM return_request r WHERE r.id % 5 = 1 AND r.id + {orders} <= "
            f"{lines}",
        ),
        (
            "return events",
            "INSERT INTO return_event (actor, action, from_status, to_status, note, created_at,"
            " request_id)"
            " SELECT 'bench', 'step', p.path[s.n], p.path[s.n + 1], '',"
            " r.created_at + SUM(s.d) OVER (PARTITION BY r.id ORDER BY s.n) * interval '1 hour',"
            " r.id FROM return_request r CROSS JOIN LATERAL (SELECT CASE"
            " WHEN r.status IN ('cancelled', 'rejected')"
            " THEN ARRAY[NULL, 'submitted', r.status]"
            " WHEN r.type = 'exchange' THEN ARRAY[NULL, 'submitted', 'approved', 'received',"
            " 'inspected', 'exchanged', 'closed']"
            " ELSE ARRAY[NULL, 'submitted', 'approved', 'received', 'inspected', 'refunded',"
            " 'closed'] END AS path) p"
            " CROSS JOIN LATERAL (SELECT n, CASE WHEN n = 1 THEN 0"
            " ELSE 1 + (r.id * (7 + n * 3)) % (12 * n + 20) END AS d"
            " FROM generate_series(1, CASE WHEN r.status IN ('cancelled', 'rejected') THEN 2"
            " ELSE array_position(p.path, r.status::text) - 1 END) n) s",
        ),
        (
            "journal entries",
            "INSERT INTO journal_entry (memo, actor, created_at, request_id)"
            " SELECT 'Inspection', 'bench', e.created_at, e.request_id FROM return_event e"
            " WHERE e.to_status = 'inspected'"
            " UNION ALL SELECT 'Refund', 'bench', e.created_at, e.request_id FROM return_event e"
            " WHERE e.to_status = 'refunded'",
        ),
        (
            "journal lines",
            "INSERT INTO journal_line (account, debit, credit, entry_id)"
            " SELECT a.account, COALESCE(a.debit, 0), COALESCE(a.credit, 0), je.id"
            " FROM journal_entry je"
            # a request's first line returns the order line with the request's id
            " JOIN order_line ol ON ol.id = je.request_id"
            " CROSS JOIN LATERAL (VALUES"
            " ('sales_returns', CASE WHEN je.memo = 'Inspection' THEN ol.unit_price END, 0),"
            " ('refunds_payable', CASE WHEN je.memo = 'Refund' THEN ol.unit_price * 0.9 END,"
            "  CASE WHEN je.memo = 'Inspection' THEN ol.unit_price * 0.9 END),"
            " ('restocking_fees', 0, CASE WHEN je.memo = 'Inspection' THEN ol.unit_price * 0.1"
            "  END),"
            " ('inventory_write_offs', CASE WHEN je.memo = 'Inspection' AND je.request_id % 4 = 0"
            "  THEN ol.unit_price * 0.4 END, 0),"
            " ('inventory', CASE WHEN je.memo = 'Inspection' AND je.request_id % 4 = 0"
            "  THEN 0 END, CASE WHEN je.memo = 'Inspection' AND je.request_id % 4 = 0"
            "  THEN ol.unit_price * 0.4 END),"
            " ('cash', 0, CASE WHEN je.memo = 'Refund' THEN ol.unit_price * 0.9 END)"
            " ) a(account, debit, credit)"
            " WHERE a.debit IS NOT NULL OR a.credit IS NOT NULL",
        ),
        (
            "surveys",
            "INSERT INTO survey (score, comment, created_at, request_id)"
            " SELECT 1 + (r.id * 7) % 5, CASE WHEN r.id % 9 = 0 THEN 'Comment ' || r.id"
            " ELSE '' END, r.created_at + interval '20 days', r.id FROM return_request r"
            " WHERE r.status = 'closed' AND r.id % 3 = 0",
        ),
    ]


# The same figures, straight from the base tables (what each report would cost unrolled).
LIVE = "r.status NOT IN ('cancelled', 'rejected')"
MONTH_O = f"date_trunc('month', o.ordered_at AT TIME ZONE '{ZONE}')"
MONTH_R = f"date_trunc('month', r.created_at AT TIME ZONE '{ZONE}')"
IN_PERIOD = "BETWEEN $1 AND $2"
SOLD = (
    f"SELECT {{key}}, SUM(ol.quantity) AS n FROM order_line ol JOIN customer_order o"
    f" ON o.id = ol.order_id JOIN product p ON p.id = ol.product_id"
    f" WHERE {MONTH_O} {IN_PERIOD} GROUP BY 1"
)
RETURNED = (
    f"SELECT {{key}}, SUM(rl.quantity) AS n FROM return_line rl JOIN return_request r"
    f" ON r.id = rl.request_id JOIN order_line ol ON ol.id = rl.order_line_id"
    f" JOIN customer_order o ON o.id = r.order_id JOIN product p ON p.id = ol.product_id"
    f" WHERE {LIVE} AND {MONTH_R} {IN_PERIOD} GROUP BY 1"
)


def _rate(key_sold: str, key_returned: str) -> str:
    return (
        f"SELECT COALESCE(s.k, r.k), s.n, r.n FROM ({SOLD.format(key=key_sold + ' AS k')}) s"
        f" FULL JOIN ({RETURNED.format(key=key_returned + ' AS k')}) r ON r.k = s.k"
    )


RAW: dict[str, str] = {
    "rate-by-month": _rate(MONTH_O, MONTH_R),
    "rate-by-product": _rate("p.id", "p.id"),
    "rate-by-category": _rate("p.category", "p.category"),
    "rate-by-channel": _rate("o.channel", "o.channel"),
    "rate-by-reason": RETURNED.format(key="r.reason_code"),
    "problem-products": RETURNED.replace("GROUP BY 1", "GROUP BY 1, 2").format(
        key="p.id, r.reason_code"
    ),
    "stage-times": (
        "WITH c AS (SELECT e.from_status, e.created_at - LAG(e.created_at) OVER"
        " (PARTITION BY e.request_id ORDER BY e.id) AS spent, e.created_at FROM return_event e"
        " WHERE e.from_status IS NULL OR e.from_status <> e.to_status)"
        " SELECT from_status, COUNT(*), AVG(spent),"
        " percentile_disc(0.9) WITHIN GROUP (ORDER BY spent) FROM c"
        f" WHERE from_status IS NOT NULL AND date_trunc('month', created_at AT TIME ZONE '{ZONE}')"
        f" {IN_PERIOD} GROUP BY 1"
    ),
    "money": (
        f"SELECT date_trunc('month', je.created_at AT TIME ZONE '{ZONE}'), jl.account, r.type,"
        " SUM(jl.debit), SUM(jl.credit) FROM journal_line jl JOIN journal_entry je"
        " ON je.id = jl.entry_id LEFT JOIN return_request r ON r.id = je.request_id"
        f" WHERE date_trunc('month', je.created_at AT TIME ZONE '{ZONE}') {IN_PERIOD}"
        " GROUP BY 1, 2, 3"
    ),
    "exchange-share": (
        f"SELECT {MONTH_R}, COUNT(DISTINCT r.id), COUNT(DISTINCT r.id) FILTER"
        " (WHERE r.type = 'exchange'), SUM(rl.quantity) FROM return_request r"
        f" JOIN return_line rl ON rl.request_id = r.id WHERE {LIVE} AND {MONTH_R} {IN_PERIOD}"
        " GROUP BY 1"
    ),
    "surveys": (
        "SELECT s.score, COUNT(*) FROM survey s"
        f" WHERE date_trunc('month', s.created_at AT TIME ZONE '{ZONE}') {IN_PERIOD}"
        " GROUP BY 1"
    ),
    "survey-comments": (
        "SELECT s.created_at, r.number, s.score, s.comment FROM survey s"
        " JOIN return_request r ON r.id = s.request_id WHERE s.comment <> ''"
        f" AND date_trunc('month', s.created_at AT TIME ZONE '{ZONE}') {IN_PERIOD}"
        " ORDER BY s.created_at DESC LIMIT 20"
    ),
    "frequent-returners": (
        "WITH c AS (SELECT r.customer_id, COUNT(DISTINCT r.id) AS requests,"
        " SUM(rl.quantity) AS returned FROM return_request r"
        f" JOIN return_line rl ON rl.request_id = r.id WHERE {LIVE} AND {MONTH_R} {IN_PERIOD}"
        " GROUP BY 1 HAVING COUNT(DISTINCT r.id) >= 3),"
        " b AS (SELECT o.customer_id, SUM(ol.quantity) AS sold FROM order_line ol"
        f" JOIN customer_order o ON o.id = ol.order_id WHERE {MONTH_O} {IN_PERIOD} GROUP BY 1)"
        " SELECT c.*, b.sold FROM c LEFT JOIN b ON b.customer_id = c.customer_id"
        " ORDER BY c.requests DESC LIMIT 20"
    ),
    "trend": _rate(MONTH_O, MONTH_R),
}


async def timed(work: Callable[[], Awaitable[Any]], calls: int) -> list[float]:
    await work()  # warm
    spent = []
    for _ in range(calls):
        began = time.perf_counter()
        await work()
        spent.append((time.perf_counter() - began) * 1000)
    return spent


def p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# A server restart (another suite may restart the shared PostgreSQL) drops connections.
LOST = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
    OSError,
)


async def connect(url: str) -> asyncpg.Connection:
    """Connect, waiting out a server restart."""
    for _ in range(120):
        try:
            return await asyncpg.connect(url)
        except LOST:
            await asyncio.sleep(1)
    raise RuntimeError("PostgreSQL did not come back")


def _table(sql: str) -> str:
    return sql.split("INSERT INTO ", 1)[1].split(" ", 1)[0]


async def fill(url: str, returns: int, lines: int) -> None:
    """Run each fill statement once; after a lost connection, go on where it stopped."""
    for label, sql in fill_statements(returns, lines):
        while True:
            conn = await connect(url)
            try:
                if await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_table(sql)})"):
                    break
                began = time.perf_counter()
                status = await conn.execute(sql)
                log(f"  {label}: {status.split()[-1]} rows in {time.perf_counter() - began:.1f} s")
                break
            except LOST as error:
                log(f"  {label}: connection lost ({type(error).__name__}); again")
            finally:
                if not conn.is_closed():
                    await conn.close()
    conn = await connect(url)
    await conn.execute("ANALYZE")
    await conn.close()


async def retried(work: Callable[[], Awaitable[Any]]) -> Any:
    for attempt in range(5):
        try:
            return await work()
        except Exception as error:  # the ORM wraps lost connections in its own errors
            if attempt == 4:
                raise
            log(f"  failed ({type(error).__name__}: {error}); again")
            await asyncio.sleep(3)
    return None


Row = tuple[str, float, float, float, float]


async def measure(url: str, calls: int, raw_calls: int) -> list[Row]:
    results: list[Row] = []
    filters = ReportFilter(PERIOD)
    async with connected(url.replace("postgresql://", "postgres://")):
        began = time.perf_counter()
        await retried(rebuild_rollups)
        log(f"  rollups rebuilt in {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        stored = await retried(lambda: refresh_report_snapshots(CLOCK))
        job = (time.perf_counter() - began) * 1000
        log(f"  {stored} frequent-returners snapshots refreshed in {job / 1000:.1f} s")
        results.append(("frequent-returners snapshot refresh (job)", job, job, 0, 0))
        conn = await connect(url)
        await conn.execute("ANALYZE")
        try:
            for name in REPORTS:
                log(f"  {name}")
                fast = await retried(
                    lambda name=name: timed(lambda: build_report(name, filters), calls)
                )

                async def raw_sql(name: str = name) -> list[float]:
                    db = await connect(url)
                    try:
                        return await timed(
                            lambda: db.fetch(RAW[name], PERIOD.first, PERIOD.last), raw_calls
                        )
                    finally:
                        await db.close()

                raw = await retried(raw_sql)
                results.append((name, p(fast, 0.5), p(fast, 0.95), p(raw, 0.5), p(raw, 0.95)))
            log("  dashboard")

            async def board() -> None:
                await dashboard()
                await dashboard_findings(TODAY)

            fast = await retried(lambda: timed(board, calls))
            results.append(("dashboard (board + findings)", p(fast, 0.5), p(fast, 0.95), 0, 0))
            log(f"  reports page findings ({DEFAULT_MONTHS} months)")
            fast = await retried(lambda: timed(lambda: find_findings(filters), calls))
            results.append(
                (f"findings, {DEFAULT_MONTHS} months", p(fast, 0.5), p(fast, 0.95), 0, 0)
            )
        finally:
            await conn.close()
    return results


def print_table(results: list[Row], note: str) -> None:
    print(note)
    print()
    print("| report | rollups p50 ms | rollups p95 ms | raw SQL p50 ms | raw SQL p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, f50, f95, r50, r95 in results:
        raw = (f"{r50:.0f}", f"{r95:.0f}") if r50 else ("—", "—")
        print(f"| {name} | {f50:.1f} | {f95:.1f} | {raw[0]} | {raw[1]} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--raw-calls", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--database", help="Reuse a database kept by --keep (implies --keep).")
    args = parser.parse_args()
    name = args.database or f"returndesk_bench_reports_{uuid.uuid4().hex[:8]}"
    args.keep = args.keep or bool(args.database)
    if not args.database:
        admin = await connect(f"{SERVER}/postgres")
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
    url = f"{SERVER}/{name}"
    try:
        log(f"database {name}: migrating")
        await retried(lambda: migrate(url.replace("postgresql://", "postgres://")))
        log("filling (set-based INSERT … SELECT generate_series)")
        began = time.perf_counter()
        await fill(url, args.returns, args.lines)
        log(f"filled in {time.perf_counter() - began:.1f} s; measuring")
        results = await measure(url, args.calls, args.raw_calls)
        print_table(
            results,
            f"{args.returns:,} returns, {args.lines:,} order lines, period {PERIOD};"
            f" {args.calls} calls per report (raw SQL: {args.raw_calls})",
        )
    finally:
        if not args.keep:
            admin = await connect(f"{SERVER}/postgres")
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
