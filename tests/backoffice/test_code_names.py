"""Staff read words, never the codes the shop stores: reasons, request types, refund methods,
ledger accounts, stock movements, actors, roles, languages and policy settings, in each
language; and the request page offers the stage's main action before cancelling."""

from __future__ import annotations

import csv
import io

import pytest

from models import StaffUser
from services.policies import save_policy_rule
from services.refunds import refund_return
from services.staff import create_staff_user_from_console
from tests.backoffice.conftest import Desk
from tests.factories import ADMIN, FINANCE, Shop, open_return
from tests.services.test_returns import approved, inspected, received

LANGUAGES = ["en", "zh_Hans", "ru"]
# Each language's word for: the reason quality_defect, a refund, the movement "receive",
# the refund method "original", the account refunds_payable, the role reviewer.
WORDS = {
    "en": ("Quality defect", "Refund", "Received from a customer", "Original payment method",
           "Refunds payable", "Reviewer"),
    "zh_Hans": ("质量问题", "退款", "收到客户退货", "原路退回", "应付退款", "审核员"),
    "ru": ("Брак", "Возврат денег", "Получено от покупателя", "Исходный способ оплаты",
           "Возвраты к выплате", "Проверяющий"),
}  # fmt: skip


async def speaking(desk: Desk, username: str, language: str) -> None:
    await StaffUser.filter(username=username).update(language=language)
    await desk.as_(username)


def body(page: str) -> str:
    """The page without its form values and links (which hold codes on purpose)."""
    return page.split("<main>", 1)[1]


def shown_text(page: str) -> str:
    """What a person reads: the page's text outside tags and attribute values."""
    text, inside = [], False
    for char in body(page):
        if char in "<>":
            inside = char == "<"
        elif not inside:
            text.append(char)
    return "".join(text)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_queue_and_request_page_name_the_reason_and_type(
    desk: Desk, shop: Shop, language: str
) -> None:
    request = await open_return(shop, reason="quality_defect")
    await speaking(desk, "rita", language)
    reason, kind = WORDS[language][:2]

    for path in ("/returns", f"/returns/{request.id}", f"/customers/{shop.customer.id}"):
        _, page = await desk.get(path)
        text = shown_text(page)
        assert {reason, kind} <= {w for w in WORDS[language] if w in text}, path
        assert ("quality_defect" in text, ">refund<" in page) == (False, False), path


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_timeline_names_people_not_actor_codes(
    desk: Desk, shop: Shop, language: str
) -> None:
    request = await approved(shop)
    await speaking(desk, "rita", language)

    _, page = await desk.get(f"/returns/{request.id}")
    timeline = shown_text(page).rsplit("\n", 1)[0]

    assert "Li Lei" in timeline  # the customer who submitted
    assert "customer:" not in timeline
    assert "staff:" not in timeline


@pytest.mark.parametrize("language", LANGUAGES)
async def test_stock_movements_and_refunds_are_named(desk: Desk, shop: Shop, language: str) -> None:
    await received(shop, {"TEE-1": 1})
    refund = await inspected(shop, {"MUG-1": 1})
    await refund_return(refund.id, actor=FINANCE, clock=shop.clock, reference="PAY-1")
    _reason, _kind, movement, method, account, _role = WORDS[language]

    await speaking(desk, "wang", language)
    _, stock = await desk.get(f"/inventory/{shop.products['TEE-1'].id}")
    await speaking(desk, "fiona", language)
    _, refunds = await desk.get("/finance")
    _, ledger = await desk.get("/finance/ledger")
    _, page = await desk.get(f"/returns/{refund.id}")

    assert movement in shown_text(stock)
    assert "stock_in" not in shown_text(stock)
    assert "quarantine" not in shown_text(stock)
    assert method in shown_text(refunds)
    assert method in shown_text(page)
    assert account in shown_text(ledger)
    assert "refunds_payable" not in shown_text(ledger)
    assert "original" not in shown_text(refunds) + shown_text(page)  # the timeline's note too
    assert f"· {method}" in shown_text(page)  # the refund event: its amount · its method
    await speaking(desk, "admin", language)
    _, audit = await desk.get("/audit")
    assert method in shown_text(audit)
    assert "original" not in shown_text(audit)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_queue_export_names_columns_and_values_in_the_staff_language(
    desk: Desk, shop: Shop, language: str
) -> None:
    await open_return(shop, reason="quality_defect")
    await speaking(desk, "rita", language)

    text = await (await desk.client.get("/returns/export.csv")).text()
    header, row = list(csv.reader(io.StringIO(text[1:])))[:2]

    assert WORDS[language][0] in row
    assert WORDS[language][1] in row
    assert "quality_defect" not in text
    assert "status" not in header


@pytest.mark.parametrize("language", LANGUAGES)
async def test_staff_and_policy_pages_name_roles_languages_scopes_and_settings(
    desk: Desk, language: str
) -> None:
    await save_policy_rule("default", "", {"no_reason_days": 10}, actor=ADMIN)
    await speaking(desk, "admin", language)

    _, staff = await desk.get("/staff")
    _, policies = await desk.get("/policies")
    _, channel = await desk.get("/policies/rule?scope=channel&key=web")

    assert WORDS[language][5] in shown_text(staff)
    assert "简体中文" in shown_text(staff)
    for raw in ("reviewer", "zh_Hans", "no_reason_days", "sla_review_hours"):
        assert raw not in shown_text(staff) + shown_text(policies) + shown_text(channel), raw
    assert 'name="no_reason_days" value="" placeholder="10"' in channel  # the default's


async def test_the_policy_rule_page_labels_each_setting_with_its_unit(desk: Desk) -> None:
    await desk.as_("admin")

    _, page = await desk.get("/policies/rule?scope=default")

    assert "No-reason window (days)" in page
    assert "Review SLA (hours)" in page
    assert 'name="no_reason_days" value="" placeholder="7"' in page


async def test_a_warehouse_clerk_sees_receiving_before_cancelling(desk: Desk, shop: Shop) -> None:
    request = await approved(shop)
    await desk.as_("wang")

    _, page = await desk.get(f"/returns/{request.id}")

    assert page.index('class="card action-receive"') < page.index('class="card action-cancel"')


COMMAND_LINE = {"en": "Command line", "zh_Hans": "命令行", "ru": "Командная строка"}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_account_made_on_the_command_line_is_audited_as_such(
    desk: Desk, shop: Shop, language: str
) -> None:
    await create_staff_user_from_console(
        "newbie", "long enough pass", ["warehouse"], language="en", clock=shop.clock
    )
    await speaking(desk, "admin", language)

    _, audit = await desk.get("/audit?action=create_staff")

    assert "newbie" in shown_text(audit)
    assert COMMAND_LINE[language] in shown_text(audit)
    assert "cli" not in shown_text(audit).split()
