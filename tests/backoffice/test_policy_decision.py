"""The request page's policy decision shows the restocking fee: its percentage, and its amount
on the units claimed (before inspection) or accepted (after), in the staff member's format."""

from __future__ import annotations

import pytest

from services.policies import save_policy_rule
from tests.backoffice.conftest import Desk
from tests.backoffice.test_code_names import LANGUAGES, shown_text, speaking
from tests.factories import ADMIN, Shop, open_return
from tests.services.test_returns import inspected

# A 10 % fee on two tees at 100.00: 20.00 as claimed.
FEE = {
    "en": "Restocking fee: 10% · CN¥20.00",
    "zh_Hans": "重新入库费：10% · ¥20.00",
    "ru": "Плата за возврат на склад: 10\xa0% · 20,00\xa0CN¥",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_decision_shows_the_fee_and_its_amount(
    desk: Desk, shop: Shop, language: str
) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    request = await open_return(shop, {"TEE-1": 2}, reason="changed_mind")
    await speaking(desk, "rita", language)

    _, page = await desk.get(f"/returns/{request.id}")

    assert FEE[language] in shown_text(page)


async def test_after_inspection_the_fee_is_on_the_accepted_units(desk: Desk, shop: Shop) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    request = await inspected(shop, {"TEE-1": 1}, reason="changed_mind")
    await desk.as_("rita")

    _, page = await desk.get(f"/returns/{request.id}")

    assert "Restocking fee: 10% · CN¥10.00" in shown_text(page)


async def test_a_quality_problem_has_no_fee(desk: Desk, shop: Shop) -> None:
    await save_policy_rule("default", "", {"restocking_fee_percent": "10"}, actor=ADMIN)
    request = await open_return(shop, {"TEE-1": 1}, reason="quality_defect")
    await desk.as_("rita")

    _, page = await desk.get(f"/returns/{request.id}")

    assert "Restocking fee: 0%" in shown_text(page)
    assert "Restocking fee: 0% ·" not in shown_text(page)
