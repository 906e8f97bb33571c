import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Report snapshots: a slow report's figures for the standard periods, computed ahead.

    Written by `tortoise makemigrations`, then trimmed of its spurious primary-key churn on
    chat_state and rma_counter (see 0002).
    """

    dependencies = [("models", "0005_status_rollup_and_name_search")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ReportSnapshot",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("report", fields.CharField(max_length=40)),
                ("first_month", fields.DateField()),
                ("last_month", fields.DateField()),
                ("channel", fields.CharField(max_length=32)),
                ("computed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "rows",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "totals",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
            ],
            options={
                "table": "report_snapshot",
                "app": "models",
                "unique_together": (("report", "first_month", "last_month", "channel"),),
                "pk_attr": "id",
                "table_description": "A report's figures for one period and channel, computed"
                " ahead by a job.",
            },
            bases=["Model"],
        ),
    ]
