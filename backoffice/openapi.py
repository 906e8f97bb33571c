"""The OpenAPI 3.1 document of the JSON API ``/api/v1``, written by hand.

It is the contract the tests hold the server to: schemathesis generates requests from it and
checks every response against it (tests/api/test_schema.py). Change both together.
"""

from __future__ import annotations

from typing import Any

from backoffice.payloads import MAX_COUNT, MAX_ITEMS, MAX_LINES
from domain.ledger import RefundMethod
from domain.returns import ReturnType, Status
from services.imports import CONTROL_CHARACTERS, EARLIEST, LATEST, PRODUCT_FIELDS

__all__ = ["MAX_BODY_BYTES", "openapi_document"]

MAX_BODY_BYTES = 1024 * 1024


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# One line of plain text: a control character (C0, DEL, C1) is refused as control_character.
ONE_LINE = f"^[^{CONTROL_CHARACTERS}]*$"


def _text(max_length: int, *, min_length: int = 1) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": min_length,
        "maxLength": max_length,
        "pattern": ONE_LINE,
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


MONEY_IN = {
    "type": "string",
    "pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$",
    "description": "A non-negative amount as a decimal string (never a JSON number).",
    "examples": ["129.90"],
}
MONEY_OUT = {
    "type": "string",
    "pattern": r"^-?[0-9]+\.[0-9]{2}$",
    "description": "An amount with exactly two decimals, as a string.",
    "examples": ["129.90"],
}
COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
DATE_TIME = {"type": "string", "format": "date-time"}
DATE_RANGE = f"From {EARLIEST.isoformat()} to {LATEST.isoformat()}; outside, date_out_of_range."
TEXT_OUT = {"type": "string"}

SCHEMAS: dict[str, Any] = {
    "Product": {
        "type": "object",
        "description": "A product, matched by SKU; its sellable stock is set to `stock`.",
        "additionalProperties": False,
        "required": list(PRODUCT_FIELDS),  # the CSV import's columns, every one required
        "properties": {
            "sku": _text(64),
            "name": _text(200),
            "category": _text(100),
            "price": MONEY_IN,
            "cost": MONEY_IN,
            "stock": COUNT,
            "low_stock_threshold": COUNT,
            "returnable": {"type": "boolean"},
        },
    },
    "Customer": {
        "type": "object",
        "description": "A customer, matched by `external_id` when given, else by phone.",
        "additionalProperties": False,
        "required": ["name", "phone"],
        "properties": {
            "external_id": {"type": ["string", "null"], "maxLength": 64, "pattern": ONE_LINE},
            "name": _text(200),
            "phone": {
                **_text(30),
                "description": "E.164, or as people type it (spaces, dashes, 00 prefix).",
                "examples": ["+8613800000001"],
            },
            "email": _text(200, min_length=0),
            "language": {"type": "string", "enum": ["en", "zh_Hans", "ru"], "default": "en"},
        },
    },
    "OrderLine": {
        "type": "object",
        "additionalProperties": False,
        "required": ["sku", "quantity", "unit_price"],
        "properties": {
            "sku": _text(64),
            "quantity": {**COUNT, "minimum": 1},
            "unit_price": MONEY_IN,
        },
    },
    "Order": {
        "type": "object",
        "description": (
            "An order, matched by `order_number`. Its lines are replaced unless a return "
            "already refers to them."
        ),
        "additionalProperties": False,
        "required": ["order_number", "customer_phone", "channel", "ordered_at", "lines"],
        "properties": {
            "order_number": _text(64),
            "customer_phone": _text(30),
            "channel": _text(32),
            "ordered_at": {**DATE_TIME, "description": f"RFC 3339, with an offset. {DATE_RANGE}"},
            "delivered_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": DATE_RANGE,
            },
            "payment_method": _text(32, min_length=0),
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_LINES,
                "items": _ref("OrderLine"),
            },
        },
    },
    "UpsertResult": {
        "type": "object",
        "additionalProperties": False,
        "required": ["created", "updated", "unchanged"],
        "properties": {
            "created": {"type": "integer", "minimum": 0},
            "updated": {"type": "integer", "minimum": 0},
            "unchanged": {"type": "integer", "minimum": 0},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "A stable code."},
            "message": {"type": "string", "description": "Words for a developer."},
        },
    },
    "RowError": {
        "type": "object",
        "additionalProperties": False,
        "required": ["index", "reason", "params"],
        "properties": {
            "index": {"type": "integer", "minimum": 0, "description": "The item's index."},
            "reason": {
                "type": "string",
                "description": "A stable code: missing_value, invalid_phone, unknown_sku, …",
            },
            "params": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "InvalidRows": {
        "type": "object",
        "description": "Some items are bad; none of the request's items were written.",
        "additionalProperties": False,
        "required": ["error", "message", "rows"],
        "properties": {
            "error": {"const": "invalid_rows"},
            "message": {"type": "string"},
            "rows": {"type": "array", "minItems": 1, "items": _ref("RowError")},
        },
    },
    "Status": {"type": "string", "enum": [str(s) for s in Status]},
    "ReturnSummary": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "number",
            "status",
            "type",
            "reason_code",
            "customer_name",
            "order_number",
            "channel",
            "created_at",
            "status_changed_at",
        ],
        "properties": {
            "number": {"type": "string", "examples": ["RMA-2026-000001"]},
            "status": _ref("Status"),
            "type": {"type": "string", "enum": [str(t) for t in ReturnType]},
            "reason_code": TEXT_OUT,
            "customer_name": TEXT_OUT,
            "order_number": TEXT_OUT,
            "channel": TEXT_OUT,
            "created_at": DATE_TIME,
            "status_changed_at": DATE_TIME,
        },
    },
    "ReturnPage": {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": _ref("ReturnSummary")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as `after` for the next page; null on the last page.",
            },
        },
    },
    "ReturnLine": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "sku",
            "name",
            "quantity",
            "unit_price",
            "restocking_fee_percent",
            "replacement_sku",
            "replacement_unit_price",
            "received",
            "resellable",
            "defective",
            "refused",
        ],
        "properties": {
            "sku": TEXT_OUT,
            "name": TEXT_OUT,
            "quantity": {"type": "integer", "minimum": 1},
            "unit_price": MONEY_OUT,
            "restocking_fee_percent": MONEY_OUT,
            "replacement_sku": {"type": ["string", "null"]},
            "replacement_unit_price": {**MONEY_OUT, "type": ["string", "null"]},
            "received": {"type": "integer", "minimum": 0},
            "resellable": {"type": "integer", "minimum": 0},
            "defective": {"type": "integer", "minimum": 0},
            "refused": {"type": "integer", "minimum": 0},
        },
    },
    "Decision": {
        "type": "object",
        "description": "The return policy's verdict when the request was submitted.",
        "additionalProperties": False,
        "required": [
            "eligible",
            "auto_approved",
            "reason_class",
            "shipping_paid_by",
            "photo_required",
            "ship_back_days",
            "refusals",
            "evaluated_at",
        ],
        "properties": {
            "eligible": {"type": "boolean"},
            "auto_approved": {"type": "boolean"},
            "reason_class": TEXT_OUT,
            "shipping_paid_by": TEXT_OUT,
            "photo_required": {"type": "boolean"},
            "ship_back_days": {"type": "integer"},
            "refusals": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["code", "params"],
                    "properties": {
                        "code": TEXT_OUT,
                        "params": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            },
            "evaluated_at": DATE_TIME,
        },
    },
    "ReturnEvent": {
        "type": "object",
        "additionalProperties": False,
        "required": ["action", "from_status", "to_status", "actor", "note", "created_at"],
        "properties": {
            "action": TEXT_OUT,
            "from_status": {"anyOf": [_ref("Status"), {"type": "null"}]},
            "to_status": _ref("Status"),
            "actor": TEXT_OUT,
            "note": TEXT_OUT,
            "created_at": DATE_TIME,
        },
    },
    "Refund": {
        "type": "object",
        "description": "Money paid back to the customer.",
        "additionalProperties": False,
        "required": ["amount", "method", "reference", "created_at"],
        "properties": {
            "amount": MONEY_OUT,
            "method": {"type": "string", "enum": [str(m) for m in RefundMethod]},
            "reference": {
                "type": "string",
                "description": "The payment system's reference, as finance entered it.",
            },
            "created_at": DATE_TIME,
        },
    },
    "ExchangePayment": {
        "type": "object",
        "description": "The customer's payment of an exchange's price difference.",
        "additionalProperties": False,
        "required": ["amount", "reference", "created_at"],
        "properties": {
            "amount": MONEY_OUT,
            "reference": {
                "type": "string",
                "description": "The payment system's reference, as finance entered it.",
            },
            "created_at": DATE_TIME,
        },
    },
    "ReturnDetail": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "number",
            "status",
            "type",
            "reason_code",
            "description",
            "customer",
            "order",
            "tracking_number",
            "replacement_tracking_number",
            "created_at",
            "status_changed_at",
            "deadline_at",
            "decision",
            "lines",
            "events",
            "refunds",
            "payments",
        ],
        "properties": {
            "number": TEXT_OUT,
            "status": _ref("Status"),
            "type": {"type": "string", "enum": [str(t) for t in ReturnType]},
            "reason_code": TEXT_OUT,
            "description": TEXT_OUT,
            "customer": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "phone"],
                "properties": {"name": TEXT_OUT, "phone": TEXT_OUT},
            },
            "order": {
                "type": "object",
                "additionalProperties": False,
                "required": ["number", "channel"],
                "properties": {"number": TEXT_OUT, "channel": TEXT_OUT},
            },
            "tracking_number": TEXT_OUT,
            "replacement_tracking_number": {
                "type": "string",
                "description": "The exchange's replacement parcel; empty until it ships.",
            },
            "created_at": DATE_TIME,
            "status_changed_at": DATE_TIME,
            "deadline_at": {"type": ["string", "null"], "format": "date-time"},
            "decision": _ref("Decision"),
            "lines": {"type": "array", "items": _ref("ReturnLine")},
            "events": {"type": "array", "items": _ref("ReturnEvent")},
            "refunds": {
                "type": "array",
                "description": "Every refund, oldest first.",
                "items": _ref("Refund"),
            },
            "payments": {
                "type": "array",
                "description": "Every exchange payment, oldest first.",
                "items": _ref("ExchangePayment"),
            },
        },
    },
}

UNAUTHORIZED = {
    "description": "No bearer token, or not a live one.",
    "headers": {
        "WWW-Authenticate": {
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer"},
        }
    },
    "content": {"application/json": {"schema": _ref("Error")}},
}


def _upsert(kind: str, item: str, what: str) -> dict[str, Any]:
    return {
        "operationId": f"upsert_{kind}",
        "summary": f"Create or update {kind}",
        "description": (
            f"{what} The answer counts the items that were new (`created`), that changed "
            f"something (`updated`) and that were already as sent (`unchanged`). Idempotent: "
            f"sending the same array again changes nothing and counts every item as unchanged. "
            f"All or nothing: if any item is bad, none is written. "
            f"At most {MAX_ITEMS} items and {MAX_BODY_BYTES} bytes per request."
        ),
        "tags": ["imports"],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "maxItems": MAX_ITEMS, "items": _ref(item)}
                }
            },
        },
        "responses": {
            "200": _json(_ref("UpsertResult"), "Every item was written."),
            "400": _error("The body is not JSON, not an array of objects, or too many items."),
            "401": {"$ref": "#/components/responses/Unauthorized"},
            "413": _error("The body is larger than the limit."),
            "422": _json(_ref("InvalidRows"), "Some items are bad; nothing was written."),
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document served at ``/api/v1/openapi.json``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ReturnDesk API",
            "version": "1.0.0",
            "description": (
                "Push the shop's products, customers and orders into ReturnDesk, and read "
                "return requests. Money is a decimal string with two decimals; times are "
                "ISO 8601 (RFC 3339). Every call but this document needs "
                "`Authorization: Bearer <token>`; an admin makes tokens on the API tokens page."
            ),
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/products": {
                "put": _upsert("products", "Product", "Products by SKU (SPEC §10 fields).")
            },
            "/api/v1/customers": {
                "put": _upsert("customers", "Customer", "Customers by external id, else by phone.")
            },
            "/api/v1/orders": {
                "put": _upsert(
                    "orders",
                    "Order",
                    "Orders by order number, one object per order with its lines; the "
                    "customer (by phone) and the products (by SKU) must exist.",
                )
            },
            "/api/v1/returns": {"get": LIST_RETURNS},
            "/api/v1/returns/{number}": {"get": READ_RETURN},
            "/api/v1/openapi.json": {"get": READ_DOCUMENT},
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made by an admin (shown once).",
                }
            },
            "responses": {"Unauthorized": UNAUTHORIZED},
            "schemas": SCHEMAS,
        },
    }


LIST_RETURNS = {
    "operationId": "list_returns",
    "summary": "List return requests, newest first",
    "tags": ["returns"],
    "parameters": [
        {"name": "status", "in": "query", "schema": _ref("Status")},
        {
            "name": "since",
            "in": "query",
            "description": "Created on or after this day (the shop's time zone).",
            "schema": {"type": "string", "format": "date"},
        },
        {
            "name": "until",
            "in": "query",
            "description": "Created on or before this day (the shop's time zone).",
            "schema": {"type": "string", "format": "date"},
        },
        {
            "name": "after",
            "in": "query",
            "description": "The `next_cursor` of the previous page.",
            "schema": {"type": "string", "pattern": r"^[0-9]{1,16}_[0-9]{1,9}$"},
        },
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
        },
    ],
    "responses": {
        "200": _json(_ref("ReturnPage"), "One page of requests."),
        "400": _error("A filter, the cursor or the limit is not valid."),
        "401": {"$ref": "#/components/responses/Unauthorized"},
    },
}

READ_RETURN = {
    "operationId": "read_return",
    "summary": "Read one return request by its RMA number",
    "tags": ["returns"],
    "parameters": [
        {
            "name": "number",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "examples": ["RMA-2026-000001"]},
        }
    ],
    "responses": {
        "200": _json(
            _ref("ReturnDetail"),
            "The request with its lines, decision, events, refunds and exchange payments.",
        ),
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": _error("No request has that number."),
    },
}

READ_DOCUMENT = {
    "operationId": "read_openapi_document",
    "summary": "This document",
    "tags": ["meta"],
    "security": [],
    "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
}
