"""Tortoise ORM models: storage only (SPEC §1). Migrations live in ``models.migrations``."""

from models import sqlite_times  # noqa: F401  (times go into SQLite as UTC text)
from models.analytics import (
    CustomerRollup,
    LedgerRollup,
    ReportSnapshot,
    ReturnRollup,
    StageRollup,
    StatusRollup,
    SurveyRollup,
)
from models.audit import AuditEntry
from models.catalog import Customer, Order, OrderLine, Product, StockLevel, StockMovement
from models.desk import (
    ApiToken,
    ChatState,
    FormSubmission,
    LoginFailure,
    PolicyRule,
    ReasonCode,
    RmaCounter,
    StaffUser,
)
from models.ledger import JournalEntry, JournalLine, Payment, Refund
from models.outbox import Notification
from models.returns import (
    Attachment,
    Message,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    Survey,
)

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "ChatState",
    "Customer",
    "CustomerRollup",
    "FormSubmission",
    "JournalEntry",
    "JournalLine",
    "LedgerRollup",
    "LoginFailure",
    "Message",
    "Notification",
    "Order",
    "OrderLine",
    "Payment",
    "PolicyRule",
    "Product",
    "ReasonCode",
    "Refund",
    "ReportSnapshot",
    "ReturnEvent",
    "ReturnLine",
    "ReturnRequest",
    "ReturnRollup",
    "RmaCounter",
    "StaffUser",
    "StageRollup",
    "StatusRollup",
    "StockLevel",
    "StockMovement",
    "Survey",
    "SurveyRollup",
]
