"""The committed migrations build the same tables and columns as the models describe."""

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
    async with migrated_postgres("models.0004_foreign_key_indexes") as url:
        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
        try:
            for statement in SHOP_BEFORE_0005:
                await connection.execute(statement)
            await migrate(url)
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
        finally:
            await connection.close()
    assert "Bitmap Index Scan on customer_name_trgm" in "\n".join(row[0] for row in plan)


@pytest.mark.postgres
async def test_the_queue_search_is_the_expression_the_trigram_index_covers(pg_db):
    """The index only helps while Tortoise writes `name__icontains` this way."""
    sql = Customer.filter(name__icontains="x").values("id").sql()
    assert 'UPPER(CAST("name" AS VARCHAR)) LIKE UPPER(' in sql
