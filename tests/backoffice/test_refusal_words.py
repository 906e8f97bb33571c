"""Every refusal staff can meet reads as its own words, in each language: whatever code a
service raises or a page flashes has words in the one code → words table; a form's refusal
names the field by its label; the anonymize button is only offered when it can succeed."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import domain.errors
from backoffice.messages import ERRORS
from domain.clock import FakeClock
from domain.policy import AMOUNT_RANGES, KIND_REFUSALS, WHOLE_RANGES
from domain.returns import ReturnType
from models import StaffUser
from services.review import cancel_return
from tests.backoffice.conftest import Desk
from tests.backoffice.test_code_names import LANGUAGES, shown_text, speaking
from tests.factories import REVIEWER, Shop, open_return

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("domain", "services", "backoffice")
ERROR_CLASSES = {
    name
    for name, value in vars(domain.errors).items()
    if isinstance(value, type) and issubclass(value, domain.errors.DomainError)
}
# Where a code is not written at the call: the function, and the codes it can raise.
COMPUTED_CODES = {
    ("domain/policy.py", "_refuse"): {
        *(code for code, _low, _high in [*WHOLE_RANGES.values(), *AMOUNT_RANGES.values()]),
        *KIND_REFUSALS.values(),
    },
    ("services/refunds.py", "_require_type"): {f"not_{kind}_request" for kind in ReturnType},
    ("services/customers.py", "anonymize_customer"): {
        "customer_already_anonymized",
        "customer_has_open_returns",
        "customer_retention_not_over",
    },
}


def _calls(tree: ast.AST) -> Iterator[tuple[str, ast.Call]]:
    """Every call in the module with the name of the function it is in."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    yield function.name, node


def _code_argument(call: ast.Call) -> ast.expr | None:
    """The code a refusal is raised or flashed with (None: the class's own code)."""
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    if name in ERROR_CLASSES:
        return call.args[0] if call.args else None
    return call.args[2] if name == "flash" and len(call.args) > 2 else None


def _written(argument: ast.expr) -> Iterator[ast.expr]:
    """The codes an argument can be: both sides of ``a if … else b``; a refusal's ``.code``
    passed on is no code of its own."""
    if isinstance(argument, ast.IfExp):
        yield from _written(argument.body)
        yield from _written(argument.orelse)
    elif not (isinstance(argument, ast.Attribute) and argument.attr == "code"):
        yield argument


def raised_and_flashed() -> tuple[set[str], set[tuple[str, str]]]:
    """The codes written at a raise or a flash, and where a code is computed instead."""
    codes = {cls.code for name, cls in vars(domain.errors).items() if name in ERROR_CLASSES}
    computed = set()
    for source in SOURCES:
        for path in sorted((ROOT / source).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            for function, call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
                argument = _code_argument(call)
                for code in _written(argument) if argument is not None else ():
                    if isinstance(code, ast.Constant):
                        codes.add(code.value)
                    else:
                        computed.add((where, function))
    return codes, computed


def test_every_code_a_refusal_or_flash_carries_has_words() -> None:
    written, computed = raised_and_flashed()
    assert computed == set(COMPUTED_CODES), "list the codes of a new computed refusal here"
    codes = written.union(*COMPUTED_CODES.values()) - {"error"}
    assert sorted(codes - set(ERRORS)) == []  # the catalog tests check every msgid is translated


RETENTION = {
    "en": "A request of this customer ended within the retention period.",
    "zh_Hans": "该客户有申请在保留期内结束。",
    "ru": "Одна из заявок клиента завершилась в пределах срока хранения.",
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_refused_anonymization_says_why_and_is_not_offered(
    desk: Desk, shop: Shop, clock: FakeClock, language: str
) -> None:
    r = await open_return(shop)
    await cancel_return(r.id, actor=REVIEWER, clock=clock, reason="duplicate")
    clock.advance(timedelta(days=364))
    await speaking(desk, "admin", language)
    page = f"/customers/{shop.customer.id}"

    _, before = await desk.get(page)
    _, after = await desk.post(f"{page}/anonymize", {}, page=page)

    assert RETENTION[language] in shown_text(before)
    assert "/anonymize" not in before
    flash = after.split('role="status">', 1)[1].split("</p>", 1)[0]
    assert flash == RETENTION[language]


async def test_an_anonymizable_customer_is_offered_the_button(
    desk: Desk, shop: Shop, clock: FakeClock
) -> None:
    r = await open_return(shop)
    await cancel_return(r.id, actor=REVIEWER, clock=clock, reason="duplicate")
    clock.advance(timedelta(days=366))
    await desk.as_("admin")

    _, page = await desk.get(f"/customers/{shop.customer.id}")

    assert f'action="/customers/{shop.customer.id}/anonymize"' in page


POLICY_REFUSAL = {
    "en": ("Restocking fee (%)", "Entered: <code>150</code>"),
    "zh_Hans": ("重新入库费（%）", "输入的内容：<code>150</code>"),
    "ru": ("Плата за возврат на склад (%)", "Введено: <code>150</code>"),
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_refused_policy_setting_is_named_by_its_label(desk: Desk, language: str) -> None:
    await StaffUser.filter(username="admin").update(language=language)
    await desk.as_("admin")
    form = {"scope": "default", "key": "", "restocking_fee_percent": "150"}

    status, page = await desk.post("/policies/rule", form, page="/policies/rule?scope=default")

    refusal = page.split('class="flash error refusal"', 1)[1].split("</div>", 1)[0]
    label, entered = POLICY_REFUSAL[language]
    assert status == 400
    assert label in refusal
    assert entered in refusal
    assert "restocking_fee_percent" not in refusal
    assert "value:" not in refusal
