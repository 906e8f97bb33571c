"""The desk's own records: staff, failed sign-ins, API tokens, policy rules, reasons, counters,
chat state."""

from tortoise import fields
from tortoise.models import Model


class StaffUser(Model):
    """A staff account. ``session_epoch`` is the generation of its sessions: a session holds
    the epoch it began in and ends once the epoch moves on (sign-out, a new password,
    deactivation)."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    password_hash = fields.CharField(max_length=200)
    roles = fields.JSONField(default=list)
    language = fields.CharField(max_length=10, default="en")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.CharField(max_length=100, default="")
    session_epoch = fields.IntField(default=0)

    class Meta:
        table = "staff_user"


class LoginFailure(Model):
    """One failed sign-in (or one still being checked): from which address, with which name.

    ``username`` is the name as typed; it is cleared once that name signs in at that address,
    so the failure still counts against the address but no longer against the name. Rows
    older than the login throttle's window count for nothing and are pruned.
    """

    id = fields.BigIntField(primary_key=True)
    address = fields.CharField(max_length=64)
    username = fields.CharField(max_length=64, null=True)
    failed_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "login_failure"
        indexes = (("address", "failed_at"), ("address", "username", "failed_at"))


class FormSubmission(Model):
    """A back-office form's one-use key, recorded with the change the form made (so the
    same form sent twice changes things once)."""

    form_key = fields.CharField(max_length=32, primary_key=True)
    sent_at = fields.DatetimeField()

    class Meta:
        table = "form_submission"


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=128, unique=True)
    created_by = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"


class PolicyRule(Model):
    """Policy settings for one scope: ``default``, or a channel, category or SKU."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharField(max_length=20)
    key = fields.CharField(max_length=100, default="")
    settings = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.CharField(max_length=100, default="")

    class Meta:
        table = "policy_rule"
        unique_together = (("scope", "key"),)


class ReasonCode(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    policy_class = fields.CharField(max_length=20)
    labels = fields.JSONField(default=dict)
    active = fields.BooleanField(default=True)
    position = fields.IntField(default=0)

    class Meta:
        table = "reason_code"


class RmaCounter(Model):
    """The last RMA number given out in a year."""

    year = fields.IntField(primary_key=True, generated=False)
    last_number = fields.IntField(default=0)

    class Meta:
        table = "rma_counter"


class ChatState(Model):
    """Where one customer's chat stands in a conversation: one row per chat."""

    chat_id = fields.BigIntField(primary_key=True, generated=False)
    customer = fields.ForeignKeyField(
        "models.Customer", db_index=True, related_name="chats", null=True
    )
    language = fields.CharField(max_length=10, default="")
    step = fields.CharField(max_length=40, default="")
    data = fields.JSONField(default=dict)
    last_update_id = fields.BigIntField(default=0)
    recent_update_ids = fields.JSONField(null=True)  # the last ones handled, newest last
    updated_at = fields.DatetimeField()
    customer_id: int | None

    class Meta:
        table = "chat_state"
