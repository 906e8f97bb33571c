"""Random sequences of actions by random actors keep stock, money and the audit trail true.

A Hypothesis state machine drives submissions, reviews, warehouse work (scrapping defective
units too), refunds, exchange payments, shipping, closing, expiry and surveys over three
orders, by the right and by the wrong people, with good and bad input. Its model is written from SPEC §2–§3 (not from the
domain tables): it predicts whether each action must succeed or be refused, and what the
request's status and the stock become. After every step the database is checked with real
queries: the trial balance is zero, every stock level equals its movements and the model,
no level is negative, no order line is returned more than bought, no request is refunded
more than was paid for its accepted units, a waiting exchange keeps what its customer owes as
the ledger has it, and the audit trail matches the status changes.
A refused action must change nothing at all.

The database is async and Hypothesis is not, so the machine runs its own event loop in an
``asyncio.Runner`` whose single ``contextvars.Context`` keeps Tortoise's context between
steps; the test itself is a plain function (pytest-asyncio leaves it alone). One database
per test, wiped before each example. Sizing: ``HYPOTHESIS_PROFILE=ci`` (default) or
``thorough``; the profiles are registered here under ``returndesk-invariants-*`` and passed
to this test only, so nothing else in the session changes.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from tortoise import connections
from tortoise.functions import Sum

import models
from domain.clock import FakeClock
from domain.errors import DomainError
from domain.ledger import Account, RefundMethod
from domain.money import ZERO, percent_of, round_money, to_money
from domain.returns import BEFORE_RECEIPT, Actor, ReturnType
from domain.stock import Location
from models import (
    JournalLine,
    OrderLine,
    Refund,
    ReturnEvent,
    ReturnLine,
    ReturnRequest,
    StockLevel,
    StockMovement,
    Survey,
)
from services.followup import add_tracking_number, reply_to_question, submit_survey
from services.inventory import scrap_defective
from services.ledger import is_balanced, trial_balance
from services.policies import save_policy_rule
from services.refunds import (
    exchange_due,
    record_exchange_payment,
    refund_return,
    refundable_amount,
    ship_replacement,
)
from services.review import (
    approve_return,
    ask_customer,
    cancel_return,
    close_return,
    expire_return,
    reject_return,
)
from services.submission import LineRequest, ReturnDraft, submit_return
from services.warehouse import Grades, inspect_return, receive_return
from tests.conftest import fresh_database
from tests.factories import ADMIN, FINANCE, REVIEWER, SYSTEM, WAREHOUSE, build_shop, place_order

# Sizing ---------------------------------------------------------------------------------

settings.register_profile(
    "returndesk-invariants-ci",
    max_examples=20,
    stateful_step_count=40,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "returndesk-invariants-thorough",
    max_examples=300,
    stateful_step_count=80,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def chosen_settings() -> settings:
    """The profile named by HYPOTHESIS_PROFILE (``ci`` unless told), for this test only."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    if name not in ("ci", "thorough"):
        name = "ci"
    return settings.get_profile(f"returndesk-invariants-{name}")


# The model, from SPEC §2 -----------------------------------------------------------------

START = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
STAFF = frozenset({"reviewer", "warehouse", "finance", "admin"})
CUSTOMERS = ("customer", "other")
ACTOR_KEYS = ("customer", "other", "reviewer", "warehouse", "finance", "admin", "system")
RIGHT = "right"
NO_REASON = frozenset({"size_fit", "changed_mind", "other"})
FEE_PERCENT = Decimal("10")  # restocking fee for no-reason returns, set in the shop below
SHIP_BACK_DAYS = 14
AUTO_CLOSE_DAYS = 7

# Who may take each action (the customer only on their own request).
MAY = {
    "approve": frozenset({"reviewer", "admin", "system"}),
    "reject": frozenset({"reviewer", "admin"}),
    "ask": frozenset({"reviewer", "admin"}),
    "reply": frozenset({"customer"}),
    "cancel": STAFF | {"customer"},
    "add_tracking": frozenset({"customer"}),
    "expire": frozenset({"system"}),
    "receive": frozenset({"warehouse", "admin"}),
    "inspect": frozenset({"warehouse", "admin"}),
    "refund": frozenset({"finance", "admin"}),
    "record_payment": frozenset({"finance", "admin"}),
    "ship": frozenset({"warehouse", "admin"}),
    "close": STAFF | {"system"},
    "scrap": frozenset({"warehouse", "admin"}),
}
# The role that normally takes the action ("right" in the actor strategy).
USUAL = {
    "approve": "reviewer",
    "reject": "reviewer",
    "ask": "admin",
    "reply": "customer",
    "cancel": "customer",
    "add_tracking": "customer",
    "receive": "warehouse",
    "inspect": "warehouse",
    "refund": "finance",
    "record_payment": "finance",
    "ship": "warehouse",
    "close": "finance",
    "scrap": "warehouse",
}
# From which status each action goes where (SPEC §2).
MOVES = {
    "approve": {"submitted": "approved"},
    "reject": {"submitted": "rejected"},
    "ask": {"submitted": "needs_info"},
    "reply": {"needs_info": "submitted"},
    "cancel": {"submitted": "cancelled", "needs_info": "cancelled", "approved": "cancelled"},
    "add_tracking": {"approved": "approved"},
    "expire": {"approved": "cancelled"},
    "receive": {"approved": "received"},
    "inspect": {"received": "inspected"},
    "refund": {"inspected": "refunded", "refunded": "refunded"},  # the rest of a partial refund
    "record_payment": {"inspected": "inspected"},
    "ship": {"inspected": "exchanged"},
    "close": {"refunded": "closed", "exchanged": "closed"},
}
FITS = {action: frozenset(moves) for action, moves in MOVES.items()} | {
    "survey": frozenset({"closed"})
}
VOID = ("cancelled", "rejected")
MISSING = 10**6
TABLES = [getattr(models, name)._meta.db_table for name in models.__all__]


def children_first() -> list[str]:
    """Every table, each after all the tables that refer to it."""
    every = [getattr(models, name) for name in models.__all__]

    def referrers(model: Any) -> list[Any]:
        return [
            other
            for other in every
            if other is not model
            and any(
                other._meta.fields_map[f].model_name == f"models.{model.__name__}"
                for f in other._meta.fk_fields | other._meta.o2o_fields
            )
        ]

    order: list[Any] = []

    def visit(model: Any) -> None:
        if model not in order:
            for other in referrers(model):
                visit(other)
            order.append(model)

    for model in every:
        visit(model)
    return [model._meta.db_table for model in order]


COUNT_ROWS = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t}) AS {t}" for t in TABLES)
SELLABLE, RESERVED = Location.SELLABLE, Location.RESERVED
QUARANTINE, DEFECTIVE = Location.QUARANTINE, Location.DEFECTIVE

actors = st.one_of(st.just(RIGHT), st.sampled_from(ACTOR_KEYS))
picks = st.integers(0, 12)  # 0–8: a request where the action fits, 9–11: any, 12: missing
texts = st.sampled_from(["Please send a photo of the label.", "ok", "", "   ", "x" * 2001])
trackings = st.sampled_from(["SF1234567890", "YT-0001", "no", "bad tracking!", ""])


@dataclass
class LineModel:
    id: int
    order_line_id: int
    product_id: int
    quantity: int
    unit_price: Decimal
    replacement_id: int | None
    replacement_price: Decimal | None
    received: int = 0
    resellable: int = 0
    defective: int = 0

    @property
    def accepted(self) -> int:
        return self.resellable + self.defective


@dataclass
class RequestModel:
    id: int
    owner: str
    customer_id: int
    type: ReturnType
    reason: str
    lines: list[LineModel]
    status: str = "submitted"
    changed_at: datetime = START
    deadline: datetime | None = None
    prepaid: Decimal = ZERO
    refunded: Decimal = ZERO
    surveyed: bool = False
    tracking: bool = False  # the customer gave the parcel's tracking number

    @property
    def fee_percent(self) -> Decimal:
        return FEE_PERCENT if self.reason in NO_REASON else Decimal(0)

    def accepted_value(self) -> Decimal:
        """What the customer paid for the accepted units, less restocking fees."""
        total = ZERO
        for line in self.lines:
            value = to_money(line.unit_price * line.accepted)
            total += value - percent_of(value, self.fee_percent)
        return total

    def owed(self) -> Decimal:
        return self.accepted_value() - self.refunded

    def replacement_value(self) -> Decimal:
        return sum(
            (to_money((line.replacement_price or ZERO) * line.accepted) for line in self.lines),
            ZERO,
        )

    def due(self) -> Decimal:
        return self.replacement_value() - self.accepted_value() - self.prepaid


@dataclass
class Outcome:
    """What the model expects: ``True`` must succeed, ``False`` must be refused, ``None`` either."""

    ok: bool | None
    target: str | None = None


# The event loop and the database of one test ---------------------------------------------


class Harness:
    """One event loop with one context, and one database wiped before each example."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.runner = asyncio.Runner()
        self.database: AbstractAsyncContextManager[Any] = fresh_database(kind)
        self.run(self.database.__aenter__())

    def run(self, coro: Awaitable[Any]) -> Any:
        return self.runner.run(coro)  # type: ignore[arg-type]

    async def wipe(self) -> None:
        """Empty every table, children first (much faster than TRUNCATE on PostgreSQL)."""
        await connections.get(self.kind).execute_script(
            " ".join(f"DELETE FROM {table};" for table in children_first())
        )

    def close(self) -> None:
        """Close the connections; like conftest's fixtures, leave the database to the server."""
        try:
            self.run(self.database.__aexit__(None, None, None))
        finally:
            self.runner.close()


@pytest.fixture
def harness(db_kind: str) -> Iterator[Harness]:
    h = Harness(db_kind)
    yield h
    h.close()


# Checks with real queries ------------------------------------------------------------------


async def stock_snapshot() -> dict[tuple[int, str], int]:
    rows = await StockLevel.all().values("product_id", "location", "quantity")
    return {(r["product_id"], str(r["location"])): r["quantity"] for r in rows}


async def movement_totals() -> dict[tuple[int, str], int]:
    totals: dict[tuple[int, str], int] = defaultdict(int)
    for column, sign in (("target", 1), ("source", -1)):
        rows = (
            await StockMovement.filter(**{f"{column}__isnull": False})
            .group_by("product_id", column)
            .annotate(total=Sum("quantity"))
            .values("product_id", column, "total")
        )
        for r in rows:
            totals[(r["product_id"], str(r[column]))] += sign * int(r["total"])
    return totals


async def database_state() -> dict[str, Any]:
    """Everything an action can change, to prove a refused one changed nothing."""
    connection = ReturnRequest._meta.db
    state: dict[str, Any] = dict((await connection.execute_query_dict(COUNT_ROWS))[0])
    state["levels"] = await stock_snapshot()
    state["requests"] = sorted(
        await ReturnRequest.all().values_list(
            "id", "status", "version", "tracking_number", "deadline_at", "updated_at"
        )
    )
    state["lines"] = sorted(
        await ReturnLine.all().values_list(
            "id", "received_quantity", "resellable", "defective", "refused"
        )
    )
    state["counters"] = sorted(await models.RmaCounter.all().values_list("year", "last_number"))
    return state


async def refund_totals() -> dict[int, Decimal]:
    rows = (
        await Refund.all()
        .group_by("request_id")
        .annotate(t=Sum("amount"))
        .values("request_id", "t")
    )
    return {r["request_id"]: round_money(Decimal(str(r["t"]))) for r in rows}


async def money_out_per_request() -> dict[int, Decimal]:
    """Cash and store credit given to the customer per request, from the journal."""
    rows = (
        await JournalLine.filter(account__in=[Account.CASH, Account.STORE_CREDIT])
        .group_by("entry__request_id", "account")
        .annotate(cr=Sum("credit"))
        .values("entry__request_id", "account", "cr")
    )
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:  # credits: refunds paid out; cash debits are exchange payments coming in
        out[r["entry__request_id"]] += round_money(Decimal(str(r["cr"] or 0)))
    return out


async def accepted_values() -> dict[int, Decimal]:
    """Per request: unit price × accepted units less the restocking fee, from the database."""
    fees: dict[int, dict[int, Decimal]] = {}
    for request_id, decision in await ReturnRequest.all().values_list("id", "policy_decision"):
        fees[request_id] = {
            line["order_line_id"]: Decimal(line["restocking_fee_percent"])
            for line in decision["lines"]
        }
    values: dict[int, Decimal] = defaultdict(lambda: ZERO)
    rows = await ReturnLine.all().values(
        "request_id", "order_line_id", "resellable", "defective", "order_line__unit_price"
    )
    for r in rows:
        value = to_money(
            Decimal(str(r["order_line__unit_price"])) * (r["resellable"] + r["defective"])
        )
        values[r["request_id"]] += value - percent_of(
            value, fees[r["request_id"]][r["order_line_id"]]
        )
    return values


async def held_per_order_line() -> dict[int, int]:
    """Units asked for by requests whose parcel has not arrived, plus units that arrived."""
    held: dict[int, int] = defaultdict(int)
    lines = ReturnLine.exclude(request__status__in=list(VOID))
    awaited = lines.filter(request__status__in=list(BEFORE_RECEIPT))
    for order_line_id, quantity in await awaited.values_list("order_line_id", "quantity"):
        held[order_line_id] += quantity
    arrived = lines.exclude(request__status__in=list(BEFORE_RECEIPT))
    for order_line_id, received in await arrived.values_list("order_line_id", "received_quantity"):
        held[order_line_id] += received
    return held


# The machine -------------------------------------------------------------------------------


class ReturnDesk(RuleBasedStateMachine):
    """Random actions on a small shop, checked against the model after every step."""

    harness: Harness

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(START)
        self.requests: list[RequestModel] = []
        self.status_changes = 0
        self.expected_stock: dict[tuple[int, str], int] = {}
        self.forced: RequestModel | None = None
        self.harness.run(self._set_up())

    async def _set_up(self) -> None:
        await self.harness.wipe()
        shop = await build_shop(self.clock)
        await place_order(
            self.clock,
            "SO-2",
            shop.customer.phone,
            START - timedelta(days=1),
            [("TEE-1", 3, "90.00"), ("CAP-1", 2, "60.00")],
            channel="retail",
        )
        await place_order(
            self.clock,
            "SO-3",
            shop.other.phone,
            START - timedelta(days=3),
            [("TEE-2", 2, "150.00"), ("MUG-1", 1, "75.00")],
        )
        await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
        await save_policy_rule("channel", "retail", {"auto_approve": True}, actor=ADMIN)
        self.customer_ids = {"customer": shop.customer.id, "other": shop.other.id}
        self.products = {sku: p.id for sku, p in shop.products.items()}
        self.orders = []
        for number in ("SO-1", "SO-2", "SO-3"):
            rows = (
                await OrderLine.filter(order__number=number)
                .order_by("id")
                .values("id", "order_id", "product_id", "unit_price", "order__customer_id")
            )
            self.orders.append(rows)
        self.expected_stock = await stock_snapshot()

    # helpers ----------------------------------------------------------------------------

    def actor(self, key: str, action: str, request: RequestModel | None) -> tuple[str, Actor]:
        if key == RIGHT:
            key = USUAL.get(action, "reviewer")
            if key == "customer" and request is not None:
                key = request.owner
        staff = {"reviewer": REVIEWER, "warehouse": WAREHOUSE, "finance": FINANCE, "admin": ADMIN}
        if key in staff:
            return key, staff[key]
        if key == "system":
            return key, SYSTEM
        return key, Actor.customer(self.customer_ids[key])

    def pick(self, action: str, choice: int) -> RequestModel | None:
        """Mostly a request where the action fits, sometimes any, sometimes none."""
        if self.forced is not None:
            return self.forced
        fitting = [r for r in self.requests if r.status in FITS[action]]
        if choice < 9 and fitting:
            return fitting[choice % len(fitting)]
        if choice < 12 and self.requests:
            return self.requests[choice % len(self.requests)]
        return None

    def may(self, key: str, action: str, request: RequestModel) -> bool:
        if key in CUSTOMERS:
            return "customer" in MAY[action] and key == request.owner
        return key in MAY[action]

    def outcome(self, key: str, action: str, request: RequestModel | None, valid: bool) -> Outcome:
        """Allowed by role and status, with valid input: must succeed; else must be refused."""
        if request is None or not self.may(key, action, request):
            return Outcome(False)
        target = MOVES[action].get(request.status)
        if target is None:
            return Outcome(False)
        return Outcome(valid, target)

    def attempt(self, outcome: Outcome, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run one action; a refusal must be expected and must change nothing."""
        before = self.harness.run(database_state())
        refusal: DomainError | None = None
        try:
            result = self.harness.run(call())
        except DomainError as error:
            refusal = error
        if refusal is not None:
            assert outcome.ok is not True, f"refused unexpectedly: {refusal!r}"
            after = self.harness.run(database_state())
            assert after == before, f"refused ({refusal.code}) but changed the database"
            return None
        assert outcome.ok is not False, "should have been refused"
        return result if result is not None else True

    def moved(self, request: RequestModel, status: str) -> None:
        if status != request.status:
            self.status_changes += 1
            request.changed_at = self.clock.now()
        request.status = status

    def stock(self, product_id: int | None, location: Location, change: int) -> None:
        assert product_id is not None
        self.expected_stock[(product_id, str(location))] += change

    def reserve(self, request: RequestModel, sign: int, units: Callable[[LineModel], int]) -> None:
        """Hold (+1) or give back (-1) the replacements' units in reserved stock."""
        if request.type is not ReturnType.EXCHANGE:
            return
        for line in request.lines:
            if units(line):
                self.stock(line.replacement_id, RESERVED, sign * units(line))
                self.stock(line.replacement_id, SELLABLE, -sign * units(line))

    def can_reserve(self, request: RequestModel) -> bool:
        if request.type is not ReturnType.EXCHANGE:
            return True
        wanted: dict[int | None, int] = defaultdict(int)
        for line in request.lines:
            wanted[line.replacement_id] += line.quantity
        return all(
            self.expected_stock[(pid, str(SELLABLE))] >= n for pid, n in wanted.items() if pid
        )

    def approved(self, request: RequestModel) -> None:
        self.moved(request, "approved")
        request.deadline = self.clock.now() + timedelta(days=SHIP_BACK_DAYS)
        self.reserve(request, 1, lambda line: line.quantity)

    def run_step(self, outcome: Outcome, call: Callable[[], Awaitable[Any]]) -> bool:
        """Attempt an action on a request; on success its new status must be the model's."""
        result = self.attempt(outcome, call)
        if result is None:
            return False
        assert str(result.status) == outcome.target, (result.status, outcome.target)
        return True

    # rules: submitting --------------------------------------------------------------------

    @initialize(
        drafts=st.lists(
            st.tuples(
                st.integers(0, 2),
                st.sampled_from(ReturnType),
                st.integers(0, 2),
                st.sampled_from(["TEE-1", "TEE-2", "MUG-1"]),
                st.sampled_from(["quality_defect", "changed_mind"]),
            ),
            min_size=1,
            max_size=3,
        )
    )
    def open_some(self, drafts) -> None:
        """Start with a few requests, so that sequences reach the later stages."""
        for order, kind, line, replacement, reason in drafts:
            self.submit(order, kind, [(line, 1)], replacement, reason)

    @rule(
        order=st.integers(0, 2),
        kind=st.sampled_from(ReturnType),
        items=st.lists(st.tuples(st.integers(0, 3), st.integers(1, 2)), min_size=1, max_size=2),
        replacement=st.sampled_from(["TEE-1", "TEE-2", "CAP-1", "MUG-1"]),
        reason=st.sampled_from(["quality_defect", "wrong_item", "changed_mind", "size_fit"]),
    )
    def submit(self, order, kind, items, replacement, reason) -> None:
        """A well-formed draft by the order's customer (the policy may still refuse it)."""
        size = len(self.orders[order])
        wanted = {i % size: n for i, n in items}
        self._submit(RIGHT, order, kind, list(wanted.items()), replacement, reason, photos=1)

    @rule(
        key=st.sampled_from((RIGHT, *ACTOR_KEYS)),
        order=st.integers(0, 2),
        kind=st.sampled_from(ReturnType),
        items=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), max_size=3),
        replacement=st.sampled_from(["TEE-1", "TEE-2", "CAP-1", "MUG-1"]),
        reason=st.sampled_from(["quality_defect", "changed_mind", "nope"]),
        photos=st.integers(0, 6),
    )
    def submit_anything(self, key, order, kind, items, replacement, reason, photos) -> None:
        """Any draft by anyone: too many units, repeated or no lines, no photos, bad reasons."""
        self._submit(key, order, kind, items, replacement, reason, photos)

    def _submit(self, key, order, kind, items, replacement, reason, photos) -> None:
        lines = self.orders[order]
        owner = "customer" if order < 2 else "other"
        key, actor = self.actor(owner if key == RIGHT else key, "submit", None)
        exchange = kind is ReturnType.EXCHANGE
        draft = ReturnDraft(
            order_id=lines[0]["order_id"],
            type=kind,
            reason_code=reason,
            lines=tuple(
                LineRequest(
                    lines[i % len(lines)]["id"], n, self.products[replacement] if exchange else None
                )
                for i, n in items
            ),
            photos=tuple(f"photo-{n}" for n in range(photos)),
        )
        view = self.attempt(
            Outcome(False if key != owner else None),  # staff and strangers may not submit
            lambda: submit_return(draft, actor=actor, clock=self.clock),
        )
        if view is not None:
            self.harness.run(self._submitted(view, owner, reason, channel=order == 1))

    async def _submitted(self, view: Any, owner: str, reason: str, *, channel: bool) -> None:
        rows = (
            await ReturnLine.filter(request_id=view.id)
            .order_by("id")
            .prefetch_related("order_line", "replacement_product")
        )
        request = RequestModel(
            id=view.id,
            owner=owner,
            customer_id=self.customer_ids[owner],
            type=view.type,
            reason=reason,
            lines=[
                LineModel(
                    id=r.id,
                    order_line_id=r.order_line_id,
                    product_id=r.order_line.product_id,
                    quantity=r.quantity,
                    unit_price=r.order_line.unit_price,
                    replacement_id=r.replacement_product_id,
                    replacement_price=r.replacement_unit_price,
                )
                for r in rows
            ],
            status="",
            changed_at=self.clock.now(),
        )
        self.requests.append(request)
        self.moved(request, "submitted")
        if str(view.status) == "approved":
            assert channel, "only the retail channel auto-approves"
            self.approved(request)
        else:
            assert str(view.status) == "submitted"

    # rules: the usual next step -----------------------------------------------------------

    @precondition(lambda self: self.requests)
    @rule(
        choice=st.integers(0, 20),
        variants=st.lists(st.integers(0, 11), min_size=1, max_size=6),
    )
    def progress(self, choice, variants) -> None:
        """The usual next steps of a request, by the right people with good input (the
        warehouse now and then scraps the defective units one brought back)."""
        self.forced = self.requests[choice % len(self.requests)]
        try:
            for step, variant in enumerate(variants):
                if step:
                    self.books_are_true()
                self._next_step(self.forced, variant)
        finally:
            self.forced = None

    # Hypothesis picks rules evenly (and switches some off per example): a second name for
    # the same rule gives progress enough weight among the many ways of being refused.
    progress_again = progress

    def _next_step(self, request: RequestModel, variant: int) -> None:
        steps: dict[str, Callable[[], None]] = {
            "submitted": lambda: (
                self.ask(RIGHT, 0, "Which size?")
                if variant == 0
                else self.approve(RIGHT, 0, stale=False)
            ),
            "needs_info": lambda: self.reply(RIGHT, 0, "Here it is", 1),
            "approved": lambda: self.receive(
                RIGHT,
                0,
                [line.quantity - (variant + i) % 2 for i, line in enumerate(request.lines)],
                False,
            ),
            "received": lambda: self.inspect(
                RIGHT, 0, [(variant % 3, variant // 3 % 3, 0)] * len(request.lines), True
            ),
            "inspected": lambda: self._settle(request, variant),
            "refunded": lambda: (
                self._settle(request, variant) if request.owed() else self.close(RIGHT, 0)
            ),
            "exchanged": lambda: self.close(RIGHT, 0),
            "closed": lambda: self.survey(RIGHT, 0, 1 + variant % 5),
        }
        if variant % 3 == 0 and self._brought_back_defective(request):
            self.scrap(RIGHT, 0, ("one", "all")[variant % 2], "Cracked")
        elif request.status in steps:
            steps[request.status]()

    def _brought_back_defective(self, request: RequestModel) -> bool:
        """Whether units this request brought back are still held as defective."""
        return any(
            line.defective and self.expected_stock[(line.product_id, str(DEFECTIVE))] > 0
            for line in request.lines
        )

    def _settle(self, request: RequestModel, variant: int) -> None:
        """Refund, or pay the difference and ship; now and then a cent too much first."""
        if request.type is ReturnType.REFUND:
            how = ("full", "half", "owed", "too_much")[variant % 4]
            self.refund(RIGHT, 0, how, list(RefundMethod)[variant % 4])
        elif request.due() > 0:
            self.record_payment(RIGHT, 0, ("owed", "half", "too_much")[variant % 3])
        else:
            self.ship(RIGHT, 0, "SF1234567890")

    # rules: review ------------------------------------------------------------------------

    @rule(key=actors, choice=picks, stale=st.sampled_from([False, False, False, True]))
    def approve(self, key, choice, stale) -> None:
        request = self.pick("approve", choice)
        key, actor = self.actor(key, "approve", request)
        valid = request is not None and self.can_reserve(request)
        outcome = self.outcome(key, "approve", request, valid=valid)
        version = None
        if stale and request is not None:  # someone else changed it since this page was shown
            version = self.harness.run(_version(request.id)) - 1
            outcome = Outcome(False)
        rid = _id(request)
        if self.run_step(
            outcome,
            lambda: approve_return(rid, actor=actor, clock=self.clock, expected_version=version),
        ):
            self.approved(request)

    @rule(key=actors, choice=picks, reason=texts)
    def reject(self, key, choice, reason) -> None:
        request = self.pick("reject", choice)
        key, actor = self.actor(key, "reject", request)
        outcome = self.outcome(key, "reject", request, valid=_text_ok(reason))
        rid = _id(request)
        if self.run_step(
            outcome, lambda: reject_return(rid, reason, actor=actor, clock=self.clock)
        ):
            self.moved(request, "rejected")

    @rule(key=actors, choice=picks, question=texts)
    def ask(self, key, choice, question) -> None:
        request = self.pick("ask", choice)
        key, actor = self.actor(key, "ask", request)
        outcome = self.outcome(key, "ask", request, valid=_text_ok(question))
        rid = _id(request)
        if self.run_step(
            outcome, lambda: ask_customer(rid, question, actor=actor, clock=self.clock)
        ):
            self.moved(request, "needs_info")

    @rule(key=actors, choice=picks, text=texts, photos=st.integers(0, 6))
    def reply(self, key, choice, text, photos) -> None:
        request = self.pick("reply", choice)
        key, actor = self.actor(key, "reply", request)
        files = tuple(f"reply-{n}" for n in range(photos))
        valid = photos <= 5 and (_text_ok(text) or (photos > 0 and len(text.strip()) <= 2000))
        outcome = self.outcome(key, "reply", request, valid=valid)
        rid = _id(request)
        if self.run_step(
            outcome, lambda: reply_to_question(rid, text, files, actor=actor, clock=self.clock)
        ):
            self.moved(request, "submitted")

    @rule(key=actors, choice=picks)
    def cancel(self, key, choice) -> None:
        request = self.pick("cancel", choice)
        key, actor = self.actor(key, "cancel", request)
        outcome = self.outcome(key, "cancel", request, valid=True)
        rid = _id(request)
        if self.run_step(
            outcome, lambda: cancel_return(rid, actor=actor, clock=self.clock, reason="no need")
        ):
            if request.status == "approved":
                self.reserve(request, -1, lambda line: line.quantity)
            self.moved(request, "cancelled")

    @rule(key=actors, choice=picks, tracking=trackings)
    def add_tracking(self, key, choice, tracking) -> None:
        request = self.pick("add_tracking", choice)
        key, actor = self.actor(key, "add_tracking", request)
        outcome = self.outcome(key, "add_tracking", request, valid=_tracking_ok(tracking))
        rid = _id(request)
        if self.run_step(
            outcome, lambda: add_tracking_number(rid, tracking, actor=actor, clock=self.clock)
        ):
            request.tracking = True

    # rules: time --------------------------------------------------------------------------

    @rule(hours=st.sampled_from([1, 20, 72, 24 * 8, 24 * 15]))
    def tick(self, hours) -> None:
        self.clock.advance(timedelta(hours=hours))

    @rule(choice=picks, jump=st.booleans())
    def expire(self, choice, jump) -> None:
        request = self.pick("expire", choice)
        deadline = request.deadline if request else None
        if jump and deadline is not None and deadline > self.clock.now():
            self.clock.set(deadline + timedelta(minutes=1))
        passed = deadline is not None and self.clock.now() >= deadline
        on_its_way = request is not None and request.tracking  # expiry spares those
        outcome = self.outcome("system", "expire", request, valid=passed and not on_its_way)
        rid = _id(request)
        if self.run_step(outcome, lambda: expire_return(rid, clock=self.clock)):
            self.reserve(request, -1, lambda line: line.quantity)
            self.moved(request, "cancelled")

    # rules: warehouse ---------------------------------------------------------------------

    @rule(
        key=actors,
        choice=picks,
        counts=st.lists(st.integers(-1, 4), max_size=4),
        stranger=st.booleans(),
    )
    def receive(self, key, choice, counts, stranger) -> None:
        request = self.pick("receive", choice)
        key, actor = self.actor(key, "receive", request)
        lines = request.lines if request else []
        received = {line.id: n for line, n in zip(lines, counts, strict=False)}
        if stranger and not received:
            received[MISSING] = 1
        valid = (
            MISSING not in received
            and all(0 <= n <= line.quantity for line, n in zip(lines, counts, strict=False))
            and any(received.values())
        )
        outcome = self.outcome(key, "receive", request, valid=valid)
        rid = _id(request)
        if self.run_step(
            outcome, lambda: receive_return(rid, received, actor=actor, clock=self.clock)
        ):
            for line in request.lines:
                line.received = received.get(line.id, 0)
                if line.received:
                    self.stock(line.product_id, QUARANTINE, line.received)
            self.moved(request, "received")

    @rule(
        key=actors,
        choice=picks,
        splits=st.lists(
            st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)), max_size=4
        ),
        exact=st.booleans(),
    )
    def inspect(self, key, choice, splits, exact) -> None:
        request = self.pick("inspect", choice)
        key, actor = self.actor(key, "inspect", request)
        grades = _grades(request.lines if request else [], splits, exact)
        lines = request.lines if request else []
        valid = all(grades.get(line.id, Grades()).total == line.received for line in lines)
        outcome = self.outcome(key, "inspect", request, valid=valid)
        if not any(g.resellable + g.defective for g in grades.values()):
            outcome.target = "rejected"  # every unit refused
        rid = _id(request)
        if self.run_step(
            outcome, lambda: inspect_return(rid, grades, actor=actor, clock=self.clock)
        ):
            self._inspected(request, grades)

    def _inspected(self, request: RequestModel, grades: dict[int, Grades]) -> None:
        for line in request.lines:
            graded = grades.get(line.id, Grades())
            line.resellable, line.defective = graded.resellable, graded.defective
            if line.received:
                self.stock(line.product_id, QUARANTINE, -line.received)
            if graded.resellable:
                self.stock(line.product_id, SELLABLE, graded.resellable)
            if graded.defective:
                self.stock(line.product_id, DEFECTIVE, graded.defective)
        if not any(line.accepted for line in request.lines):
            self.reserve(request, -1, lambda line: line.quantity)
            self.moved(request, "rejected")
        else:
            self.reserve(request, -1, lambda line: line.quantity - line.accepted)
            self.moved(request, "inspected")

    @rule(
        key=actors,
        choice=picks,
        how=st.sampled_from(["one", "all", "too_many", "zero", "negative"]),
        note=st.sampled_from(["Cracked", "Cracked", "", "x" * 2001]),
    )
    def scrap(self, key, choice, how, note) -> None:
        """Scrap defective units of a product, by anyone, of any count, with any note."""
        key, actor = self.actor(key, "scrap", None)
        product_id = self.product_to_scrap(choice)
        held = self.expected_stock.get((product_id, str(DEFECTIVE)), 0)
        quantity = {"one": 1, "all": held, "too_many": held + 1, "zero": 0, "negative": -1}[how]
        valid = 0 < quantity <= held and _text_ok(note)
        call = lambda: scrap_defective(product_id, quantity, note, actor=actor, clock=self.clock)  # noqa: E731
        if self.attempt(Outcome(key in MAY["scrap"] and valid), call) is not None:
            self.stock(product_id, DEFECTIVE, -quantity)

    def product_to_scrap(self, choice: int) -> int:
        """Mostly a product with defective units, sometimes any, sometimes none."""
        defective = sorted(
            product_id
            for (product_id, location), units in self.expected_stock.items()
            if location == str(DEFECTIVE) and units > 0
        )
        if choice < 9 and defective:
            return defective[choice % len(defective)]
        every = sorted(self.products.values())
        return every[choice % len(every)] if choice < 12 else MISSING

    # rules: money -------------------------------------------------------------------------

    @rule(
        key=actors,
        choice=picks,
        how=st.sampled_from(["full", "owed", "half", "cent", "too_much", "zero", "negative"]),
        method=st.sampled_from(RefundMethod),
    )
    def refund(self, key, choice, how, method) -> None:
        request = self.pick("refund", choice)
        key, actor = self.actor(key, "refund", request)
        owed = request.owed() if request else Decimal("1.00")
        amount = _amount(how, owed)
        is_refund = request is not None and request.type is ReturnType.REFUND
        valid = is_refund and ZERO < (owed if amount is None else amount) <= owed
        outcome = self.outcome(key, "refund", request, valid=valid)
        rid = _id(request)
        if self.run_step(
            outcome,
            lambda: refund_return(rid, actor=actor, clock=self.clock, method=method, amount=amount),
        ):
            request.refunded += owed if amount is None else amount
            self.moved(request, "refunded")

    @rule(key=actors, choice=picks, how=st.sampled_from(["owed", "half", "too_much", "zero"]))
    def record_payment(self, key, choice, how) -> None:
        request = self.pick("record_payment", choice)
        key, actor = self.actor(key, "record_payment", request)
        exchange = request is not None and request.type is ReturnType.EXCHANGE
        if exchange and request.status == "inspected":
            assert self.harness.run(exchange_due(request.id)) == request.due()
        due = request.due() if request else Decimal("1.00")
        amount = _amount(how, due) or ZERO
        outcome = self.outcome(
            key, "record_payment", request, valid=exchange and ZERO < amount <= due
        )
        rid = _id(request)
        if self.run_step(
            outcome, lambda: record_exchange_payment(rid, amount, actor=actor, clock=self.clock)
        ):
            request.prepaid += amount

    @rule(key=actors, choice=picks, tracking=trackings)
    def ship(self, key, choice, tracking) -> None:
        request = self.pick("ship", choice)
        key, actor = self.actor(key, "ship", request)
        exchange = request is not None and request.type is ReturnType.EXCHANGE
        valid = exchange and _tracking_ok(tracking) and request.due() <= 0
        outcome = self.outcome(key, "ship", request, valid=valid)
        rid = _id(request)
        if self.run_step(
            outcome, lambda: ship_replacement(rid, tracking, actor=actor, clock=self.clock)
        ):
            request.refunded += max(-request.due(), ZERO)
            for line in request.lines:
                if line.accepted:
                    self.stock(line.replacement_id, RESERVED, -line.accepted)
            self.moved(request, "exchanged")

    # rules: the end -----------------------------------------------------------------------

    @rule(key=actors, choice=picks)
    def close(self, key, choice) -> None:
        request = self.pick("close", choice)
        key, actor = self.actor(key, "close", request)
        due = request is not None and self.clock.now() >= request.changed_at + timedelta(
            days=AUTO_CLOSE_DAYS
        )
        settled = request is not None and (request.status != "refunded" or not request.owed())
        outcome = self.outcome(key, "close", request, valid=(key != "system" or due) and settled)
        rid = _id(request)
        if self.run_step(outcome, lambda: close_return(rid, actor=actor, clock=self.clock)):
            self.moved(request, "closed")

    @rule(key=actors, choice=picks, score=st.integers(0, 6))
    def survey(self, key, choice, score) -> None:
        request = self.pick("survey", choice)
        if key == RIGHT:
            key = request.owner if request else "customer"
        key, actor = self.actor(key, "survey", request)
        ok = (
            request is not None
            and key == request.owner
            and request.status == "closed"
            and not request.surveyed
            and 1 <= score <= 5
        )
        rid = _id(request)
        call = lambda: submit_survey(rid, score, "thanks", actor=actor, clock=self.clock)  # noqa: E731
        if self.attempt(Outcome(ok), call) is not None:
            request.surveyed = True

    # invariants ---------------------------------------------------------------------------

    @invariant()
    def books_are_true(self) -> None:
        self.harness.run(self._check())

    async def _check(self) -> None:
        assert is_balanced(await trial_balance()), await trial_balance()
        await self._check_stock()
        await self._check_order_lines()
        await self._check_money()
        await self._check_exchanges_due()
        await self._check_events()

    async def _check_stock(self) -> None:
        levels = await stock_snapshot()
        moved = await movement_totals()
        for key, quantity in levels.items():
            assert quantity >= 0, f"negative level {key}: {quantity}"
            assert quantity == moved.get(key, 0), f"level {key} {quantity} != movements"
        assert set(moved) <= set(levels)
        assert levels == self.expected_stock

    async def _check_order_lines(self) -> None:
        bought = dict(await OrderLine.all().values_list("id", "quantity"))
        for order_line_id, held in (await held_per_order_line()).items():
            assert held <= bought[order_line_id], f"order line {order_line_id}: {held} returned"

    async def _check_money(self) -> None:
        refunds = await refund_totals()
        accepted = await accepted_values()
        out = await money_out_per_request()
        surveys = set(await Survey.all().values_list("request_id", flat=True))
        for request in self.requests:
            paid = accepted.get(request.id, ZERO)
            assert paid == request.accepted_value()
            assert refunds.get(request.id, ZERO) == request.refunded
            assert request.refunded <= paid, f"{request.id} refunded more than paid"
            assert out.get(request.id, ZERO) <= paid, f"{request.id}: money out exceeds paid"
            assert (request.id in surveys) == request.surveyed

    async def _check_exchanges_due(self) -> None:
        """What a waiting exchange's customer owes, and what a refund's customer is still owed,
        are kept on the request as the ledger has them."""
        waiting = ReturnRequest.filter(status="inspected", type=ReturnType.EXCHANGE)
        for request_id, kept in await waiting.values_list("id", "exchange_due"):
            assert kept == await exchange_due(request_id), f"{request_id}: owes {kept}?"
        refunds = ReturnRequest.filter(status__in=["inspected", "refunded"], type="refund")
        for request_id, kept in await refunds.values_list("id", "refund_due"):
            assert kept == await refundable_amount(request_id), f"{request_id}: owed {kept}?"

    async def _check_events(self) -> None:
        events = (
            await ReturnEvent.all()
            .order_by("id")
            .values_list("request_id", "from_status", "to_status")
        )
        changes = sum(1 for _, source, target in events if source != target)
        assert changes == self.status_changes
        latest = {request_id: str(target) for request_id, _, target in events}
        counts: dict[int, int] = defaultdict(int)
        for request_id, _, _ in events:
            counts[request_id] += 1
        rows = await ReturnRequest.all().values_list("id", "status", "version")
        assert len(rows) == len(self.requests)
        model = {r.id: r.status for r in self.requests}
        for request_id, status, version in rows:
            assert latest[request_id] == str(status) == model[request_id]
            assert version == counts[request_id], "every change bumps the version once"


# Small pure helpers ----------------------------------------------------------------------


def _text_ok(text: str) -> bool:
    return bool(text.strip()) and len(text.strip()) <= 2000


def _tracking_ok(tracking: str) -> bool:
    return 4 <= len(tracking) <= 40 and all(c.isalnum() or c == "-" for c in tracking)


def _amount(how: str, owed: Decimal) -> Decimal | None:
    amounts = {
        "full": None,
        "owed": owed,
        "half": round_money(owed / 2),
        "cent": Decimal("0.01"),
        "too_much": owed + Decimal("0.01"),
        "zero": ZERO,
        "negative": Decimal("-1.00"),
    }
    return amounts[how]


def _id(request: RequestModel | None) -> int:
    return MISSING if request is None else request.id


async def _version(request_id: int) -> int:
    return (await ReturnRequest.get(id=request_id)).version


def _grades(
    lines: list[LineModel], splits: list[tuple[int, int, int]], exact: bool
) -> dict[int, Grades]:
    """Grades per line: random counts, or (``exact``) a split of what was received."""
    grades = {}
    for line, (good, bad, refused) in zip(lines, splits, strict=False):
        if exact:
            a = min(good, line.received)
            b = min(bad, line.received - a)
            grades[line.id] = Grades(a, b, line.received - a - b)
        else:
            grades[line.id] = Grades(good, bad, refused)
    if exact:
        for line in lines[len(splits) :]:
            grades[line.id] = Grades(line.received, 0, 0)
    return grades


def test_random_actions_keep_the_books_true(harness: Harness) -> None:
    machine = type("ReturnDeskOn" + harness.kind.title(), (ReturnDesk,), {"harness": harness})
    run_state_machine_as_test(machine, settings=chosen_settings())
