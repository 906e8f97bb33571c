"""The lifecycle of a return request as data (SPEC §2).

``TRANSITIONS[(status, action)]`` is the status an action leads to; anything missing is
refused. ``ACTION_ROLES[action]`` says who may take it. ``docs/architecture.md`` carries a
Mermaid diagram generated from this table (a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidTransition


class Status(StrEnum):
    SUBMITTED = "submitted"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    CLOSED = "closed"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ASK = "ask"
    REPLY = "reply"
    CANCEL = "cancel"
    ADD_TRACKING = "add_tracking"
    EXPIRE = "expire"
    RECEIVE = "receive"
    INSPECT = "inspect"
    REFUND = "refund"
    RECORD_PAYMENT = "record_payment"
    SHIP_REPLACEMENT = "ship_replacement"
    CLOSE = "close"


class Role(StrEnum):
    CUSTOMER = "customer"
    REVIEWER = "reviewer"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    ADMIN = "admin"
    SYSTEM = "system"


class ReturnType(StrEnum):
    REFUND = "refund"
    EXCHANGE = "exchange"


S, A = Status, Action

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.SUBMITTED, A.ASK): S.NEEDS_INFO,
    (S.NEEDS_INFO, A.REPLY): S.SUBMITTED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.NEEDS_INFO, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.ADD_TRACKING): S.APPROVED,
    (S.APPROVED, A.EXPIRE): S.CANCELLED,
    (S.APPROVED, A.RECEIVE): S.RECEIVED,
    (S.RECEIVED, A.INSPECT): S.INSPECTED,
    (S.INSPECTED, A.REFUND): S.REFUNDED,
    (S.INSPECTED, A.RECORD_PAYMENT): S.INSPECTED,
    (S.INSPECTED, A.SHIP_REPLACEMENT): S.EXCHANGED,
    (S.REFUNDED, A.REFUND): S.REFUNDED,  # the rest of a partial refund
    (S.REFUNDED, A.CLOSE): S.CLOSED,
    (S.EXCHANGED, A.CLOSE): S.CLOSED,
}

# Inspection that refuses every unit ends the request as rejected instead of inspected.
INSPECTION_ALL_REFUSED = S.REJECTED

STAFF = frozenset({Role.REVIEWER, Role.WAREHOUSE, Role.FINANCE, Role.ADMIN})

ACTION_ROLES: dict[Action, frozenset[Role]] = {
    A.APPROVE: frozenset({Role.REVIEWER, Role.ADMIN, Role.SYSTEM}),
    A.REJECT: frozenset({Role.REVIEWER, Role.ADMIN}),
    A.ASK: frozenset({Role.REVIEWER, Role.ADMIN}),
    A.REPLY: frozenset({Role.CUSTOMER}),
    A.CANCEL: frozenset({Role.CUSTOMER}) | STAFF,
    A.ADD_TRACKING: frozenset({Role.CUSTOMER}),
    A.EXPIRE: frozenset({Role.SYSTEM}),
    A.RECEIVE: frozenset({Role.WAREHOUSE, Role.ADMIN}),
    A.INSPECT: frozenset({Role.WAREHOUSE, Role.ADMIN}),
    A.REFUND: frozenset({Role.FINANCE, Role.ADMIN}),
    A.RECORD_PAYMENT: frozenset({Role.FINANCE, Role.ADMIN}),
    A.SHIP_REPLACEMENT: frozenset({Role.WAREHOUSE, Role.ADMIN}),
    A.CLOSE: frozenset({Role.SYSTEM}) | STAFF,
}

OPEN_STATUSES = frozenset({S.SUBMITTED, S.NEEDS_INFO, S.APPROVED, S.RECEIVED, S.INSPECTED})
# Returns in these statuses no longer hold any quantity of their order lines.
VOID_STATUSES = frozenset({S.CANCELLED, S.REJECTED})
# Until its parcel is received a request holds the units it asks for; from then on, the
# units that arrived (those that never did are the customer's to return again).
BEFORE_RECEIPT = frozenset({S.SUBMITTED, S.NEEDS_INFO, S.APPROVED})


@dataclass(frozen=True)
class Actor:
    """Who takes an action: a customer, a staff member or the system itself."""

    roles: frozenset[Role]
    id: int | None = None
    label: str = ""

    @classmethod
    def customer(cls, customer_id: int) -> Actor:
        return cls(frozenset({Role.CUSTOMER}), customer_id, f"customer:{customer_id}")

    @classmethod
    def staff(cls, staff_id: int, username: str, roles: frozenset[Role] | set[Role]) -> Actor:
        return cls(frozenset(roles) & STAFF, staff_id, f"staff:{username}")

    @classmethod
    def system(cls, reason: str = "system") -> Actor:
        return cls(frozenset({Role.SYSTEM}), None, reason)

    @property
    def is_customer(self) -> bool:
        return Role.CUSTOMER in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF)


def can_take(actor: Actor, action: Action) -> bool:
    """Tell whether the actor's roles allow ``action`` at all."""
    return bool(actor.roles & ACTION_ROLES[action])


# Who may hand a request to someone else or take it from them; anyone on the staff may take
# a request themselves and let go of their own.
ASSIGNERS = frozenset({Role.REVIEWER, Role.ADMIN})


def can_assign(actor: Actor, current: int | None, assignee: int | None) -> bool:
    """Tell whether the actor may move a request from ``current`` to ``assignee`` (staff
    ids; None is nobody)."""
    if not actor.is_staff:
        return False
    if actor.roles & ASSIGNERS:
        return True
    return actor.id == (assignee if assignee is not None else current)


def is_finished(status: Status) -> bool:
    """Tell whether nothing more can happen to a request in ``status``."""
    return all(source != status for source, _action in TRANSITIONS)


def next_status(status: Status, action: Action) -> Status:
    """Return the status ``action`` leads to from ``status``, or raise InvalidTransition."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidTransition(status=str(status), action=str(action)) from None


# Actions that make no sense for the other type of request.
NOT_FOR_TYPE: dict[ReturnType, frozenset[Action]] = {
    ReturnType.REFUND: frozenset({A.RECORD_PAYMENT, A.SHIP_REPLACEMENT}),
    ReturnType.EXCHANGE: frozenset({A.REFUND}),
}


def allowed_actions(actor: Actor, status: Status, kind: ReturnType | None = None) -> list[Action]:
    """List the actions this actor may take on a request in ``status`` (of type ``kind``)."""
    excluded = NOT_FOR_TYPE[kind] if kind else frozenset()
    return [a for (s, a) in TRANSITIONS if s == status and can_take(actor, a) and a not in excluded]


def mermaid_diagram() -> str:
    """Render TRANSITIONS as a Mermaid state diagram."""
    lines = ["stateDiagram-v2", "    [*] --> submitted: confirm"]
    for (source, action), target in TRANSITIONS.items():
        lines.append(f"    {source} --> {target}: {action}")
    lines.append(f"    received --> {INSPECTION_ALL_REFUSED}: inspect (all refused)")
    lines.extend(f"    {s} --> [*]" for s in (S.CLOSED, S.REJECTED, S.CANCELLED))
    return "\n".join(lines) + "\n"
