"""Rollups for reports (SPEC §8): running totals kept in the same transaction as their facts.

Each table is a sum over base rows, keyed by the shop's local month and a few dimensions;
``services.rollups`` keeps them and can rebuild them from scratch. Money is in cents.
"""

from tortoise import fields
from tortoise.models import Model


class ReturnRollup(Model):
    """Units sold (reason ``""``) and returned, per month × product × channel × reason.

    Sold units count in the month of the order, returned units (of requests that are not
    void) in the month the request was opened. ``requests`` counts each request once, on
    the row of its first line's product, so it adds up across products.
    """

    id = fields.BigIntField(primary_key=True)
    month = fields.DateField()
    product_id = fields.IntField()
    channel = fields.CharField(max_length=32)
    reason = fields.CharField(max_length=40)
    sold_units = fields.BigIntField(default=0)
    returned_units = fields.BigIntField(default=0)
    exchange_units = fields.BigIntField(default=0)
    requests = fields.BigIntField(default=0)
    exchange_requests = fields.BigIntField(default=0)

    class Meta:
        table = "rollup_return"
        unique_together = (("month", "product_id", "channel", "reason"),)


class CustomerRollup(Model):
    """Units a customer bought and returned, and their requests, per month × channel."""

    id = fields.BigIntField(primary_key=True)
    month = fields.DateField()
    customer_id = fields.IntField()
    channel = fields.CharField(max_length=32)
    sold_units = fields.BigIntField(default=0)
    returned_units = fields.BigIntField(default=0)
    requests = fields.BigIntField(default=0)

    class Meta:
        table = "rollup_customer"
        unique_together = (("month", "customer_id", "channel"),)


class StageRollup(Model):
    """Visits to a status that ended in a month, by channel and whole hours (rounded up)."""

    id = fields.BigIntField(primary_key=True)
    month = fields.DateField()
    stage = fields.CharField(max_length=20)
    channel = fields.CharField(max_length=32)
    hours = fields.IntField()
    visits = fields.BigIntField(default=0)
    seconds = fields.BigIntField(default=0)

    class Meta:
        table = "rollup_stage"
        unique_together = (("month", "stage", "channel", "hours"),)


class LedgerRollup(Model):
    """Debits and credits (cents) per month × account × channel × request type."""

    id = fields.BigIntField(primary_key=True)
    month = fields.DateField()
    account = fields.CharField(max_length=30)
    channel = fields.CharField(max_length=32)
    type = fields.CharField(max_length=10)
    debit_cents = fields.BigIntField(default=0)
    credit_cents = fields.BigIntField(default=0)

    class Meta:
        table = "rollup_ledger"
        unique_together = (("month", "account", "channel", "type"),)


class SurveyRollup(Model):
    """Survey answers per month × channel × score."""

    id = fields.BigIntField(primary_key=True)
    month = fields.DateField()
    channel = fields.CharField(max_length=32)
    score = fields.SmallIntField()
    surveys = fields.BigIntField(default=0)

    class Meta:
        table = "rollup_survey"
        unique_together = (("month", "channel", "score"),)


class StatusRollup(Model):
    """Requests in each status, per channel: the dashboard's open work without a count."""

    id = fields.BigIntField(primary_key=True)
    status = fields.CharField(max_length=20)
    channel = fields.CharField(max_length=32)
    requests = fields.BigIntField(default=0)

    class Meta:
        table = "rollup_status"
        unique_together = (("status", "channel"),)


class ReportSnapshot(Model):
    """A report's figures for one period and channel, computed ahead by a job.

    ``rows`` and ``totals`` hold what the report is built from (plain JSON values), so the
    report read from a snapshot is the one computed at ``computed_at``.
    """

    id = fields.BigIntField(primary_key=True)
    report = fields.CharField(max_length=40)
    first_month = fields.DateField()
    last_month = fields.DateField()
    channel = fields.CharField(max_length=32)  # "" = every channel
    computed_at = fields.DatetimeField()
    rows = fields.JSONField()
    totals = fields.JSONField()

    class Meta:
        table = "report_snapshot"
        unique_together = (("report", "first_month", "last_month", "channel"),)
