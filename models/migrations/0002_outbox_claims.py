from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from domain.stock import MovementKind


class Migration(migrations.Migration):
    """Outbox claims (a lease per notification) and the stock_out movement kind.

    Written by `tortoise makemigrations`, then trimmed: its autodetector also proposed
    dropping and re-adding the non-generated primary keys of chat_state and rma_counter,
    which nothing changed.
    """

    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Notification",
            name="claimed_until",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name="StockMovement",
            name="kind",
            field=fields.CharEnumField(
                description="STOCK_IN: stock_in\nSTOCK_OUT: stock_out\nRESERVE: reserve\n"
                "RELEASE: release\nRECEIVE: receive\nRESTOCK: restock\nWRITE_OFF: write_off\n"
                "SEND_BACK: send_back\nSHIP_REPLACEMENT: ship_replacement",
                enum_type=MovementKind,
                max_length=20,
            ),
        ),
    ]
