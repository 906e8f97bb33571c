"""Opening a return: checking a customer's draft, deciding it, and submitting it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.errors import NotFound, PermissionDenied, PolicyViolation, ValidationError
from domain.money import percent_of, round_money
from domain.policy import Claim, ClaimLine, CustomerHistory, PolicyDecision, evaluate_policy
from domain.returns import BEFORE_RECEIPT, VOID_STATUSES, Action, Actor, ReturnType, Status
from models import (
    Attachment,
    Customer,
    Order,
    OrderLine,
    Product,
    ReturnLine,
    ReturnRequest,
)
from services.customers import ANONYMOUS_PHONE_PREFIX
from services.effects import record_event
from services.lifecycle import Step, notify_staff
from services.policies import active_reason_class, load_policy_book
from services.review import approve_step
from services.rollups import count_return
from services.sql import fetch, placeholders
from services.views import ReturnView

MAX_DESCRIPTION = 2000
HISTORY_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class LineRequest:
    order_line_id: int
    quantity: int
    replacement_product_id: int | None = None


@dataclass(frozen=True)
class ReturnDraft:
    """What the customer filled in, before confirming."""

    order_id: int
    type: ReturnType
    reason_code: str
    lines: tuple[LineRequest, ...]
    photos: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class _Checked:
    order: Order
    order_lines: dict[int, OrderLine]
    replacements: dict[int, Product]
    decision: PolicyDecision


@dataclass(frozen=True)
class PreviewLine:
    """One line of a decided draft: the product, how many, at what price, and any swap."""

    name: str
    quantity: int
    unit_price: Decimal
    replacement_name: str | None = None
    replacement_price: Decimal | None = None
    restocking_fee_percent: Decimal = Decimal(0)

    @property
    def credit(self) -> Decimal:
        """What the returned units credit the customer: their price less the restocking
        fee, as the ledger does at inspection."""
        value = round_money(self.unit_price * self.quantity)
        return value - percent_of(value, self.restocking_fee_percent)

    @property
    def exchange_difference(self) -> Decimal:
        """What the customer pays (negative: gets back) for the swap: the replacements at
        their price less the returned units' credit."""
        assert self.replacement_price is not None
        return round_money(self.replacement_price * self.quantity) - self.credit


@dataclass(frozen=True)
class Preview:
    """A draft decided without writing anything: what the customer is asked to confirm."""

    decision: PolicyDecision
    lines: tuple[PreviewLine, ...]


async def preview_return(draft: ReturnDraft, *, actor: Actor, clock: Clock) -> Preview:
    """Check and decide a draft without writing anything: the summary the customer confirms.

    Raises the same errors as ``submit_return`` for a draft that cannot be submitted at all
    (not the customer's order, bad quantities, unknown reason or replacement); a draft the
    policy refuses comes back with the refusals in its decision.
    """
    checked = await _check_draft(draft, actor, clock.now())
    return Preview(checked.decision, tuple(_preview_line(line, checked) for line in draft.lines))


def _preview_line(line: LineRequest, checked: _Checked) -> PreviewLine:
    order_line = checked.order_lines[line.order_line_id]
    replacement = checked.replacements.get(line.replacement_product_id or 0)
    return PreviewLine(
        order_line.product.name,
        line.quantity,
        order_line.unit_price,
        replacement.name if replacement else None,
        replacement.price if replacement else None,
        checked.decision.fee_percent_for(line.order_line_id),
    )


async def submit_return(draft: ReturnDraft, *, actor: Actor, clock: Clock) -> ReturnView:
    """Submit a customer's draft as a new request.

    Checks ownership, quantities against what is still returnable, the reason, the
    replacement products and the policy; then, in one transaction, writes the request, its
    lines and photos, the ``submit`` event and the staff notification, and applies the
    shop's auto-approval rule. Raises ``PolicyViolation`` (with the refusals) if the policy
    does not allow the return.
    """
    now = clock.now()
    async with in_transaction():
        checked = await _check_draft(draft, actor, now, lock=True)
        if not checked.decision.eligible:
            raise PolicyViolation(refusals=_refusal_codes(checked.decision))
        request = await _create_request(draft, checked, actor, now)
        step = Step(request, actor, Action.APPROVE, Status.SUBMITTED, Status.SUBMITTED, now)
        await notify_staff(step, "return_submitted")
        if checked.decision.auto_approved:
            await approve_step(
                Step(
                    request,
                    Actor.system("auto_approval"),
                    Action.APPROVE,
                    Status.SUBMITTED,
                    Status.APPROVED,
                    now,
                )
            )
    return ReturnView.of(request)


def _refusal_codes(decision: PolicyDecision) -> list[str]:
    codes = [r.code for r in decision.refusals]
    return codes + [r.code for line in decision.lines for r in line.refusals]


async def _check_draft(
    draft: ReturnDraft, actor: Actor, now: datetime, *, lock: bool = False
) -> _Checked:
    if not actor.is_customer or actor.id is None:
        raise PermissionDenied(action="submit")
    await _check_customer(actor.id, lock)
    order, order_lines = await _order_and_lines(draft, actor.id, lock)
    await _check_quantities(draft, order_lines)
    replacements = await _replacements(draft)
    claim = await _claim(draft, order, order_lines)
    history = await customer_history(order.customer_id, now)
    decision = evaluate_policy(claim, history, await load_policy_book(), now)
    return _Checked(order, order_lines, replacements, decision)


async def _check_customer(customer_id: int, lock: bool) -> None:
    """Refuse a customer whose personal data is wiped (``customer_anonymized``).

    With ``lock``, their row is held until the submission commits (PostgreSQL), so an
    anonymization (which holds it too) either waits for the request and refuses, seeing it
    open, or commits first and is seen here. FOR NO KEY UPDATE: an import adding an order
    for them is not held up. The locks of a submission are taken customer, then order,
    then order lines; nothing takes them the other way round.
    """
    query = Customer.filter(id=customer_id)
    if lock:
        query = query.select_for_update(no_key=True)
    customer = await query.first()
    # no customer: no order of theirs either, which the order check says
    if customer is not None and customer.phone.startswith(ANONYMOUS_PHONE_PREFIX):
        raise ValidationError("customer_anonymized")


def _check_shape(draft: ReturnDraft) -> None:
    ids = [line.order_line_id for line in draft.lines]
    if not ids or len(set(ids)) != len(ids):
        raise ValidationError("invalid_lines")
    if any(line.quantity < 1 for line in draft.lines):
        raise ValidationError("invalid_quantity")
    if len(draft.description) > MAX_DESCRIPTION:
        raise ValidationError("text_too_long", max=MAX_DESCRIPTION)
    exchange = draft.type is ReturnType.EXCHANGE
    if any((line.replacement_product_id is not None) != exchange for line in draft.lines):
        raise ValidationError("replacement_mismatch")


async def _order_and_lines(
    draft: ReturnDraft, customer_id: int, lock: bool
) -> tuple[Order, dict[int, OrderLine]]:
    """The customer's order and the draft's lines of it (one query when the draft is sound).

    With ``lock``, the order's row and then the draft's lines are held until the submission
    commits (PostgreSQL): an order re-import holds the same row before it looks for returns
    and replaces the lines (``services.imports``), so the two take turns.
    """
    ids = [line.order_line_id for line in draft.lines]
    if lock:
        await Order.filter(id=draft.order_id, customer_id=customer_id).select_for_update(
            no_key=True
        )
    query = OrderLine.filter(
        order_id=draft.order_id, order__customer_id=customer_id, id__in=ids
    ).select_related("order", "product")
    if lock:  # the order lines only: other customers return the same products meanwhile
        query = query.select_for_update(of=(OrderLine._meta.db_table,))
    found = {line.id: line for line in await query}
    if found:
        order: Order | None = next(iter(found.values())).order
    else:
        order = await Order.get_or_none(id=draft.order_id, customer_id=customer_id)
    if order is None:
        raise NotFound("order_not_found", order_id=draft.order_id)
    _check_shape(draft)
    missing = set(ids) - set(found)
    if missing:
        raise NotFound("order_line_not_found", order_line_id=min(missing))
    return order, found


async def returnable_quantities(order_line_ids: Sequence[int]) -> dict[int, int]:
    """Units of each order line already held by returns that are not void: asked for
    until the parcel is received, then the units that arrived."""
    if not order_line_ids:
        return {}
    sql = HELD_SQL.format(
        held=HELD.format(waiting=placeholders(1, len(WAITING))),
        void=placeholders(len(WAITING) + 1, len(VOID)),
        lines=placeholders(len(WAITING) + len(VOID) + 1, len(order_line_ids)),
    )
    rows = await fetch(sql, *WAITING, *VOID, *order_line_ids)
    return {row["order_line_id"]: int(row["held"]) for row in rows}


async def _check_quantities(draft: ReturnDraft, order_lines: dict[int, OrderLine]) -> None:
    held = await returnable_quantities(list(order_lines))
    for line in draft.lines:
        available = order_lines[line.order_line_id].quantity - held.get(line.order_line_id, 0)
        if line.quantity > available:
            raise ValidationError(
                "quantity_exceeds_available", order_line_id=line.order_line_id, available=available
            )


async def _replacements(draft: ReturnDraft) -> dict[int, Product]:
    ids = {line.replacement_product_id for line in draft.lines} - {None}
    if not ids:  # a refund
        return {}
    found = {p.id: p for p in await Product.filter(id__in=list(ids), active=True)}
    missing = ids - set(found)
    if missing:
        raise NotFound("replacement_not_found", product_id=min(i for i in missing if i))
    return found


async def _claim(draft: ReturnDraft, order: Order, order_lines: dict[int, OrderLine]) -> Claim:
    lines = tuple(
        ClaimLine(
            order_line_id=line.order_line_id,
            sku=order_lines[line.order_line_id].product.sku,
            category=order_lines[line.order_line_id].product.category,
            product_returnable=order_lines[line.order_line_id].product.returnable,
            quantity=line.quantity,
            unit_price=order_lines[line.order_line_id].unit_price,
        )
        for line in draft.lines
    )
    return Claim(
        channel=order.channel,
        delivered_at=order.delivered_at,
        reason_code=draft.reason_code,
        reason_class=await active_reason_class(draft.reason_code),
        lines=lines,
        photo_count=len(draft.photos),
    )


async def customer_history(customer_id: int, now: datetime) -> CustomerHistory:
    """Units the customer bought and returned over the last 12 months."""
    sql = HISTORY_SQL.format(
        held=HELD.format(waiting=placeholders(3, len(WAITING))),
        void=placeholders(3 + len(WAITING), len(VOID)),
    )
    rows = await fetch(sql, customer_id, now - HISTORY_WINDOW, *WAITING, *VOID)
    return CustomerHistory(
        units_bought=int(rows[0]["bought"]), units_returned=int(rows[0]["returned"])
    )


# The chat's aggregate reads and the RMA counter, in plain SQL (services/sql.py says why).
VOID = sorted(status.value for status in VOID_STATUSES)
WAITING = sorted(status.value for status in BEFORE_RECEIPT)
# The units a return line holds of its order line (domain.returns.BEFORE_RECEIPT says which).
HELD = "CASE WHEN r.status IN ({waiting}) THEN rl.quantity ELSE rl.received_quantity END"
HELD_SQL = (
    "SELECT rl.order_line_id, SUM({held}) AS held FROM return_line rl"
    " JOIN return_request r ON r.id = rl.request_id"
    " WHERE r.status NOT IN ({void}) AND rl.order_line_id IN ({lines})"
    " GROUP BY rl.order_line_id"
)
HISTORY_SQL = (
    "SELECT (SELECT COALESCE(SUM(ol.quantity), 0) FROM order_line ol"
    " JOIN customer_order o ON o.id = ol.order_id"
    " WHERE o.customer_id = $1 AND o.ordered_at >= $2) AS bought,"
    " (SELECT COALESCE(SUM({held}), 0) FROM return_line rl"
    " JOIN return_request r ON r.id = rl.request_id"
    " WHERE r.customer_id = $1 AND r.created_at >= $2 AND r.status NOT IN ({void})) AS returned"
)


NEXT_RMA_SQL = (
    "INSERT INTO rma_counter (year, last_number) VALUES ($1, 1)"
    " ON CONFLICT (year) DO UPDATE SET last_number = rma_counter.last_number + 1"
    " RETURNING last_number"
)


async def next_rma_number(now: datetime) -> str:
    """Allocate the next RMA number of the year (RMA-YYYY-NNNNNN).

    One statement (SQLite and PostgreSQL alike): it creates the year's counter or moves it on
    and returns the new value, holding the counter's row until the caller's transaction ends.
    """
    rows = await fetch(NEXT_RMA_SQL, now.year)
    return f"RMA-{now.year}-{rows[0]['last_number']:06d}"


async def _create_request(
    draft: ReturnDraft, checked: _Checked, actor: Actor, now: datetime
) -> ReturnRequest:
    request = await ReturnRequest.create(
        number=await next_rma_number(now),
        customer_id=actor.id,
        order_id=checked.order.id,
        type=draft.type,
        status=Status.SUBMITTED,
        reason_code=draft.reason_code,
        description=draft.description,
        policy_decision=checked.decision.to_snapshot(),
        status_changed_at=now,
        created_at=now,
        updated_at=now,
        updated_by=actor.label,
    )
    await ReturnLine.bulk_create([_line(request, line, checked) for line in draft.lines])
    await Attachment.bulk_create(
        [Attachment(request=request, telegram_file_id=f, created_at=now) for f in draft.photos]
    )
    await record_event(request, actor, "submit", source=None, target=Status.SUBMITTED, now=now)
    await count_return(request)
    return request


def _line(request: ReturnRequest, line: LineRequest, checked: _Checked) -> ReturnLine:
    replacement = checked.replacements.get(line.replacement_product_id or 0)
    return ReturnLine(
        request=request,
        order_line_id=line.order_line_id,
        quantity=line.quantity,
        replacement_product=replacement,
        replacement_unit_price=replacement.price if replacement else None,
    )
