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
    # closing and expiring requests
    "deadline_not_passed": N_("The ship-back deadline has not passed yet."),
    "parcel_on_its_way": N_("The customer has sent the parcel: it is on its way."),
    "refund_outstanding": N_("Money is still owed to the customer: refund it before closing."),
    # requests as customers open them (the chat and the API)
    "policy_violation": N_("The return policy does not allow this request."),
    "invalid_lines": N_("Choose at least one item of the order, each at most once."),
    "replacement_mismatch": N_("A replacement is chosen for an exchange only, one per item."),
    "quantity_exceeds_available": N_("More units than the order has left to return."),
    "order_not_found": N_("That order could not be found."),
    "order_line_not_found": N_("That item is not part of the order."),
    "replacement_not_found": N_("That replacement product could not be found."),
    "too_many_photos": N_("Too many photos."),
    "invalid_score": N_("A survey score is a whole number from 1 to 5."),
    "survey_already_answered": N_("The survey has been answered already."),
    # things that do not exist (any more)
    "customer_not_found": N_("That customer could not be found."),
    "product_not_found": N_("That product could not be found."),
    "staff_not_found": N_("That staff account could not be found."),
    "token_not_found": N_("That API token could not be found."),
    "unknown_report": N_("There is no such report."),
    # API tokens
    "invalid_token_name": N_("Give the token a name of at most 100 characters."),
    # dates of filter and report forms
    "invalid_day": N_("Enter a day as YYYY-MM-DD, for example 2026-11-05."),
    "period_reversed": N_(
        "The period ends before it starts: choose a last day on or after the first."
    ),
    "invalid_month": N_("Enter a month as YYYY-MM, for example 2026-11."),
    "invalid_period": N_(
        "The period ends before it starts: choose a last month on or after the first."
    ),
    "period_too_long": N_("The period is too long: at most 60 months."),
    # policies and reasons
    "policy_bool": N_("Choose true or false."),
    "policy_days": N_("Enter a whole number of days from 0 to 365."),
    "policy_period_days": N_("Enter a whole number of days from 1 to 365."),
    "policy_hours": N_("Enter a whole number of hours from 1 to 720."),
    "policy_photos": N_("Enter a whole number of photos from 0 to 10."),
    "policy_photos_needed": N_(
        "Quality claims need a photo: allow at least 1 photo, or stop requiring one."
    ),
    "policy_day_list": N_(
        "Enter whole numbers of days from 1 to 365, separated by commas (like 3, 10)."
    ),
    "policy_reminder_after_deadline": N_(
        "Every ship-back reminder must come before the ship-back deadline: enter reminder"
        " days smaller than the ship-back days."
    ),
    "policy_amount": N_(
        "Enter an amount of 0 or more with at most 2 decimals (like 300 or 299.99)."
    ),
    "policy_percent": N_(
        "Enter a percentage from 0 to 100 with at most 2 decimals (like 5 or 7.5)."
    ),
    "policy_rate": N_("Enter a share from 0 to 1 with at most 2 decimals (like 0.30)."),
    "policy_reason_list": N_(
        "Enter reason codes of this shop, separated by commas (the allowed codes are listed)."
    ),
    "policy_timezone": N_("Enter a time zone name such as Asia/Shanghai or Europe/Moscow."),
    "policy_rule_empty": N_(
        "Every setting is blank, so nothing was saved: fill in at least one setting."
    ),
    "unknown_policy_field": N_("There is no such policy setting."),
    "invalid_policy_scope": N_("Choose a scope; every scope but the default needs a key."),
    "policy_rule_not_found": N_("There is no such policy rule."),
    "invalid_reason_code": N_("A reason code is 2–40 small letters, digits or underscores."),
    "invalid_reason_class": N_("Choose the reason's policy class."),
    "reason_code_taken": N_("That reason code exists already."),
    "reason_label_required": N_("Give the reason a name in at least one language."),
    "unknown_reason": N_("There is no such reason code."),
    "last_reason_code": N_("At least one reason must stay available to customers."),
    "invalid_form_key": N_("This form is damaged: reload the page and try again."),
    # inventory
    "scrap_exceeds_defective": N_("There are not that many defective units to scrap."),
    # staff
    "invalid_username": N_("A user name is 3–32 small letters, digits, dots or dashes."),
    "password_too_short": N_("The password is too short."),
    "username_taken": N_("That user name is taken."),
    "invalid_roles": N_("Choose at least one role."),
    "invalid_language": N_("Choose a language."),
    "cannot_deactivate_self": N_("You cannot deactivate your own account."),
    "last_admin": N_("This is the last active admin; make someone else admin first."),
    # customers
    "customer_has_open_returns": N_("This customer still has open requests."),
    "customer_retention_not_over": N_(
        "A request of this customer ended within the retention period."
    ),
    "customer_already_anonymized": N_("This customer is anonymized already."),
    "customer_anonymized": N_("This customer is anonymized: no new request can be opened."),
    # imports
    "import_rejected": N_("Nothing was imported: the file has bad rows."),
    "no_file": N_("Choose a CSV file."),
    "file_not_utf8": N_("The file is not UTF-8 text."),
    "unknown_import_kind": N_("Choose what the file holds: products, customers or orders."),
    "bad_header": N_("The header row is not the expected one."),
    "control_character": N_(
        "The value holds a control character (such as a line break or a tab): write it on one"
        " line, as plain text."
    ),
    "wrong_column_count": N_(
        "The row does not have one field per column of the header row: a comma too many or too few?"
    ),
    "missing_value": N_("A required value is missing."),
    "negative_value": N_("The value must not be negative."),
    "invalid_integer": N_("The value is not a whole number."),
    "value_too_small": N_("The value is smaller than allowed."),
    "invalid_boolean": N_("The value is not true or false."),
    "invalid_date": N_("The value is not an ISO 8601 date and time."),
    "date_out_of_range": N_(
        "The date is too far in the past or the future: it must fall between 1000-01-02 and"
        " 9998-01-01 (UTC)."
    ),
    "invalid_email": N_("The value is not an e-mail address."),
    "invalid_phone": N_("The value is not a phone number in international form."),
    "duplicate_sku": N_("The SKU appears twice in the file."),
    "duplicate_phone": N_("The phone number appears twice in the file."),
    "duplicate_external_id": N_("The external id appears twice in the file."),
    "phone_taken": N_("Another customer has this phone number."),
    "unknown_customer": N_("No customer has this phone number."),
    "unknown_sku": N_("No product has this SKU."),
    "delivered_before_ordered": N_("The order is delivered before it was ordered."),
    "order_rows_disagree": N_("The rows of this order disagree about its customer or dates."),
    "order_has_returns": N_("This order's lines cannot change: a request refers to them."),
    "order_has_returns_owner": N_(
        "This order's customer and channel cannot change: a request refers to it."
    ),
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
