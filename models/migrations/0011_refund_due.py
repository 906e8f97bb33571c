from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# What services.refunds.refundable_amount works out from the ledger, for every refund already
# inspected or partly refunded: the credit left on its refunds payable (rounded to the cent:
# SQLite sums in floats).
BACKFILL_REFUND_DUE = (
    "UPDATE return_request SET refund_due = ROUND("
    "(SELECT COALESCE(SUM(j.credit - j.debit), 0) FROM journal_line j"
    " JOIN journal_entry e ON e.id = j.entry_id WHERE e.request_id = return_request.id"
    " AND j.account = 'refunds_payable'), 2)"
    " WHERE status IN ('inspected', 'refunded') AND type = 'refund'"
)


class Migration(migrations.Migration):
    """What the shop still owes the customer of a refund, kept on the request, so finance's
    work list finds a partly refunded request (status, amount) in SQL.

    Written by hand in the form `tortoise makemigrations` gives, without its spurious
    primary-key churn on chat_state and rma_counter (see 0002); the backfill too.
    """

    dependencies = [("models", "0010_login_failures")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ReturnRequest",
            name="refund_due",
            field=fields.DecimalField(default=0, db_default=0, max_digits=14, decimal_places=2),
        ),
        ops.AddIndex(
            model_name="ReturnRequest",
            index=Index(fields=["status", "refund_due"]),
        ),
        ops.RunSQL(BACKFILL_REFUND_DUE, reverse_sql=ops.RunSQL.noop),
    ]
