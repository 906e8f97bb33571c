import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from domain.stock import MovementKind


class Migration(migrations.Migration):
    """The scrap movement kind (defective units disposed of), and the audit trail of changes
    made outside a request (scrapping, staff roles).

    Written by `tortoise makemigrations`, then trimmed of its spurious primary-key churn on
    chat_state and rma_counter (see 0002).
    """

    dependencies = [("models", "0007_chat_recent_updates")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("actor", fields.CharField(max_length=100)),
                ("action", fields.CharField(db_index=True, max_length=30)),
                ("subject", fields.CharField(max_length=100)),
                (
                    "details",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("note", fields.TextField(default="", unique=False)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "audit_entry",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One change by one actor: what they did, to what, when,"
                " and why.",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="StockMovement",
            name="kind",
            field=fields.CharEnumField(
                description="STOCK_IN: stock_in\nSTOCK_OUT: stock_out\nRESERVE: reserve\n"
                "RELEASE: release\nRECEIVE: receive\nRESTOCK: restock\nWRITE_OFF: write_off\n"
                "SEND_BACK: send_back\nSHIP_REPLACEMENT: ship_replacement\nSCRAP: scrap",
                enum_type=MovementKind,
                max_length=20,
            ),
        ),
    ]
