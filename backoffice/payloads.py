"""JSON bodies of the API in and out: items to import rows, service values to JSON.

Incoming items are checked against the same constraints the OpenAPI document declares
(types, lengths, patterns, unknown fields); what the schema cannot say (a phone number that
does not parse, an order for an unknown SKU) the import services decide. Either way a bad
item is reported by its index in the array, and nothing lands.

Outgoing money is a string with two decimals and times are ISO 8601 in UTC: never floats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.money import round_money
from services.api import (
    DecisionSummary,
    EventRecord,
    LineRecord,
    PaymentRecord,
    RefundRecord,
    ReturnRecord,
)
from services.imports import RowError, control_character_in
from services.queue import QueuePage, QueueRow

__all__ = [
    "MAX_ITEMS",
    "MAX_LINES",
    "ItemErrors",
    "customer_rows",
    "decode_cursor",
    "encode_cursor",
    "moment",
    "money",
    "order_rows",
    "product_rows",
    "queue_page_json",
    "return_json",
    "row_errors_json",
]

MAX_ITEMS = 1000
MAX_LINES = 200
MAX_COUNT = 999_999_999
MONEY = re.compile(r"\d{1,12}(\.\d{1,2})?")
# RFC 3339 date-time: the JSON API wants the offset; the CSV import may leave it out.
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")
CURSOR = re.compile(r"(\d{1,16})_(\d{1,9})")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LANGUAGES = ("en", "zh_Hans", "ru")
Row = dict[str, str]


@dataclass(frozen=True)
class Field:
    """One field of an item: how to check its JSON value and turn it into import text."""

    kind: str
    required: bool = True
    limit: int = 200
    minimum: int = 0


PRODUCT: dict[str, Field] = {
    "sku": Field("text", limit=64),
    "name": Field("text"),
    "category": Field("text", limit=100),
    "price": Field("money"),
    "cost": Field("money"),
    "stock": Field("count"),
    "low_stock_threshold": Field("count"),
    "returnable": Field("flag"),
}
CUSTOMER: dict[str, Field] = {
    "external_id": Field("nullable_text", required=False, limit=64),
    "name": Field("text"),
    "phone": Field("text", limit=30),
    "email": Field("any_text", required=False),
    "language": Field("language", required=False),
}
ORDER: dict[str, Field] = {
    "order_number": Field("text", limit=64),
    "customer_phone": Field("text", limit=30),
    "channel": Field("text", limit=32),
    "ordered_at": Field("date_time"),
    "delivered_at": Field("nullable_date_time", required=False),
    "payment_method": Field("any_text", required=False, limit=32),
    "lines": Field("lines"),
}
ORDER_LINE: dict[str, Field] = {
    "sku": Field("text", limit=64),
    "quantity": Field("count", minimum=1),
    "unit_price": Field("money"),
}


class ItemErrors(Exception):
    """Items that break the declared shape: each as a RowError whose line is its index."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} bad items")
        self.errors = list(errors)


def _is_text(value: object) -> bool:
    """A string a database can store: no lone surrogates from a JSON escape."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text_value(name: str, value: object, spec: Field) -> str:
    if not _is_text(value):
        raise _Bad("invalid_type", field=name, expected="string")
    text = str(value)
    character = control_character_in(text)
    if character:
        raise _Bad("control_character", field=name, character=character)
    if spec.kind == "text" and not text:
        raise _Bad("missing_value", field=name)
    if len(text) > spec.limit:
        raise _Bad("text_too_long", field=name, max=str(spec.limit))
    return text


def _money_value(name: str, value: object, _spec: Field) -> str:
    if not isinstance(value, str) or not MONEY.fullmatch(value):
        raise _Bad("invalid_amount", field=name, expected="decimal string like 12.50")
    return value


def _count_value(name: str, value: object, spec: Field) -> str:
    # bool is an int in Python, never in JSON.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad("invalid_integer", field=name, max=str(MAX_COUNT))
    if not spec.minimum <= value <= MAX_COUNT:
        raise _Bad("invalid_integer", field=name, min=str(spec.minimum), max=str(MAX_COUNT))
    return str(value)


def _flag_value(name: str, value: object, _spec: Field) -> str:
    if not isinstance(value, bool):
        raise _Bad("invalid_boolean", field=name)
    return "true" if value else "false"


def _language_value(name: str, value: object, _spec: Field) -> str:
    if value not in LANGUAGES:
        raise _Bad("invalid_language", field=name, allowed=",".join(LANGUAGES))
    return str(value)


def _date_time_value(name: str, value: object, _spec: Field) -> str:
    if not isinstance(value, str) or not DATE_TIME.fullmatch(value):
        raise _Bad("invalid_date", field=name, expected="RFC 3339 date-time with offset")
    return value


CHECKS: dict[str, Callable[[str, object, Field], str]] = {
    "text": _text_value,
    "any_text": _text_value,
    "nullable_text": _text_value,
    "money": _money_value,
    "count": _count_value,
    "flag": _flag_value,
    "language": _language_value,
    "date_time": _date_time_value,
    "nullable_date_time": _date_time_value,
}


def _value(name: str, value: object, spec: Field) -> str:
    if spec.kind.startswith("nullable_") and value is None:
        return ""
    return CHECKS[spec.kind](name, value, spec)


class _Bad(Exception):
    def __init__(self, reason: str, **params: str) -> None:
        super().__init__(reason)
        self.reason, self.params = reason, params


def _fields(item: Mapping[str, Any], spec: Mapping[str, Field]) -> Row:
    unknown = sorted(set(item) - set(spec))
    if unknown:
        raise _Bad("unknown_field", field=unknown[0])
    row: Row = {}
    for name, field in spec.items():
        if name not in item:
            if field.required:
                raise _Bad("missing_value", field=name)
            continue
        if field.kind != "lines":
            row[name] = _value(name, item[name], field)
    return row


def _items(
    body: Sequence[Any], parse: Callable[[int, Any], list[Row]]
) -> tuple[list[tuple[int, Row]], list[RowError]]:
    """Parse every item: the (index, row) pairs of the good ones, the shape error of each
    bad one."""
    rows: list[tuple[int, Row]] = []
    errors: list[RowError] = []
    for index, item in enumerate(body):
        try:
            rows.extend((index, row) for row in parse(index, item))
        except _Bad as bad:
            errors.append(RowError(index, bad.reason, bad.params))
    return rows, errors


def _good_items(rows: list[tuple[int, Row]], errors: list[RowError]) -> list[tuple[int, Row]]:
    """The rows, unless some items are bad: then all of those at once, by index."""
    if errors:
        raise ItemErrors(sorted(errors, key=lambda error: error.line))
    return rows


def _flat(spec: Mapping[str, Field]) -> Callable[[int, Any], list[Row]]:
    def parse(_index: int, item: Any) -> list[Row]:
        return [_fields(item, spec)]

    return parse


def product_rows(body: Sequence[Any]) -> list[tuple[int, Row]]:
    """Import rows for ``upsert_products``, one per item."""
    return _good_items(*_items(body, _flat(PRODUCT)))


def customer_rows(body: Sequence[Any]) -> list[tuple[int, Row]]:
    """Import rows for ``upsert_customers``, one per item."""
    return _good_items(*_items(body, _flat(CUSTOMER)))


def _order(_index: int, item: Any) -> list[Row]:
    header = _fields(item, ORDER)
    lines = item["lines"]
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise _Bad("invalid_lines", field="lines", expected=f"1 to {MAX_LINES} lines")
    rows = []
    for number, line in enumerate(lines):
        if not isinstance(line, dict):
            raise _Bad("invalid_type", field=f"lines[{number}]", expected="object")
        try:
            rows.append({**header, **_fields(line, ORDER_LINE)})
        except _Bad as bad:
            raise _Bad(bad.reason, **bad.params, line=str(number)) from None
    return rows


def order_rows(body: Sequence[Any]) -> list[tuple[int, Row]]:
    """Import rows for ``upsert_orders``: one row per order line, numbered by the order's index.

    An order number may appear once per call; the import would otherwise merge two items'
    lines into one order.
    """
    rows, errors = _items(body, _order)
    return _good_items(rows, errors + _repeated_order_numbers(rows))


def _repeated_order_numbers(rows: list[tuple[int, Row]]) -> list[RowError]:
    """One RowError for each item whose order number an earlier item has."""
    first: dict[str, int] = {}
    errors = {}
    for index, row in rows:
        seen = first.setdefault(row["order_number"], index)
        if seen != index:
            errors[index] = RowError(index, "duplicate_order_number", {"first_index": str(seen)})
    return list(errors.values())


def row_errors_json(errors: Sequence[RowError]) -> list[dict[str, Any]]:
    """Bad rows as the API names them: the item's index, a stable reason, its parameters."""
    return [
        {"index": e.line, "reason": e.reason, "params": {k: str(v) for k, v in e.params.items()}}
        for e in errors
    ]


# Out ------------------------------------------------------------------------------------


def money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(round_money(amount))


def moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def encode_cursor(row: QueueRow) -> str:
    """An opaque cursor after ``row``: microseconds since the epoch and the id."""
    aware = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return f"{(aware - EPOCH) // timedelta(microseconds=1)}_{row.id}"


def decode_cursor(cursor: str) -> str | None:
    """The queue's own cursor for an API cursor, or None if it is not one of ours."""
    match = CURSOR.fullmatch(cursor)
    if match is None:
        return None
    stamp = EPOCH + timedelta(microseconds=int(match[1]))
    return f"{stamp.isoformat()}_{int(match[2])}"


def clamp_dates(since: date | None, until: date | None) -> tuple[date | None, date | None]:
    """Bounds far outside any shop's life filter nothing (and cannot overflow a datetime)."""
    early, late = date(1900, 1, 1), date(2999, 12, 31)
    return (since if since and since > early else None, until if until and until < late else None)


def queue_page_json(page: QueuePage) -> dict[str, Any]:
    return {
        "items": [
            {
                "number": row.number,
                "status": str(row.status),
                "type": row.type,
                "reason_code": row.reason_code,
                "customer_name": row.customer_name,
                "order_number": row.order_number,
                "channel": row.channel,
                "created_at": moment(row.created_at),
                "status_changed_at": moment(row.status_changed_at),
            }
            for row in page.rows
        ],
        "next_cursor": encode_cursor(page.rows[-1]) if page.next_cursor and page.rows else None,
    }


def return_json(record: ReturnRecord) -> dict[str, Any]:
    """A request as the API's ``Return`` schema gives it."""
    return {
        "number": record.number,
        "status": str(record.status),
        "type": str(record.type),
        "reason_code": record.reason_code,
        "description": record.description,
        "customer": {"name": record.customer_name, "phone": record.customer_phone},
        "order": {"number": record.order_number, "channel": record.channel},
        "tracking_number": record.tracking_number,
        "replacement_tracking_number": record.replacement_tracking_number,
        "created_at": moment(record.created_at),
        "status_changed_at": moment(record.status_changed_at),
        "deadline_at": moment(record.deadline_at),
        "decision": _decision_json(record.decision),
        "lines": [_line_json(line) for line in record.lines],
        "events": [_event_json(event) for event in record.events],
        "refunds": [_refund_json(refund) for refund in record.refunds],
        "payments": [_payment_json(payment) for payment in record.payments],
    }


def _decision_json(decision: DecisionSummary) -> dict[str, Any]:
    return {
        "eligible": decision.eligible,
        "auto_approved": decision.auto_approved,
        "reason_class": decision.reason_class,
        "shipping_paid_by": decision.shipping_paid_by,
        "photo_required": decision.photo_required,
        "ship_back_days": decision.ship_back_days,
        "refusals": [
            {"code": code, "params": {k: str(v) for k, v in params.items()}}
            for code, params in decision.refusals
        ],
        "evaluated_at": moment(decision.evaluated_at),
    }


def _line_json(line: LineRecord) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": money(line.unit_price),
        "restocking_fee_percent": money(line.restocking_fee_percent),
        "replacement_sku": line.replacement_sku,
        "replacement_unit_price": money(line.replacement_unit_price),
        "received": line.received,
        "resellable": line.resellable,
        "defective": line.defective,
        "refused": line.refused,
    }


def _event_json(event: EventRecord) -> dict[str, Any]:
    return {
        "action": event.action,
        "from_status": str(event.from_status) if event.from_status else None,
        "to_status": str(event.to_status),
        "actor": event.actor,
        "note": event.note,
        "created_at": moment(event.created_at),
    }


def _refund_json(refund: RefundRecord) -> dict[str, Any]:
    return {
        "amount": money(refund.amount),
        "method": str(refund.method),
        "reference": refund.reference,
        "created_at": moment(refund.created_at),
    }


def _payment_json(payment: PaymentRecord) -> dict[str, Any]:
    return {
        "amount": money(payment.amount),
        "reference": payment.reference,
        "created_at": moment(payment.created_at),
    }
