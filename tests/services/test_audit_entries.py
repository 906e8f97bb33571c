"""Every admin change outside a request leaves exactly one audit entry, by its actor, in the
same transaction as the change (a refused or failed change leaves none), on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from domain.clock import FakeClock
from domain.errors import DomainError, PermissionDenied
from domain.returns import Actor, Role
from models import AuditEntry, PolicyRule, Product, StaffUser
from services import imports, policies
from services.imports import ImportRejected, import_file, read_csv
from services.policies import (
    add_reason_code,
    delete_policy_rule,
    rename_reason_code,
    save_policy_rule,
    set_reason_active,
)
from services.staff import create_staff_user, reset_password, set_staff_active
from services.tokens import create_api_token, list_api_tokens, revoke_api_token
from tests.factories import ADMIN, REVIEWER, Shop, build_shop

BOSS = Actor.staff(1, "boss", {Role.ADMIN})
PRODUCTS = "sku,name,category,price,cost,stock,low_stock_threshold,returnable\n"


@pytest.fixture
async def shop(db: str, clock: FakeClock) -> Shop:
    shop = await build_shop(clock)
    boss = await StaffUser.create(username="boss", password_hash="x", roles=["admin"])
    assert boss.id == BOSS.id
    clock.advance(timedelta(minutes=5))  # entries are stamped by the clock, not the wall
    return shop


Entry = tuple[str, str, str, dict[str, Any]]


async def entries() -> list[Entry]:
    rows = await AuditEntry.all().order_by("id")
    for row in rows:
        assert row.created_at is not None
    return [(e.actor, e.action, e.subject, e.details) for e in rows]


async def one_entry(clock: FakeClock, change: Callable[[], Awaitable[object]]) -> Entry:
    """Make the change; the one entry it left, stamped with the clock's time."""
    before = await AuditEntry.all().count()
    await change()
    added = await AuditEntry.filter(id__gt=0).order_by("id").offset(before)
    assert len(added) == 1, [(e.action, e.subject) for e in added]
    assert added[0].created_at == clock.now()
    return added[0].actor, added[0].action, added[0].subject, added[0].details


async def test_policy_rules_saved_and_removed(shop: Shop, clock: FakeClock) -> None:
    saved = await one_entry(
        clock,
        lambda: save_policy_rule("channel", "web", {"quality_days": 20}, actor=BOSS, clock=clock),
    )
    removed = await one_entry(
        clock, lambda: delete_policy_rule("channel", "web", actor=BOSS, clock=clock)
    )

    settings = {"scope": "channel", "key": "web", "settings": {"quality_days": 20}}
    assert saved == ("staff:boss", "save_policy_rule", "channel:web", settings)
    assert removed == (
        "staff:boss",
        "delete_policy_rule",
        "channel:web",
        {"scope": "channel", "key": "web"},
    )
    default = await one_entry(
        clock,
        lambda: save_policy_rule("default", "", {"auto_approve": True}, actor=ADMIN, clock=clock),
    )
    assert default[:3] == ("staff:admin", "save_policy_rule", "default")


async def test_reasons_added_renamed_retired_and_brought_back(shop: Shop, clock: FakeClock) -> None:
    def with_boss(work: Callable[..., Awaitable[object]], *args: Any, **kwargs: Any) -> Any:
        return lambda: work(*args, actor=BOSS, clock=clock, **kwargs)

    added = await one_entry(
        clock, with_boss(add_reason_code, "too_late", "no_reason", labels={"en": "Too late"})
    )
    renamed = await one_entry(clock, with_boss(rename_reason_code, "too_late", {"ru": "Поздно"}))
    retired = await one_entry(clock, with_boss(set_reason_active, "too_late", False))
    restored = await one_entry(clock, with_boss(set_reason_active, "too_late", True))

    assert added == (
        "staff:boss",
        "add_reason",
        "too_late",
        {"policy_class": "no_reason", "labels": {"en": "Too late"}},
    )
    after = {"en": "Too late", "ru": "Поздно"}
    assert renamed[1:] == (
        "rename_reason",
        "too_late",
        {"before": {"en": "Too late"}, "after": after},
    )
    assert (retired[1], restored[1]) == ("retire_reason", "restore_reason")
    count = await AuditEntry.all().count()
    await rename_reason_code("too_late", {"ru": "Поздно"}, actor=BOSS, clock=clock)
    await set_reason_active("too_late", True, actor=BOSS, clock=clock)
    assert await AuditEntry.all().count() == count  # nothing changed, nothing to audit


async def test_api_tokens_made_and_revoked_once(shop: Shop, clock: FakeClock) -> None:
    made = await one_entry(clock, lambda: create_api_token("erp", actor=BOSS, clock=clock))
    [token] = await list_api_tokens(actor=BOSS)
    revoked = await one_entry(clock, lambda: revoke_api_token(token.id, actor=BOSS, clock=clock))
    await revoke_api_token(token.id, actor=BOSS, clock=clock)

    assert made == ("staff:boss", "create_token", "erp", {"token_id": token.id})
    assert revoked == ("staff:boss", "revoke_token", "erp", {"token_id": token.id})
    assert [e[1] for e in await entries()] == ["create_token", "revoke_token"]


async def test_a_csv_file_leaves_one_entry_with_its_counts(shop: Shop, clock: FakeClock) -> None:
    text = PRODUCTS + "HAT-1,Hat,apparel,30.00,10.00,5,1,true\nTEE-1,Tee,apparel,99,40,20,3,true\n"
    rows = read_csv(text, "products")

    entry = await one_entry(
        clock,
        lambda: import_file("products", rows, source="hats.csv", actor=BOSS, clock=clock),
    )

    counts = {"kind": "products", "rows": 2, "created": 1, "updated": 1, "unchanged": 0}
    assert entry == ("staff:boss", "import_csv", "hats.csv", counts)


async def test_a_rejected_csv_file_leaves_no_entry(shop: Shop, clock: FakeClock) -> None:
    rows = read_csv(PRODUCTS + "HAT-1,Hat,apparel,cheap,1,1,1,true\n", "products")
    with pytest.raises(ImportRejected):
        await import_file("products", rows, source="bad.csv", actor=BOSS, clock=clock)
    assert await entries() == []


async def test_staff_accounts_added_deactivated_reactivated_and_reset(
    shop: Shop, clock: FakeClock
) -> None:
    password = "a long enough password"
    added = await one_entry(
        clock,
        lambda: create_staff_user(
            "wuming", password, ["warehouse"], language="en", actor=BOSS, clock=clock
        ),
    )
    staff_id = (await StaffUser.get(username="wuming")).id
    off = await one_entry(clock, lambda: set_staff_active(staff_id, False, actor=BOSS, clock=clock))
    on = await one_entry(clock, lambda: set_staff_active(staff_id, True, actor=BOSS, clock=clock))
    reset = await one_entry(
        clock, lambda: reset_password(staff_id, password + "!", actor=BOSS, clock=clock)
    )
    await set_staff_active(staff_id, True, actor=BOSS, clock=clock)  # active already

    assert added == (
        "staff:boss",
        "create_staff",
        "wuming",
        {"staff_id": staff_id, "roles": ["warehouse"]},
    )
    assert [x[1:] for x in (off, on, reset)] == [
        ("deactivate_staff", "wuming", {"staff_id": staff_id}),
        ("reactivate_staff", "wuming", {"staff_id": staff_id}),
        ("reset_password", "wuming", {"staff_id": staff_id}),
    ]
    assert len(await entries()) == 4


async def test_a_refused_change_leaves_no_entry(shop: Shop, clock: FakeClock) -> None:
    refused: list[Callable[[], Awaitable[object]]] = [
        lambda: save_policy_rule("channel", "web", {"quality_days": 5}, actor=REVIEWER),
        lambda: save_policy_rule("channel", "web", {"quality_days": -5}, actor=BOSS),
        lambda: delete_policy_rule("sku", "NOPE", actor=BOSS, clock=clock),
        lambda: create_api_token("erp", actor=REVIEWER, clock=clock),
        lambda: set_staff_active(1, False, actor=BOSS, clock=clock),  # oneself
        lambda: add_reason_code("quality_defect", "quality", actor=BOSS, clock=clock),
    ]
    for change in refused:
        with pytest.raises(DomainError):
            await change()
    with pytest.raises(PermissionDenied):
        await import_file("products", [], source="x.csv", actor=REVIEWER, clock=clock)
    assert await entries() == []


async def test_the_entry_and_the_change_land_together_or_not_at_all(
    shop: Shop, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the entry cannot be written, the change it records is not kept either."""

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(policies, "record_audit_entry", broken)
    monkeypatch.setattr(imports, "record_audit_entry", broken)
    rows = read_csv(PRODUCTS + "HAT-1,Hat,apparel,30.00,10.00,5,1,true\n", "products")

    with pytest.raises(RuntimeError):
        await save_policy_rule("channel", "web", {"quality_days": 20}, actor=BOSS, clock=clock)
    with pytest.raises(RuntimeError):
        await import_file("products", rows, source="hats.csv", actor=BOSS, clock=clock)

    assert not await PolicyRule.exists(scope="channel", key="web")
    assert not await Product.exists(sku="HAT-1")
