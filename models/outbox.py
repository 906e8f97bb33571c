"""The outbox: every message to a customer or to the staff chat waits here."""

from tortoise import fields
from tortoise.models import Model


class Notification(Model):
    id = fields.BigIntField(primary_key=True)
    customer = fields.ForeignKeyField(
        "models.Customer", db_index=True, related_name="notifications", null=True
    )
    staff_chat = fields.BooleanField(default=False)
    template = fields.CharField(max_length=60)
    params = fields.JSONField(default=dict)
    dedupe_key = fields.CharField(max_length=200, unique=True)
    due_at = fields.DatetimeField(db_index=True)
    attempts = fields.IntField(default=0)
    status = fields.CharField(max_length=20, default="pending", db_index=True)
    last_error = fields.TextField(default="")
    claimed_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    customer_id: int | None

    class Meta:
        table = "notification"
