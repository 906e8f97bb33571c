"""Frozen values the services hand out: adapters never touch ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.policy import PolicyDecision
from domain.returns import ReturnType, Status
from models import ReturnRequest


@dataclass(frozen=True)
class ReturnView:
    id: int
    number: str
    status: Status
    type: ReturnType
    version: int
    customer_id: int
    order_id: int
    reason_code: str
    description: str
    tracking_number: str
    decision: PolicyDecision
    deadline_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, request: ReturnRequest) -> ReturnView:
        return cls(
            id=request.id,
            number=request.number,
            status=Status(request.status),
            type=ReturnType(request.type),
            version=request.version,
            customer_id=request.customer_id,
            order_id=request.order_id,
            reason_code=request.reason_code,
            description=request.description,
            tracking_number=request.tracking_number,
            decision=PolicyDecision.from_snapshot(request.policy_decision),
            deadline_at=request.deadline_at,
            created_at=request.created_at,
        )
