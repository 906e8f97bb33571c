"""The audit log across requests."""

from __future__ import annotations

from services.audit import list_audit_events
from services.inventory import scrap_defective
from services.policies import save_policy_rule
from services.review import approve_return
from tests.backoffice.conftest import Desk
from tests.backoffice.test_imports import HEADER, upload
from tests.factories import ADMIN, REVIEWER, WAREHOUSE, Shop, open_return
from tests.services.test_inventory import two_defective_mugs


async def test_audit_log_lists_events_and_filters_them(desk: Desk, shop: Shop) -> None:
    first = await open_return(shop)
    await approve_return(first.id, actor=REVIEWER, clock=shop.clock)
    second = await open_return(shop, {"MUG-1": 1})
    await save_policy_rule("channel", "web", {"quality_days": 20}, actor=ADMIN)
    await desk.as_("admin")

    _, everything = await desk.get("/audit")
    _, approvals = await desk.get("/audit?who=rita&action=approve")

    assert first.number in everything
    assert second.number in everything
    assert f"/returns/{first.id}" in approvals
    assert second.number not in approvals
    assert "channel:web" in everything  # the last changes to policy rules and accounts


async def test_audit_log_lists_changes_outside_requests_and_filters_them(
    desk: Desk, shop: Shop
) -> None:
    mug = await two_defective_mugs(shop)
    await scrap_defective(mug, 1, "Handle snapped off", actor=WAREHOUSE, clock=shop.clock)
    await desk.as_("admin")

    _, everything = await desk.get("/audit")
    _, by_wang = await desk.get("/audit?who=wang&action=scrap_stock")
    _, by_rita = await desk.get("/audit?who=rita")
    _, approvals = await desk.get("/audit?action=approve")
    _, older = await desk.get("/audit?before=999999")

    for page in (everything, by_wang):
        assert "Changes outside requests" in page
        assert "Handle snapped off" in page
    for page in (by_rita, approvals, older):
        assert "Handle snapped off" not in page


async def test_audit_log_is_paged_newest_first(shop: Shop) -> None:
    await open_return(shop)
    await open_return(shop, {"MUG-1": 1})
    first = await list_audit_events(size=1)
    rest = await list_audit_events(before=first.next_cursor, size=5)

    assert first.rows[0].id > rest.rows[0].id
    assert rest.next_cursor is None


async def test_audit_log_is_for_admins_only(desk: Desk, shop: Shop) -> None:
    for username in ("rita", "wang", "fiona"):
        await desk.as_(username)
        assert (await desk.get("/audit"))[0] == 403


async def test_admin_changes_made_on_the_pages_are_listed_with_their_admin(
    desk: Desk, shop: Shop
) -> None:
    await desk.as_("admin")
    rule = {"scope": "channel", "key": "web", "quality_days": "20"}
    await desk.post("/policies/rule", rule, page="/policies/rule?scope=channel&key=web")
    await desk.post("/tokens", {"name": "erp"}, page="/tokens")
    account = {"username": "wuming", "password": "a long first password", "roles": "finance"}
    await desk.post("/staff", account | {"language": "en"}, page="/staff")
    status, _ = await upload(desk, "products", HEADER + "HAT-1,Hat,apparel,30,10,5,1,true\n")
    assert status == 200

    _, page = await desk.get("/audit")
    _, imports = await desk.get("/audit?who=admin&action=import_csv")

    changes = page[page.index("Changes outside requests") : page.index("Last changes to")]
    for words in (
        "policy rule saved:",
        "Quality-problem window (days): 20",
        "API token made:",
        "staff account added:",
        "CSV file imported:",
    ):
        assert words in changes, words
    assert changes.count("<td>admin</td>") == 4
    assert "file.csv (Products) · Imported: 1 new, 0 updated, 0 unchanged." in imports
    assert "policy rule saved" not in imports[imports.index("Changes outside requests") :]


async def test_a_policy_change_reads_in_words_not_as_stored_values(desk: Desk, shop: Shop) -> None:
    settings = {
        "returnable": False,
        "auto_approve": True,
        "auto_approve_reasons": ["quality_defect", "wrong_item"],
        "reminder_days": [3, 9],
        "restocking_fee_percent": "2.5",
    }
    await save_policy_rule("category", "apparel", settings, actor=ADMIN)
    await desk.as_("admin")

    _, page = await desk.get("/audit")

    change = page[page.index("policy rule saved:") : page.index("Last changes to")]
    for words in (
        ">Category apparel</a>",
        "Returnable: no",
        "Approve automatically: yes",
        "Quality defect, Wrong item",
        "3, 9",
        "2.5%",
    ):
        assert words in change, words
    for stored in ("False", "True", "[", "category:", "quality_defect"):
        assert stored not in change, stored
