from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor

# The expression Tortoise's ``name__icontains`` filters on, so PostgreSQL can use the index.
NAME_SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_name_trgm ON customer"
    " USING gin (UPPER(CAST(name AS VARCHAR)) gin_trgm_ops)"
)


async def add_name_search_index(_apps: object, editor: BaseSchemaEditor) -> None:
    """A trigram index for searching customers by part of their name (PostgreSQL only)."""
    if editor.client.capabilities.dialect != "postgres":
        return
    await editor.client.execute_script("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    await editor.client.execute_script(NAME_SEARCH_INDEX)


async def drop_name_search_index(_apps: object, editor: BaseSchemaEditor) -> None:
    if editor.client.capabilities.dialect == "postgres":
        await editor.client.execute_script("DROP INDEX IF EXISTS customer_name_trgm")


class Migration(migrations.Migration):
    """Requests per status and channel (kept with every status change), and name search.

    The rollup is filled from the requests already there. Written by `tortoise
    makemigrations`, then trimmed of its spurious primary-key churn on chat_state and
    rma_counter (see 0002); the trigram index is PostgreSQL's own, so it is created by hand.
    """

    dependencies = [("models", "0004_foreign_key_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="StatusRollup",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("status", fields.CharField(max_length=20)),
                ("channel", fields.CharField(max_length=32)),
                ("requests", fields.BigIntField(default=0)),
            ],
            options={
                "table": "rollup_status",
                "app": "models",
                "unique_together": (("status", "channel"),),
                "pk_attr": "id",
                "table_description": "Requests in each status, per channel: the dashboard's"
                " open work without a count.",
            },
            bases=["Model"],
        ),
        ops.RunSQL(
            "INSERT INTO rollup_status (status, channel, requests)"
            " SELECT r.status, o.channel, COUNT(*) FROM return_request r"
            " JOIN customer_order o ON o.id = r.order_id GROUP BY r.status, o.channel",
            reverse_sql="DELETE FROM rollup_status",
        ),
        ops.RunPython(add_name_search_index, drop_name_search_index),
    ]
