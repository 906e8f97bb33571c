"""Tortoise ORM models: storage only (SPEC §1). Migrations live in ``models.migrations``."""

from models.catalog import Customer, Order, OrderLine, Product, StockLevel, StockMovement
from models.desk import (
    ApiToken,
    ChatState,
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
    "ChatState",
    "Customer",
    "JournalEntry",
    "JournalLine",
    "Message",
    "Notification",
    "Order",
    "OrderLine",
    "Payment",
    "PolicyRule",
    "Product",
    "ReasonCode",
    "Refund",
    "ReturnEvent",
    "ReturnLine",
    "ReturnRequest",
    "RmaCounter",
    "StaffUser",
    "StockLevel",
    "StockMovement",
    "Survey",
]
