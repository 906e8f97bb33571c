"""The one error tree of ReturnDesk.

Every refused action raises a ``DomainError`` subclass with a stable ``code`` and the
``params`` an adapter needs to explain it in the reader's language::

    DomainError
    ├── NotFound                 (something does not exist or is not the actor's)
    ├── PermissionDenied         (the actor's role may not take this action)
    ├── InvalidTransition        (the action is not allowed from this status)
    ├── ConcurrentModification   (the request changed meanwhile)
    ├── ValidationError          (bad input: quantities, amounts, text)
    ├── PolicyViolation          (the shop's return policy forbids it)
    └── InsufficientStock        (not enough sellable or reserved stock)
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of all refusals; ``code`` is stable, ``params`` explain it."""

    code = "error"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or type(self).code
        self.params = params
        super().__init__(f"{self.code} {params}" if params else self.code)


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class ConcurrentModification(DomainError):
    code = "changed_meanwhile"


class ValidationError(DomainError):
    code = "invalid_input"


class PolicyViolation(DomainError):
    code = "policy_violation"


class InsufficientStock(DomainError):
    code = "insufficient_stock"
