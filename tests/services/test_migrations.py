"""The committed migrations build the same tables and columns as the models describe."""

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from urllib.parse import urlsplit

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.context import tortoise_test_context
from tortoise.migrations.api import migrate as run_migrations

from models import Customer
from returndesk.database import migrate, tortoise_config
from tests.conftest import POSTGRES_URL, database_url, drop_database


def columns(path):
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return {
            table: {row[1] for row in conn.execute(f"pragma table_info({table})")}
            for table in tables
            if table != "tortoise_migrations" and not table.startswith("sqlite_")
        }


async def test_migrations_match_the_models(tmp_path):
    migrated, generated = tmp_path / "migrated.sqlite3", tmp_path / "generated.sqlite3"
    await migrate(f"sqlite://{migrated}")
    async with tortoise_test_context(
        ["models"], db_url=f"sqlite://{generated}", connection_label="gen"
    ):
        pass_through = columns(generated)
    assert columns(migrated) == pass_through


@asynccontextmanager
async def migrated_postgres(target: str) -> AsyncIterator[str]:
    """A new PostgreSQL database migrated up to ``target``; dropped afterwards."""
    url = database_url("postgres")
    admin = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://"))
    await admin.execute(f'CREATE DATABASE "{urlsplit(url).path.lstrip("/")}"')
    await admin.close()
    try:
        await run_migrations(config=tortoise_config(url), target=target)
        await Tortoise.close_connections()
        yield url
    finally:
        await drop_database(url)


@asynccontextmanager
async def upgraded(target: str, rows: Sequence[str]) -> AsyncIterator[asyncpg.Connection]:
    """A PostgreSQL database at ``target`` holding ``rows``, then migrated to the latest."""
    async with migrated_postgres(target) as url:
        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
        try:
            for statement in rows:
                await connection.execute(statement)
            await migrate(url)
            yield connection
        finally:
            await connection.close()


SHOP_BEFORE_0005 = (
    "INSERT INTO customer (name, phone, email, language, unreachable, created_at, updated_at,"
    " updated_by) VALUES ('Анна Li', '+15550000001', '', 'en', false, now(), now(), 't')",
    "INSERT INTO customer_order (number, channel, ordered_at, payment_method, created_at,"
    " updated_at, customer_id) VALUES ('SO-1', 'web', now(), 'card', now(), now(), 1),"
    " ('SO-2', 'telegram', now(), 'card', now(), now(), 1)",
    "INSERT INTO return_request (number, type, status, reason_code, description,"
    " policy_decision, tracking_number, replacement_tracking, version, status_changed_at,"
    " created_at, updated_at, updated_by, customer_id, order_id)"
    " SELECT 'RMA-' || g, 'refund', s, 'wrong_item', '', '{}', '', '', 1, now(), now(), now(),"
    " 't', 1, o FROM (VALUES (1, 'submitted', 1), (2, 'submitted', 1), (3, 'approved', 1),"
    " (4, 'submitted', 2)) v(g, s, o)",
)


@pytest.mark.postgres
async def test_upgrading_to_0005_counts_the_requests_already_there_and_indexes_names():
    async with upgraded("models.0004_foreign_key_indexes", SHOP_BEFORE_0005) as connection:
        counts = await connection.fetch(
            "SELECT status, channel, requests FROM rollup_status ORDER BY 1, 2"
        )
        assert [tuple(row) for row in counts] == [
            ("approved", "web", 1),
            ("submitted", "telegram", 1),
            ("submitted", "web", 2),
        ]
        await connection.execute("SET enable_seqscan = off")
        plan = await connection.fetch(
            "EXPLAIN SELECT id FROM customer"
            " WHERE UPPER(CAST(name AS VARCHAR)) LIKE UPPER($1) ESCAPE '\\'",
            "%анна%",
        )
    assert "Bitmap Index Scan on customer_name_trgm" in "\n".join(row[0] for row in plan)


@pytest.mark.postgres
async def test_the_queue_search_is_the_expression_the_trigram_index_covers(pg_db):
    """The index only helps while Tortoise writes `name__icontains` this way."""
    sql = Customer.filter(name__icontains="x").values("id").sql()
    assert 'UPPER(CAST("name" AS VARCHAR)) LIKE UPPER(' in sql


# Two inspected requests: an exchange for a 150.00 replacement of a 100.00 item, 20.00 of the
# difference paid already; and a refund.
SHOP_BEFORE_0009 = (
    *SHOP_BEFORE_0005[:2],
    "INSERT INTO product (sku, name, category, price, cost, returnable, low_stock_threshold,"
    " active, created_at, updated_at, updated_by) VALUES ('TEE-1', 'Tee', 'c', 100, 40, true,"
    " 0, true, now(), now(), 't'), ('TEE-2', 'Tee 2', 'c', 150, 60, true, 0, true, now(),"
    " now(), 't')",
    "INSERT INTO order_line (quantity, unit_price, order_id, product_id) VALUES (2, 100, 1, 1)",
    "INSERT INTO return_request (number, type, status, reason_code, description,"
    " policy_decision, tracking_number, replacement_tracking, version, status_changed_at,"
    " created_at, updated_at, updated_by, customer_id, order_id) VALUES"
    " ('RMA-1', 'exchange', 'inspected', 'wrong_item', '', '{}', '', '', 4, now(), now(),"
    " now(), 't', 1, 1), ('RMA-2', 'refund', 'inspected', 'wrong_item', '', '{}', '', '', 4,"
    " now(), now(), now(), 't', 1, 1)",
    "INSERT INTO return_line (quantity, replacement_unit_price, received_quantity, resellable,"
    " defective, refused, order_line_id, replacement_product_id, request_id) VALUES"
    " (1, 150, 1, 1, 0, 0, 1, 2, 1), (1, NULL, 1, 1, 0, 0, 1, NULL, 2)",
    "INSERT INTO journal_entry (memo, actor, created_at, request_id) VALUES"
    " ('Inspection', 't', now(), 1), ('Payment', 't', now(), 1), ('Inspection', 't', now(), 2)",
    "INSERT INTO journal_line (account, debit, credit, entry_id) VALUES"
    " ('sales_returns', 100, 0, 1), ('refunds_payable', 0, 100, 1),"
    " ('cash', 20, 0, 2), ('customer_prepayments', 0, 20, 2),"
    " ('sales_returns', 100, 0, 3), ('refunds_payable', 0, 100, 3)",
)


@pytest.mark.postgres
async def test_upgrading_to_0009_keeps_what_waiting_exchanges_owe_on_them():
    async with upgraded("models.0008_scrap_and_audit_entries", SHOP_BEFORE_0009) as connection:
        owed = await connection.fetch(
            "SELECT number, exchange_due FROM return_request ORDER BY number"
        )
    assert [tuple(row) for row in owed] == [("RMA-1", Decimal("30.00")), ("RMA-2", Decimal("0"))]


# The login throttle's lookups: failures from an address, and of a name at an address (each
# within the window, newest first), and failures the window has left (pruned).
THROTTLE_LOOKUPS = (
    (
        "address = '10.0.0.1' AND failed_at > now() ORDER BY failed_at DESC",
        ("address", "failed_at"),
    ),
    (
        "address = '10.0.0.1' AND username = 'rita' AND failed_at > now() ORDER BY failed_at DESC",
        ("address", "username", "failed_at"),
    ),
    ("failed_at <= now()", ("failed_at",)),
)


@pytest.mark.postgres
async def test_upgrading_to_0010_indexes_login_failures_for_the_throttles_lookups():
    async with upgraded("models.0009_exchange_due_and_work_index", ()) as connection:
        await connection.execute("SET enable_seqscan = off")
        for where, columns in THROTTLE_LOOKUPS:
            rows = await connection.fetch(f"EXPLAIN SELECT id FROM login_failure WHERE {where}")
            plan = "\n".join(row[0] for row in rows)
            condition = plan.split("Index Cond: ", 1)[1].split("\n", 1)[0]
            assert all(f"({column}" in condition for column in columns), plan
            assert "Sort" not in plan, plan


@pytest.mark.postgres
async def test_upgrading_to_0011_keeps_what_inspected_refunds_are_owed_on_them():
    async with upgraded("models.0010_login_failures", SHOP_BEFORE_0009) as connection:
        owed = await connection.fetch("SELECT number, refund_due FROM return_request ORDER BY 1")
    assert [tuple(row) for row in owed] == [("RMA-1", Decimal("0")), ("RMA-2", Decimal("100.00"))]


@pytest.mark.postgres
async def test_upgrading_to_0012_starts_every_account_at_session_epoch_zero():
    account = (
        "INSERT INTO staff_user (username, password_hash, roles, language, active, created_at,"
        " updated_at, updated_by) VALUES ('rita', 'x', '[\"reviewer\"]', 'en', true, now(),"
        " now(), 't')"
    )
    async with upgraded("models.0011_refund_due", (account,)) as connection:
        epochs = await connection.fetch("SELECT username, session_epoch FROM staff_user")
    assert [tuple(row) for row in epochs] == [("rita", 0)]
