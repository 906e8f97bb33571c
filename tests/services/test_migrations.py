"""The committed migrations build the same tables and columns as the models describe."""

import sqlite3

from tortoise.context import tortoise_test_context

from returndesk.database import migrate


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
