"""The menu: each page by route name, its label and who sees it (admins see everything)."""

from __future__ import annotations

from backoffice.messages import N_
from domain.returns import Actor, Role

R, W, F = Role.REVIEWER, Role.WAREHOUSE, Role.FINANCE
MENU: list[tuple[str, str, frozenset[Role]]] = [
    ("dashboard", N_("Dashboard"), frozenset({R, W, F})),
    ("queue", N_("Returns"), frozenset({R, W, F})),
    ("inventory", N_("Inventory"), frozenset({W})),
    ("finance", N_("Finance"), frozenset({F})),
    ("customers", N_("Customers"), frozenset({R, F})),
    ("reports", N_("Reports"), frozenset({R, F})),
    ("policies", N_("Policies"), frozenset()),
    ("staff", N_("Staff"), frozenset()),
    ("tokens", N_("API tokens"), frozenset()),
    ("imports", N_("Import"), frozenset()),
    ("audit", N_("Audit log"), frozenset()),
]


def menu_for(actor: Actor | None, route_names: set[str]) -> list[tuple[str, str]]:
    """The pages this actor may open, among those the app serves."""
    if actor is None:
        return []
    admin = Role.ADMIN in actor.roles
    return [
        (name, label)
        for name, label, roles in MENU
        if name in route_names and (admin or actor.roles & roles)
    ]
