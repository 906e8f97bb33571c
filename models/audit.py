"""The audit trail of changes made outside a request (a request's own trail is its events)."""

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """One change by one actor: what they did, to what, when, and why.

    ``subject`` names what changed (a SKU, a user name); ``details`` holds the figures the
    audit log shows beside it (a product id and quantity, roles before and after).
    """

    id = fields.BigIntField(primary_key=True)
    actor = fields.CharField(max_length=100)
    action = fields.CharField(max_length=30, db_index=True)
    subject = fields.CharField(max_length=100)
    details = fields.JSONField(default=dict)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "audit_entry"
