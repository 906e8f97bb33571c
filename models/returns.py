"""Return requests, their lines, thread, photos, audit trail and surveys."""

from tortoise import fields
from tortoise.models import Model

from domain.returns import ReturnType, Status
from models.catalog import MONEY


class ReturnRequest(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=20, unique=True)
    customer = fields.ForeignKeyField("models.Customer", db_index=True, related_name="returns")
    order = fields.ForeignKeyField("models.Order", db_index=True, related_name="returns")
    type = fields.CharEnumField(ReturnType, max_length=10)
    status = fields.CharEnumField(Status, max_length=20, db_index=True)
    reason_code = fields.CharField(max_length=40)
    description = fields.TextField(default="")
    policy_decision = fields.JSONField()
    tracking_number = fields.CharField(max_length=64, default="")
    replacement_tracking = fields.CharField(max_length=64, default="")
    assigned_to = fields.ForeignKeyField(
        "models.StaffUser", db_index=True, related_name="assigned", null=True
    )
    version = fields.IntField(default=1)
    # What the customer still owes for an exchange's replacement (negative: what the shop
    # owes back): set at inspection, lowered by payments, nothing once it ships. The ledger
    # says the same (services.refunds.exchange_due); kept here so lists count it in SQL.
    exchange_due = fields.DecimalField(**MONEY, default=0, db_default=0)
    # What the shop still owes the customer of a refund: set at inspection, lowered by each
    # refund (a partial one leaves the rest). The ledger says the same
    # (services.refunds.refundable_amount); kept here so finance's work list finds it in SQL.
    refund_due = fields.DecimalField(**MONEY, default=0, db_default=0)
    deadline_at = fields.DatetimeField(null=True)
    status_changed_at = fields.DatetimeField()
    created_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField()
    updated_by = fields.CharField(max_length=100)
    customer_id: int
    order_id: int
    assigned_to_id: int | None

    class Meta:
        table = "return_request"
        # The dashboard's work lists (per status and type) and SLA counts (the stage starts
        # of one status), read from the index alone or from few rows; partly refunded ones.
        indexes = (("status", "type", "status_changed_at"), ("status", "refund_due"))


class ReturnLine(Model):
    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField("models.ReturnRequest", db_index=True, related_name="lines")
    order_line = fields.ForeignKeyField(
        "models.OrderLine", db_index=True, related_name="return_lines"
    )
    quantity = fields.IntField()
    replacement_product = fields.ForeignKeyField(
        "models.Product", db_index=True, related_name="replacement_lines", null=True
    )
    replacement_unit_price = fields.DecimalField(**MONEY, null=True)
    received_quantity = fields.IntField(default=0)
    resellable = fields.IntField(default=0)
    defective = fields.IntField(default=0)
    refused = fields.IntField(default=0)
    request_id: int
    order_line_id: int
    replacement_product_id: int | None

    class Meta:
        table = "return_line"


class Message(Model):
    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField("models.ReturnRequest", db_index=True, related_name="messages")
    author = fields.CharField(max_length=100)
    from_customer = fields.BooleanField()
    text = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "return_message"


class Attachment(Model):
    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField(
        "models.ReturnRequest", db_index=True, related_name="attachments"
    )
    message = fields.ForeignKeyField(
        "models.Message", db_index=True, related_name="attachments", null=True
    )
    telegram_file_id = fields.CharField(max_length=200)
    local_path = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "attachment"


class ReturnEvent(Model):
    id = fields.BigIntField(primary_key=True)
    request = fields.ForeignKeyField("models.ReturnRequest", db_index=True, related_name="events")
    actor = fields.CharField(max_length=100)
    action = fields.CharField(max_length=30, db_index=True)
    from_status = fields.CharEnumField(Status, max_length=20, null=True)
    to_status = fields.CharEnumField(Status, max_length=20)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "return_event"


class Survey(Model):
    id = fields.IntField(primary_key=True)
    request = fields.OneToOneField("models.ReturnRequest", related_name="survey")
    score = fields.SmallIntField()
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "survey"
