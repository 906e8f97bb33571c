"""Words of the back-office that live in code: refusals by code, statuses, actions, changes.

``N_`` only marks a text for extraction into the ``backoffice`` catalog; it is translated
when a page is rendered.
"""

from __future__ import annotations


def N_(text: str) -> str:
    return text


ERRORS = {
    "done": N_("Done."),
    "not_found": N_("That could not be found."),
    "return_not_found": N_("That request could not be found."),
    "permission_denied": N_("Your roles do not allow this action."),
    "invalid_transition": N_("This action is not possible in the request's current status."),
    "changed_meanwhile": N_("Someone changed this request meanwhile. Please look at it again."),
    "invalid_input": N_("Some of the input is not valid."),
    "text_required": N_("Please write a text."),
    "text_too_long": N_("The text is too long."),
    "invalid_quantity": N_("A quantity is not valid."),
    "nothing_received": N_("Count at least one received unit."),
    "grades_do_not_match_received": N_(
        "The grades of each line must add up to the units received."
    ),
    "return_line_not_found": N_("That line is not part of this request."),
    "refund_exceeds_refundable": N_("The refund is more than what is still owed to the customer."),
    "invalid_refund_method": N_("Choose a refund method."),
    "invalid_amount": N_("Write the amount in plain digits, like 12.50 (no exponent, no words)."),
    "amount_required": N_("Enter an amount."),
    "amount_not_positive": N_("The amount must be more than zero."),
    "amount_too_precise": N_("An amount has at most 2 decimals (whole cents)."),
    "amount_too_large": N_("The amount is too large: at most 999,999,999,999.99."),
    "payment_exceeds_due": N_("The payment is more than the customer owes."),
    "difference_unpaid": N_("The customer has not paid the price difference yet."),
    "not_refund_request": N_("This is an exchange, not a refund."),
    "not_exchange_request": N_("This is a refund, not an exchange."),
    "invalid_tracking_number": N_(
        "That is not a tracking number (4–40 letters, digits or dashes)."
    ),
    "insufficient_stock": N_("There is not enough stock for this."),
    "close_not_due": N_("It is too early to close this request automatically."),
    "unknown_assignee": N_("Choose an active staff member."),
}

STATUSES = {
    "submitted": N_("Submitted"),
    "needs_info": N_("Needs information"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "received": N_("Received"),
    "inspected": N_("Inspected"),
    "refunded": N_("Refunded"),
    "exchanged": N_("Exchanged"),
    "closed": N_("Closed"),
}

EVENTS = {
    "submit": N_("submitted"),
    "approve": N_("approved"),
    "reject": N_("rejected"),
    "ask": N_("asked the customer"),
    "reply": N_("the customer replied"),
    "cancel": N_("cancelled"),
    "add_tracking": N_("tracking number added"),
    "expire": N_("expired"),
    "receive": N_("received"),
    "inspect": N_("inspected"),
    "refund": N_("refunded"),
    "record_payment": N_("payment recorded"),
    "ship_replacement": N_("replacement shipped"),
    "close": N_("closed"),
    "assign": N_("assigned"),
    "unassign": N_("unassigned"),
}

# The stages with an SLA (services.escalations.STAGES), as the dashboard names them.
SLA_STAGES = {
    "review": N_("Review"),
    "inspection": N_("Inspection"),
    "refund": N_("Refund or replacement"),
}

# The work waiting for each role (services.work.WORK), as the dashboard and the queue name it.
WORK_ROLES = {
    "reviewer": N_("Reviewing"),
    "warehouse": N_("Warehouse"),
    "finance": N_("Finance"),
}
WORK_NAMES = {
    "review": N_("Submitted, to review"),
    "replies": N_("Customers' answers to questions"),
    "receive": N_("Approved, parcel awaited"),
    "inspect": N_("Received, to inspect"),
    "ship": N_("Exchanges to ship"),
    "refund": N_("Inspected, to refund"),
    "payment": N_("Exchange payments due"),
}

# Changes made outside a request, as the audit log names them.
CHANGES = {
    "scrap_stock": N_("defective units scrapped"),
    "create_staff": N_("staff account added"),
    "change_roles": N_("roles changed"),
    "deactivate_staff": N_("staff account deactivated"),
    "reactivate_staff": N_("staff account reactivated"),
    "reset_password": N_("password reset"),
    "save_policy_rule": N_("policy rule saved"),
    "delete_policy_rule": N_("policy rule removed"),
    "add_reason": N_("reason added"),
    "rename_reason": N_("reason renamed"),
    "retire_reason": N_("reason retired"),
    "restore_reason": N_("reason brought back"),
    "create_token": N_("API token made"),
    "revoke_token": N_("API token revoked"),
    "import_csv": N_("CSV file imported"),
}
