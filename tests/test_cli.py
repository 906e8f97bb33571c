"""The `returndesk` command: migrate on both databases, import, user add, seed-demo."""

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from click.testing import CliRunner

from returndesk.cli import main
from services.health import expected_migrations
from tests.conftest import POSTGRES_URL, _need_postgres

PRODUCTS = "sku,name,category,price,cost,stock,low_stock_threshold,returnable\nTEE-1,Tee,apparel,99.90,40,5,1,true\n"


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch):
    path = tmp_path / "desk.sqlite3"
    monkeypatch.setenv("RETURNDESK_DATABASE_URL", f"sqlite://{path}")
    return path


def run(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def tables(path):
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("select name from sqlite_master where type='table'")}


def test_migrate_creates_every_table_and_is_idempotent(sqlite_env):
    assert run("migrate").exit_code == 0
    assert {"return_request", "journal_line", "stock_movement", "notification"} <= tables(
        sqlite_env
    )
    assert run("migrate").exit_code == 0


@pytest.fixture
def postgres_env(monkeypatch):
    _need_postgres()
    name = f"returndesk_cli_{uuid.uuid4().hex[:10]}"
    admin = POSTGRES_URL.replace("postgres://", "postgresql://")

    async def execute(sql):
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    monkeypatch.setenv("RETURNDESK_DATABASE_URL", f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}")
    yield f"{admin.rsplit('/', 1)[0]}/{name}"
    asyncio.run(execute(f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.mark.postgres
def test_migrate_applies_the_same_files_on_postgresql(postgres_env):
    assert run("migrate").exit_code == 0
    assert run("migrate").exit_code == 0

    async def applied():
        conn = await asyncpg.connect(postgres_env)
        try:
            names = await conn.fetch("select name from tortoise_migrations")
            count = await conn.fetchval(
                "select count(*) from information_schema.tables where table_name = 'return_request'"
            )
        finally:
            await conn.close()
        return [r["name"] for r in names], count

    names, count = asyncio.run(applied())
    assert names == sorted(expected_migrations())
    assert count == 1


def test_import_reports_bad_rows_with_line_numbers_and_lands_nothing(sqlite_env, tmp_path):
    run("migrate")
    bad = tmp_path / "products.csv"
    bad.write_text(PRODUCTS + "X-1,Broken,misc,abc,1,1,1,true\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "products", str(bad)])
    assert result.exit_code == 1
    assert "products.csv:3: Write the amount in plain digits, like 12.50" in result.output
    assert "nothing imported: 1 bad row(s)" in result.output
    with sqlite3.connect(sqlite_env) as conn:
        assert conn.execute("select count(*) from product").fetchone()[0] == 0


CUSTOMERS = "external_id,name,phone,email,language\nC1,Li Lei,+8613800000001,,zh\n"
ORDERS = (
    "order_number,customer_phone,channel,ordered_at,delivered_at,sku,quantity,unit_price,"
    "payment_method\n"
)


@pytest.mark.parametrize("ordered_at", ["0001-01-01", "9999-12-31T23:00:00-05:00"])
def test_import_refuses_a_date_out_of_range_as_a_bad_row(sqlite_env, tmp_path, ordered_at):
    run("migrate")
    (tmp_path / "products.csv").write_text(PRODUCTS)
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    assert run("import", "products", str(tmp_path / "products.csv")).exit_code == 0
    assert run("import", "customers", str(tmp_path / "customers.csv")).exit_code == 0
    orders = tmp_path / "orders.csv"
    orders.write_text(ORDERS + f"SO-1,+8613800000001,web,{ordered_at},,TEE-1,1,1,card\n")
    result = CliRunner().invoke(main, ["import", "orders", str(orders)])
    assert (result.exit_code, result.exception.__class__) == (1, SystemExit)
    assert "orders.csv:2: " in result.output
    assert "nothing imported" in result.output


def test_import_names_each_bad_row_in_the_import_pages_words(sqlite_env, tmp_path):
    run("migrate")
    bad = tmp_path / "p_bad.csv"
    rows = (
        "X-1,Hat,misc,-1,1,1,1,true\nX-2,Cap,misc,1,1,1,1,true,extra\nTEE-1,Tee,misc,1,1,1,1,true\n"
    )
    bad.write_text(PRODUCTS + rows, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "products", str(bad)])
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "p_bad.csv:3: The value must not be negative. (price; Entered: -1)",
        "p_bad.csv:4: The row does not have one field per column of the header row:"
        " a comma too many or too few? (Columns expected: 8; Columns found: 9)",
        "p_bad.csv:5: The SKU appears twice in the file. (first_line: 2)",
    ]
    assert "negative_value" not in result.output


def test_import_lands_a_valid_file(sqlite_env, tmp_path):
    run("migrate")
    good = tmp_path / "products.csv"
    good.write_text(PRODUCTS, encoding="utf-8")
    result = run("import", "products", str(good))
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged" in result.output
    with sqlite3.connect(sqlite_env) as conn:
        entries = conn.execute("select actor, action, subject from audit_entry").fetchall()
    assert entries == [("import:products.csv", "import_csv", "products.csv")]


def test_user_add_reads_the_password_from_stdin_and_stores_only_a_hash(sqlite_env):
    run("migrate")
    result = run(
        "user",
        "add",
        "rita",
        "--role",
        "reviewer",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(sqlite_env) as conn:
        stored, roles = conn.execute("select password_hash, roles from staff_user").fetchone()
        entries = conn.execute("select actor, action, subject from audit_entry").fetchall()
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert roles == '["reviewer"]'
    assert entries == [("cli", "create_staff", "rita")]


def test_user_add_refuses_a_short_password_and_an_unknown_role(sqlite_env):
    run("migrate")
    short = CliRunner().invoke(
        main, ["user", "add", "rita", "--role", "reviewer", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1
    assert "password_too_short" in short.output
    role = CliRunner().invoke(
        main,
        ["user", "add", "rita", "--role", "boss", "--password-stdin"],
        input="long enough pass\n",
    )
    assert role.exit_code == 1
    assert "invalid_roles" in role.output


def test_seed_demo_fills_every_status_and_refuses_a_second_time(sqlite_env):
    result = run("seed-demo")
    assert result.exit_code == 0, result.output
    assert "30 products, 50 customers, 200 orders" in result.output
    assert "staff login  admin" in result.output
    with sqlite3.connect(sqlite_env) as conn:
        statuses = {row[0] for row in conn.execute("select distinct status from return_request")}
        categories = conn.execute("select count(distinct category) from product").fetchone()[0]
        pending = conn.execute("select due_at from notification where status = 'pending'")
        overdue = [d for (d,) in pending if datetime.fromisoformat(d) <= datetime.now(UTC)]
        sent = conn.execute("select count(*) from notification where status = 'sent'").fetchone()
    assert (overdue, sent[0] > 0) == ([], True)  # the seeded history's messages went out then
    assert statuses == {
        "submitted", "needs_info", "approved", "rejected", "cancelled",
        "received", "inspected", "refunded", "exchanged", "closed",
    }  # fmt: skip
    assert categories == 5
    again = CliRunner().invoke(main, ["seed-demo"])
    assert again.exit_code == 1
    assert "already has products" in again.output


@pytest.mark.parametrize(
    ("since", "until", "words"),
    [
        (
            "2026-12",
            "2026-10",
            "The period ends before it starts: choose a last month on or after the first.",
        ),
        ("2020-01", "2026-10", "The period is too long: at most 60 months. (At most: 60)"),
    ],
)
def test_report_refuses_a_bad_period_in_the_back_offices_words(sqlite_env, since, until, words):
    result = CliRunner().invoke(main, ["report", "trend", "--from", since, "--to", until])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"Error: Invalid value: {words}"
    assert "invalid_period" not in result.output
    assert "period_too_long" not in result.output
