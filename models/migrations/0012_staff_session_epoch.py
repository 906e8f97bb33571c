from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The generation of a staff account's sessions: a session holds the epoch it began in,
    and signing out, a new password or deactivation moves the epoch on, which ends every
    session begun before. Sessions from before this column hold no epoch and must sign in
    again once.

    Written by hand in the form `tortoise makemigrations` gives, without its spurious
    primary-key churn on chat_state and rma_counter (see 0002).
    """

    dependencies = [("models", "0011_refund_due")]

    initial = False

    operations = [
        ops.AddField(
            model_name="StaffUser",
            name="session_epoch",
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
