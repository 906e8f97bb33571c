from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Failed sign-ins kept in the database, so the login throttle holds across instances and
    restarts; indexed for its two counts (per address, per name at an address) and its prune.

    Written by hand in the form `tortoise makemigrations` gives, without its spurious
    primary-key churn on chat_state and rma_counter (see 0002).
    """

    dependencies = [("models", "0009_exchange_due_and_work_index")]

    initial = False

    operations = [
        ops.CreateModel(
            name="LoginFailure",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("address", fields.CharField(max_length=64)),
                ("username", fields.CharField(null=True, max_length=64)),
                (
                    "failed_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "login_failure",
                "app": "models",
                "indexes": [
                    Index(fields=["address", "failed_at"]),
                    Index(fields=["address", "username", "failed_at"]),
                ],
                "pk_attr": "id",
                "table_description": "One failed sign-in (or one still being checked): from"
                " which address, with which name.",
            },
            bases=["Model"],
        ),
    ]
