"""Refusals shown on the page that was submitted: their words, and the field they concern.

The words are msgids of the ``backoffice`` catalog (marked with ``N_``); a refusal's
parameters (a field name, a value, a CSV line) are shown beside its words, untranslated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from backoffice.messages import ERRORS, N_
from domain.errors import DomainError, NotFound

REFUSALS: dict[str, str] = {
    **ERRORS,
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
    "policy_hours": N_("Enter a whole number of hours from 1 to 720."),
    "policy_photos": N_("Enter a whole number of photos from 0 to 10."),
    "policy_day_list": N_(
        "Enter whole numbers of days from 0 to 365, separated by commas (like 3, 10)."
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
    "unknown_reason": N_("There is no such reason code."),
    "last_reason_code": N_("At least one reason must stay available to customers."),
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
    # imports
    "import_rejected": N_("Nothing was imported: the file has bad rows."),
    "no_file": N_("Choose a CSV file."),
    "file_not_utf8": N_("The file is not UTF-8 text."),
    "unknown_import_kind": N_("Choose what the file holds: products, customers or orders."),
    "bad_header": N_("The header row is not the expected one."),
    "missing_value": N_("A required value is missing."),
    "negative_value": N_("The value must not be negative."),
    "invalid_integer": N_("The value is not a whole number."),
    "invalid_boolean": N_("The value is not true or false."),
    "invalid_date": N_("The value is not an ISO 8601 date and time."),
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
}


@dataclass(frozen=True)
class Refusal:
    """Why a form was refused: the words' msgid, the field concerned, the other details."""

    code: str
    message: str
    field: str
    params: Mapping[str, str]


def refusal_of(code: str, params: Mapping[str, Any] | None = None) -> Refusal:
    params = {k: str(v) for k, v in (params or {}).items()}
    name = params.pop("field", "")
    return Refusal(code, REFUSALS.get(code, ERRORS["invalid_input"]), name, params)


async def attempt(work: Awaitable[object]) -> Refusal | None:
    """Await a service call: None if it went through, its refusal if refused.

    Something that does not exist (or is not the actor's to see) is a 404 page.
    """
    try:
        await work
    except NotFound:
        raise web.HTTPNotFound() from None
    except DomainError as error:
        return refusal_of(error.code, error.params)
    return None
