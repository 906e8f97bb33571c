"""The words staff read for the codes the shop stores: one mapping of code → msgid per kind.

Pages translate a name with ``words.called(KIND, code)``; a code without a name (one the admin
added, or a new one) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from backoffice.messages import N_, STATUSES

# The built-in reasons (domain.policy.DEFAULT_REASONS), named when the admin typed no label.
REASONS = {
    "quality_defect": N_("Quality defect"),
    "not_as_described": N_("Not as described"),
    "wrong_item": N_("Wrong item sent"),
    "damaged_in_transit": N_("Damaged in transit"),
    "size_fit": N_("Size or fit"),
    "changed_mind": N_("Changed their mind"),
    "other": N_("Other reason"),
}

REASON_CLASSES = {
    "quality": N_("Quality problem"),
    "no_reason": N_("No reason needed"),
}

REQUEST_TYPES = {
    "refund": N_("Refund"),
    "exchange": N_("Exchange"),
}

REFUND_METHODS = {
    "original": N_("Original payment method"),
    "store_credit": N_("Store credit"),
    "cash": N_("Cash"),
    "bank_transfer": N_("Bank transfer"),
}

# A refund of an exchange, with no reference typed: the cheaper replacement's difference.
EXCHANGE_DIFFERENCE = N_("Exchange difference")

ACCOUNTS = {
    "cash": N_("Cash"),
    "inventory": N_("Inventory"),
    "refunds_payable": N_("Refunds payable"),
    "store_credit": N_("Store credit"),
    "customer_prepayments": N_("Customer prepayments"),
    "sales": N_("Sales"),
    "sales_returns": N_("Sales returns"),
    "restocking_fees": N_("Restocking fees"),
    "cost_of_goods_sold": N_("Cost of goods sold"),
    "inventory_write_offs": N_("Inventory write-offs"),
}

LOCATIONS = {
    "sellable": N_("Sellable"),
    "reserved": N_("Reserved"),
    "quarantine": N_("Quarantine"),
    "defective": N_("Defective"),
}

MOVEMENTS = {
    "stock_in": N_("Stock in"),
    "stock_out": N_("Stock out"),
    "reserve": N_("Reserved for an exchange"),
    "release": N_("Reservation released"),
    "receive": N_("Received from a customer"),
    "restock": N_("Back on sale"),
    "write_off": N_("Written off"),
    "send_back": N_("Sent back to the customer"),
    "ship_replacement": N_("Replacement shipped"),
    "scrap": N_("Scrapped"),
}

ROLES = {
    "reviewer": N_("Reviewer"),
    "warehouse": N_("Warehouse"),
    "finance": N_("Finance"),
    "admin": N_("Administrator"),
}

# Each language by its own name, the same in every language: not translated.
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文", "ru": "Русский"}

SCOPES = {
    "default": N_("Default"),
    "channel": N_("Channel"),
    "category": N_("Category"),
    "sku": N_("SKU"),
}

# Every field of domain.policy.Policy, with its unit.
POLICY_FIELDS = {
    "returnable": N_("Returnable"),
    "no_reason_days": N_("No-reason window (days)"),
    "quality_days": N_("Quality-problem window (days)"),
    "restocking_fee_percent": N_("Restocking fee (%)"),
    "quality_photo_required": N_("Photo required for a quality problem"),
    "max_photos": N_("Most photos per request"),
    "ship_back_days": N_("Time to ship the parcel back (days)"),
    "reminder_days": N_("Reminders to ship back (days after approval)"),
    "auto_approve": N_("Approve automatically"),
    "auto_approve_max_value": N_("Approve automatically up to a value (money)"),
    "auto_approve_max_return_rate": N_("Approve automatically up to a customer return rate (0–1)"),
    "auto_approve_reasons": N_("Reasons approved automatically (codes)"),
    "auto_approve_photo_required": N_("Automatic approval needs a photo"),
    "survey_delay_days": N_("Survey sent after (days)"),
    "auto_close_days": N_("Closed automatically after (days)"),
    "sla_review_hours": N_("Review SLA (hours)"),
    "sla_inspection_hours": N_("Inspection SLA (hours)"),
    "sla_refund_hours": N_("Refund or replacement SLA (hours)"),
    "timezone": N_("Time zone"),
}

# The inputs of the back-office's forms that a refusal may name: the policy settings and the rest.
FORM_FIELDS = {
    **POLICY_FIELDS,
    "code": N_("Code"),
    "policy_class": N_("Policy class"),
    "language": N_("Language"),
    "label_en": N_("Name in English"),
    "label_zh_Hans": N_("Name in Chinese"),
    "label_ru": N_("Name in Russian"),
    "username": N_("User name"),
    "password": N_("Password"),
    "quantity": N_("Quantity"),
    "since": N_("From"),
    "until": N_("To"),
    "from": N_("From"),
    "to": N_("To"),
}

# The details of a refusal shown beside its words; the others (ids, scopes) are not shown.
REFUSAL_DETAILS = {
    "value": N_("Entered"),
    "allowed": N_("Allowed"),
    "minimum": N_("At least"),
    "max": N_("At most"),
    "maximum": N_("At most"),
    "held": N_("Defective units held"),
    "expected": N_("Columns expected"),
    "found": N_("Columns found"),
}

# What a CSV import holds (services.imports.FIELDS).
IMPORT_KINDS = {
    "products": N_("Products"),
    "customers": N_("Customers"),
    "orders": N_("Orders"),
}

# The columns of the CSV and XLSX exports (services.exports), and those holding codes.
EXPORT_COLUMNS = {
    "rma": N_("RMA"),
    "status": N_("Status"),
    "type": N_("Type"),
    "reason": N_("Reason"),
    "customer": N_("Customer"),
    "order": N_("Order"),
    "channel": N_("Channel"),
    "opened_at": N_("Opened"),
    "status_changed_at": N_("Status changed"),
    "assignee": N_("Assignee"),
    "sku": N_("SKU"),
    "name": N_("Name"),
    "category": N_("Category"),
    "sellable": N_("Sellable"),
    "reserved": N_("Reserved"),
    "quarantine": N_("Quarantine"),
    "defective": N_("Defective"),
    "low_stock_threshold": N_("Threshold"),
    "refunded_at": N_("Refunded"),
    "amount": N_("Amount"),
    "method": N_("Method"),
    "reference": N_("Reference"),
    "refunded_by": N_("Refunded by"),
}
CODED_COLUMNS = {"status": STATUSES, "type": REQUEST_TYPES, "method": REFUND_METHODS}

# Who did something, when not a staff member (whose user name is shown) or a customer.
SYSTEM_ACTORS = {
    "system": N_("System"),
    "auto_close": N_("System (automatic closing)"),
    "auto_approval": N_("System (automatic approval)"),
    "expiry": N_("System (expiry)"),
    "demo": N_("System (demo data)"),
    "cli": N_("Command line (returndesk)"),
}
CUSTOMER = N_("Customer")


def actor_name(actor: str, gettext: Callable[[str], str], customer: str = "") -> str:
    """``staff:rita`` → rita, ``customer:12`` → the customer's name (else "Customer"),
    anything else → the system, by what it did if known."""
    kind, _, who = actor.partition(":")
    if kind == "staff" and who:
        return who
    if kind == "customer":
        return customer or gettext(CUSTOMER)
    return gettext(SYSTEM_ACTORS.get(actor, SYSTEM_ACTORS["system"]))
