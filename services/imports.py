"""Imports of products, customers and orders (SPEC §10): all or nothing.

The same upserts serve the CSV import and the JSON API; a CSV file (the command, the
back-office page) goes through ``import_file``, which also keeps one audit entry per file.
Every row is checked in one pass: its fields, then (if they read) against the file's other
rows and the database. If any is bad, ``ImportRejected`` names every bad row with its line
number and reason, and nothing is written (what the good rows wrote meanwhile is rolled
back). Rows are mappings of field name to text (CSV) or JSON values.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import DomainError, PermissionDenied, ValidationError
from domain.money import to_money
from domain.returns import Actor, Role
from domain.stock import Location, stock_in, stock_out
from models import Customer, Order, OrderLine, Product, ReturnLine, StockLevel
from services.audit import record_audit_entry
from services.effects import apply_movements, create_stock_levels
from services.policies import load_policy_book
from services.rollups import recount_order

Row = Mapping[str, Any]
Progress = Callable[[int], object]

PRODUCT_FIELDS = (
    "sku",
    "name",
    "category",
    "price",
    "cost",
    "stock",
    "low_stock_threshold",
    "returnable",
)
CUSTOMER_FIELDS = ("external_id", "name", "phone", "email", "language")
ORDER_FIELDS = (
    "order_number",
    "customer_phone",
    "channel",
    "ordered_at",
    "delivered_at",
    "sku",
    "quantity",
    "unit_price",
    "payment_method",
)
FIELDS = {"products": PRODUCT_FIELDS, "customers": CUSTOMER_FIELDS, "orders": ORDER_FIELDS}
LANGUAGES = {"en": "en", "zh": "zh_Hans", "zh_hans": "zh_Hans", "zh-cn": "zh_Hans", "ru": "ru"}
PHONE = re.compile(r"\+[1-9]\d{6,14}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TRUE, FALSE = {"1", "true", "yes", "y"}, {"0", "false", "no", "n", ""}
# C0 and C1 control characters and DEL: every field is one line of plain text.
CONTROL_CHARACTERS = r"\u0000-\u001f\u007f-\u009f"
CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
SUBJECT_LIMIT = 100  # AuditEntry.subject: a longer file name is cut
# What csv.DictReader puts in a row without one field per column of the header: the fields
# beyond the last column (a list, under a key no header has), and in each column it lacks a
# text no field can hold (they hold no NUL).
EXTRA_FIELDS = "\x00extra"
MISSING_FIELD = "\x00missing"
# The order dates every part of the shop can handle in every time zone (offsets stay within a
# day): the rollups key a month by its four-digit year, and a return window of up to a year
# must end before the last day a datetime holds.
EARLIEST = datetime(1000, 1, 2, tzinfo=UTC)
LATEST = datetime(9998, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    params: Mapping[str, str] = field(default_factory=dict)


class ImportRejected(DomainError):
    """A file with bad rows: nothing of it was written."""

    code = "import_rejected"

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(errors=list(errors))
        self.errors = list(errors)


class RowRefused(DomainError):
    """Every reason one row is bad (each a ValidationError naming its field)."""

    code = "row_refused"

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__(errors=list(errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class ImportResult:
    """Rows (orders, for the order import) that were new, changed, or already as given."""

    created: int
    updated: int
    unchanged: int

    @classmethod
    def counted(cls, outcomes: Counter[str]) -> ImportResult:
        return cls(outcomes["created"], outcomes["updated"], outcomes["unchanged"])


def read_csv(text: str, kind: str) -> list[tuple[int, Row]]:
    """Parse a CSV file's text into (line number, row); the header must match SPEC §10."""
    reader = csv.DictReader(
        io.StringIO(text.lstrip("\ufeff")), restkey=EXTRA_FIELDS, restval=MISSING_FIELD
    )
    expected = FIELDS[kind]
    if reader.fieldnames is None or tuple(h.strip() for h in reader.fieldnames) != expected:
        raise ImportRejected([RowError(1, "bad_header", {"expected": ",".join(expected)})])
    return [(reader.line_num, row) for row in reader]


def _require_one_field_per_column(row: Row) -> None:
    columns = [name for name in row if name != EXTRA_FIELDS]
    found = sum(row[name] != MISSING_FIELD for name in columns)
    found += len(row.get(EXTRA_FIELDS, ()))
    if found != len(columns):
        raise ValidationError("wrong_column_count", expected=len(columns), found=found)


def control_character_in(text: str) -> str | None:
    """The first control character in ``text``, written U+XXXX; None if there is none."""
    found = CONTROL.search(text)
    return None if found is None else f"U+{ord(found[0]):04X}"


def _text(row: Row, name: str, *, required: bool = True, limit: int = 200) -> str:
    value = str(row.get(name) or "")
    character = control_character_in(value)
    if character:
        raise ValidationError("control_character", field=name, character=character)
    value = value.strip()
    if required and not value:
        raise ValidationError("missing_value", field=name)
    if len(value) > limit:
        raise ValidationError("text_too_long", field=name, max=limit)
    return value


def _every_field(readers: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each field read by its reader; every field's refusal together (``RowRefused``)."""
    values, errors = {}, []
    for name, read in readers.items():
        try:
            values[name] = read()
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise RowRefused(errors)
    return values


def _changes(record: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``data`` whose value differs from the stored ``record``'s."""
    return {name: value for name, value in data.items() if getattr(record, name) != value}


def _amount(row: Row, name: str) -> Decimal:
    try:
        amount = to_money(_text(row, name))
    except ValidationError as error:
        raise ValidationError(error.code, **{**error.params, "field": name}) from None
    if amount < 0:
        raise ValidationError("negative_value", field=name, value=_text(row, name))
    return amount


def _count(row: Row, name: str, *, minimum: int = 0) -> int:
    """A whole number of at least ``minimum``; a negative one is refused as negative."""
    raw = _text(row, name)
    if not re.fullmatch(r"-?\d{1,9}", raw):
        raise ValidationError("invalid_integer", field=name, value=raw)
    if int(raw) < 0:
        raise ValidationError("negative_value", field=name, value=raw)
    if int(raw) < minimum:
        raise ValidationError("value_too_small", field=name, value=raw, minimum=minimum)
    return int(raw)


def _flag(row: Row, name: str) -> bool:
    raw = str(row.get(name, "")).strip().lower()
    if raw not in TRUE | FALSE:
        raise ValidationError("invalid_boolean", field=name, value=raw)
    return raw in TRUE


def normalize_phone(raw: str) -> str:
    """Return an E.164 phone number from what people type (spaces, dashes, 00 prefix)."""
    phone = re.sub(r"[\s\-().]", "", raw)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if not PHONE.fullmatch(phone):
        raise ValidationError("invalid_phone", value=raw)
    return phone


def _moment(row: Row, name: str, zone: ZoneInfo, *, required: bool = True) -> datetime | None:
    raw = _text(row, name, required=required)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError("invalid_date", field=name, value=raw) from None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    if not EARLIEST <= aware <= LATEST:
        raise ValidationError(
            "date_out_of_range",
            field=name,
            value=raw,
            minimum=EARLIEST.isoformat(),
            maximum=LATEST.isoformat(),
        )
    return aware


def _check_rows(
    rows: Iterable[tuple[int, Row]], parse: Callable[[Row], Any]
) -> tuple[list[tuple[int, Any]], list[RowError]]:
    """The rows whose every field reads, and every bad field of the others."""
    parsed, errors = [], []
    for line, row in rows:
        try:
            _require_one_field_per_column(row)
            parsed.append((line, parse(row)))
        except DomainError as error:
            errors += _row_errors(line, error)
    return parsed, errors


def _row_errors(line: int, error: DomainError) -> list[RowError]:
    """One RowError for each reason ``error`` gives (a ``RowRefused`` gives several)."""
    reasons = error.errors if isinstance(error, RowRefused) else [error]
    return [RowError(line, e.code, {k: str(v) for k, v in e.params.items()}) for e in reasons]


def _repeated(
    parsed: list[tuple[int, Any]], key: Callable[[Any], str], reason: str
) -> list[RowError]:
    """A RowError for each row whose key an earlier row has already."""
    seen: dict[str, int] = {}
    errors = []
    for line, item in parsed:
        if key(item) in seen:
            errors.append(RowError(line, reason, {"first_line": str(seen[key(item)])}))
        seen.setdefault(key(item), line)
    return errors


def _without_errors(parsed: list[tuple[int, Any]], errors: list[RowError]) -> list[tuple[int, Any]]:
    bad = {error.line for error in errors}
    return [(line, item) for line, item in parsed if line not in bad]


def _refuse_any(errors: list[RowError]) -> None:
    """Refuse the file for its bad rows, if any, in the order of its lines."""
    if errors:
        raise ImportRejected(sorted(errors, key=lambda error: error.line))


def _tick(progress: Progress | None) -> None:
    if progress is not None:
        progress(1)


# A file, as the CSV import runs it ----------------------------------------------------


async def import_file(
    kind: str,
    rows: Sequence[tuple[int, Row]],
    *,
    source: str,
    actor: Actor,
    clock: Clock,
    progress: Progress | None = None,
) -> ImportResult:
    """Land the rows of one CSV file (``source`` names it) of products, customers or orders:
    all or none, with one audit entry for the file (its counts) in the same transaction.
    Only admins (the back-office) and the system (the command) import files."""
    if not actor.roles & {Role.ADMIN, Role.SYSTEM}:
        raise PermissionDenied(action="import")
    if kind not in FIELDS:
        raise ValidationError("unknown_import_kind")
    async with in_transaction():
        if kind == "products":
            result = await upsert_products(rows, actor=actor, clock=clock, progress=progress)
        else:
            upsert = upsert_customers if kind == "customers" else upsert_orders
            result = await upsert(rows, actor=actor, progress=progress)
        counts = {"kind": kind, "rows": len(rows), **asdict(result)}
        subject = source[:SUBJECT_LIMIT]
        await record_audit_entry(actor, "import_csv", subject, clock.now(), details=counts)
    return result


# Products ------------------------------------------------------------------------------


def _product(row: Row) -> dict[str, Any]:
    return _every_field(
        {
            "sku": lambda: _text(row, "sku", limit=64),
            "name": lambda: _text(row, "name"),
            "category": lambda: _text(row, "category", limit=100),
            "price": lambda: _amount(row, "price"),
            "cost": lambda: _amount(row, "cost"),
            "stock": lambda: _count(row, "stock"),
            "low_stock_threshold": lambda: _count(row, "low_stock_threshold"),
            "returnable": lambda: _flag(row, "returnable"),
        }
    )


async def upsert_products(
    rows: Iterable[tuple[int, Row]], *, actor: Actor, clock: Clock, progress: Progress | None = None
) -> ImportResult:
    """Create or update products by SKU and set their sellable stock to the given count."""
    parsed, errors = _check_rows(rows, _product)
    errors += _repeated(parsed, lambda p: p["sku"], "duplicate_sku")
    _refuse_any(errors)
    now = clock.now()
    outcomes: Counter[str] = Counter()
    async with in_transaction():
        existing = {p.sku: p for p in await Product.filter(sku__in=[p["sku"] for _, p in parsed])}
        for _line, data in parsed:
            stock = data.pop("stock")
            product = existing.get(data["sku"])
            if product is None:
                product = await Product.create(**data, updated_by=actor.label)
                await create_stock_levels(product)
                outcome = "created"
            else:
                outcome = await _update(product, data, actor)
            restocked = await _set_sellable(product, stock, actor, now)
            outcomes[outcome if outcome == "created" or not restocked else "updated"] += 1
            _tick(progress)
    return ImportResult.counted(outcomes)


async def _update(record: Any, data: Mapping[str, Any], actor: Actor) -> str:
    """Save what differs on ``record`` (and who changed it); say whether anything did."""
    changes = _changes(record, data)
    if not changes:
        return "unchanged"
    await record.update_from_dict({**changes, "updated_by": actor.label}).save()
    return "updated"


async def _set_sellable(product: Product, target: int, actor: Actor, now: datetime) -> bool:
    level = await StockLevel.get(product=product, location=Location.SELLABLE)
    change = target - level.quantity
    if change > 0:
        await apply_movements([stock_in(product.id, change)], actor, now)
    elif change < 0:
        await apply_movements([stock_out(product.id, -change)], actor, now)
    return change != 0


# Customers -----------------------------------------------------------------------------


def _email(row: Row) -> str:
    email = _text(row, "email", required=False)
    if email and not EMAIL.fullmatch(email):
        raise ValidationError("invalid_email", field="email", value=email)
    return email


def _language(row: Row) -> str:
    language = _text(row, "language", required=False, limit=10).lower() or "en"
    if language not in LANGUAGES:
        raise ValidationError("invalid_language", field="language", value=language)
    return LANGUAGES[language]


def _phone(row: Row, name: str) -> str:
    try:
        return normalize_phone(_text(row, name, limit=30))
    except ValidationError as error:
        raise ValidationError(error.code, **{**error.params, "field": name}) from None


def _customer(row: Row) -> dict[str, Any]:
    return _every_field(
        {
            "external_id": lambda: _text(row, "external_id", required=False, limit=64) or None,
            "name": lambda: _text(row, "name"),
            "phone": lambda: _phone(row, "phone"),
            "email": lambda: _email(row),
            "language": lambda: _language(row),
        }
    )


async def upsert_customers(
    rows: Iterable[tuple[int, Row]], *, actor: Actor, progress: Progress | None = None
) -> ImportResult:
    """Create or update customers, matched by external id when given, else by phone."""
    parsed, errors = _check_rows(rows, _customer)
    errors += _repeated(parsed, lambda c: c["phone"], "duplicate_phone")
    errors += _repeated(
        [(n, c) for n, c in parsed if c["external_id"]],
        lambda c: c["external_id"],
        "duplicate_external_id",
    )
    outcomes: Counter[str] = Counter()
    async with in_transaction():
        for line, data in _without_errors(parsed, errors):
            customer = await _find_customer(data)
            if await _phone_taken(data["phone"], customer):
                errors.append(RowError(line, "phone_taken", {"phone": data["phone"]}))
            elif customer is None:
                await Customer.create(**data, updated_by=actor.label)
                outcomes["created"] += 1
            else:
                outcomes[await _update(customer, data, actor)] += 1
            _tick(progress)
        _refuse_any(errors)  # inside: what the good rows wrote meanwhile is rolled back
    return ImportResult.counted(outcomes)


async def _phone_taken(phone: str, customer: Customer | None) -> bool:
    """Whether a customer other than the row's own (``customer``) has ``phone``."""
    return await Customer.filter(phone=phone).exclude(id=customer.id if customer else 0).exists()


async def _find_customer(data: Mapping[str, Any]) -> Customer | None:
    if data["external_id"]:
        found = await Customer.get_or_none(external_id=data["external_id"])
        if found is not None:
            return found
    return await Customer.get_or_none(phone=data["phone"])


# Orders --------------------------------------------------------------------------------


def _order_line(zone: ZoneInfo) -> Callable[[Row], dict[str, Any]]:
    def parse(row: Row) -> dict[str, Any]:
        return _every_field(
            {
                "number": lambda: _text(row, "order_number", limit=64),
                "phone": lambda: _phone(row, "customer_phone"),
                "channel": lambda: _text(row, "channel", limit=32).lower(),
                "ordered_at": lambda: _moment(row, "ordered_at", zone),
                "delivered_at": lambda: _moment(row, "delivered_at", zone, required=False),
                "sku": lambda: _text(row, "sku", limit=64),
                "quantity": lambda: _count(row, "quantity", minimum=1),
                "unit_price": lambda: _amount(row, "unit_price"),
                "payment_method": lambda: _text(row, "payment_method", required=False, limit=32),
            }
        )

    return parse


async def _references(parsed: list[tuple[int, dict[str, Any]]]) -> tuple[dict, dict]:
    """The customers (by phone) and products (by SKU) the rows name that exist."""
    customers = {
        c.phone: c for c in await Customer.filter(phone__in={d["phone"] for _, d in parsed})
    }
    products = {p.sku: p for p in await Product.filter(sku__in={d["sku"] for _, d in parsed})}
    return customers, products


def _reference_and_date_errors(
    parsed: list[tuple[int, dict[str, Any]]], customers: dict, products: dict
) -> list[RowError]:
    errors = []
    for line, data in parsed:
        if data["phone"] not in customers:
            errors.append(RowError(line, "unknown_customer", {"phone": data["phone"]}))
        if data["sku"] not in products:
            errors.append(RowError(line, "unknown_sku", {"sku": data["sku"]}))
        delivered = data["delivered_at"]
        if delivered is not None and delivered < data["ordered_at"]:
            errors.append(RowError(line, "delivered_before_ordered"))
    return errors


def _disagreeing_rows(parsed: list[tuple[int, dict[str, Any]]]) -> list[RowError]:
    """A RowError for each row whose order's header differs from the order's first row's."""
    first: dict[str, dict[str, Any]] = {}
    errors = []
    header = ("phone", "channel", "ordered_at", "delivered_at", "payment_method")
    for line, data in parsed:
        head = first.setdefault(data["number"], data)
        if any(head[k] != data[k] for k in header):
            errors.append(RowError(line, "order_rows_disagree", {"order": data["number"]}))
    return errors


def _sound_orders(
    rows: list[tuple[int, Row]], parsed: list[tuple[int, dict]], errors: list[RowError]
) -> dict[str, list[tuple[int, dict]]]:
    """The rows of each order none of whose rows is bad, by order number: the others'
    lines are not all known, so comparing them with the stored order would mislead."""
    bad = {error.line for error in errors}
    incomplete = {str(row.get("order_number") or "").strip() for n, row in rows if n in bad}
    orders: dict[str, list[tuple[int, dict]]] = {}
    for line, data in parsed:
        if data["number"] not in incomplete:
            orders.setdefault(data["number"], []).append((line, data))
    return orders


async def upsert_orders(
    rows: Iterable[tuple[int, Row]], *, actor: Actor, progress: Progress | None = None
) -> ImportResult:
    """Create or update orders by order number, one row per line.

    Re-importing an order updates its header; its lines are replaced unless a return
    already refers to them, in which case they must stay as they are.
    """
    zone = (await load_policy_book()).resolve("").zone
    rows = list(rows)
    parsed, errors = _check_rows(rows, _order_line(zone))
    errors += _disagreeing_rows(parsed)
    outcomes: Counter[str] = Counter()
    async with in_transaction():
        customers, products = await _references(parsed)
        errors += _reference_and_date_errors(parsed, customers, products)
        for number, group in _sound_orders(rows, parsed, errors).items():
            await _lock_order(number)  # before the rollups read what the order counts
            work = _upsert_order(number, group, customers, products)
            try:
                outcomes[await recount_order(number, work)] += 1
            except ValidationError as error:
                errors += _row_errors(group[0][0], error)
            for _ in group:
                _tick(progress)
        _refuse_any(errors)  # inside: what the sound orders wrote meanwhile is rolled back
    return ImportResult.counted(outcomes)


# What a return's decision rests on: once a request refers to the order, they stay.
FIXED_ONCE_RETURNED = frozenset({"customer_id", "channel"})


async def _lock_order(number: str) -> None:
    """Hold the stored order's row until the import ends (PostgreSQL).

    Submitting a return holds it too, from before it reads the order until its lines are
    written (``services.submission``), so the checks for returns below either see a
    submission's committed request or run before it reads the order: a re-import can never
    replace (and so cascade away) the lines a return is being written against, nor hand the
    order to another customer meanwhile. FOR NO KEY UPDATE: rows that refer to the order
    (new requests among them) are not held up by it, only other holders of this lock.
    """
    await Order.filter(number=number).select_for_update(no_key=True)


async def _order_header(number: str, header: dict[str, Any]) -> tuple[Order, str]:
    order = await Order.get_or_none(number=number)
    if order is None:
        return await Order.create(number=number, **header), "created"
    changes = _changes(order, header)
    if changes.keys() & FIXED_ONCE_RETURNED and await _has_returns(order):
        raise ValidationError("order_has_returns_owner", order=number)
    if changes:
        await order.update_from_dict(changes).save()
    return order, "updated" if changes else "unchanged"


async def _has_returns(order: Order) -> bool:
    return await ReturnLine.filter(order_line__order=order).exists()


async def _upsert_order(
    number: str, group: list[tuple[int, dict]], customers: dict, products: dict
) -> str:
    first = group[0][1]
    header = {
        "customer_id": customers[first["phone"]].id,
        "channel": first["channel"],
        "ordered_at": first["ordered_at"],
        "delivered_at": first["delivered_at"],
        "payment_method": first["payment_method"],
    }
    order, outcome = await _order_header(number, header)
    wanted = sorted((products[d["sku"]].id, d["quantity"], d["unit_price"]) for _, d in group)
    current = await OrderLine.filter(order=order).order_by("id")
    have = sorted((line.product_id, line.quantity, line.unit_price) for line in current)
    if wanted == have:
        return outcome
    if await _has_returns(order):
        raise ValidationError("order_has_returns", order=number)
    await OrderLine.filter(order=order).delete()
    await OrderLine.bulk_create(
        [OrderLine(order=order, product_id=p, quantity=q, unit_price=u) for p, q, u in wanted]
    )
    return "updated" if outcome == "unchanged" else outcome
