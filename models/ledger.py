"""Money: refunds, exchange payments and the double-entry journal."""

from tortoise import fields
from tortoise.models import Model

from domain.ledger import Account, RefundMethod
from models.catalog import MONEY


class Refund(Model):
    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField("models.ReturnRequest", db_index=True, related_name="refunds")
    amount = fields.DecimalField(**MONEY)
    method = fields.CharEnumField(RefundMethod, max_length=20)
    status = fields.CharField(max_length=20, default="completed")
    external_reference = fields.CharField(max_length=100, default="")
    created_by = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()

    class Meta:
        table = "refund"


class Payment(Model):
    """A customer's payment of an exchange difference."""

    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField("models.ReturnRequest", db_index=True, related_name="payments")
    amount = fields.DecimalField(**MONEY)
    external_reference = fields.CharField(max_length=100, default="")
    created_by = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()

    class Meta:
        table = "payment"


class JournalEntry(Model):
    id = fields.BigIntField(primary_key=True)
    memo = fields.CharField(max_length=200)
    request = fields.ForeignKeyField(
        "models.ReturnRequest", db_index=True, related_name="journal", null=True
    )
    actor = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "journal_entry"


class JournalLine(Model):
    id = fields.BigIntField(primary_key=True)
    entry = fields.ForeignKeyField("models.JournalEntry", db_index=True, related_name="lines")
    account = fields.CharEnumField(Account, max_length=30, db_index=True)
    debit = fields.DecimalField(**MONEY, default=0)
    credit = fields.DecimalField(**MONEY, default=0)

    class Meta:
        table = "journal_line"
