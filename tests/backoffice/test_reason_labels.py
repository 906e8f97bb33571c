"""Reasons on the back-office pages: by their label in the staff member's language; else, for a
built-in reason, its name in the back-office catalog; else the English label, else the code; a
label is text, never markup. And the queue's reason filter."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from models import ReasonCode, StaffUser
from services.policies import add_reason_code, rename_reason_code, set_reason_active
from tests.backoffice.conftest import Desk
from tests.factories import ADMIN, Shop, open_return

LABELS = {
    "quality_defect": {"en": "Faulty item", "zh_Hans": "质量问题", "ru": "Брак"},
    "wrong_item": {"en": "Wrong item sent"},
}
LANGUAGE_WRONG_ITEM = {"zh_Hans": "发错商品", "ru": "Прислан не тот товар"}
HOSTILE = "<script>alert('label')</script>"
# Where each page names a request's reason (the request's RMA number, order SO-1, channel web).
PLACES = {
    "queue": r'/returns/{id}">[^<]*</a></td>\s*(?:<td[^>]*>.*?</td>\s*){{2}}<td[^>]*>(.*?)</td>',
    "request": r"\(web\) · [^·\n]* · ([^\n]*)\n",
    "slip": r"SO-1 · [^·\n]* · ([^\n]*)</p>",
    "customer": r'/returns/{id}">[^<]*</a></td>(?:<td>.*?</td>){{3}}<td>(.*?)</td>',
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def label_reasons(labels: dict[str, dict[str, str]]) -> None:
    for code, own in labels.items():
        await rename_reason_code(code, own, actor=ADMIN)


async def sign_in_speaking(desk: Desk, language: str) -> None:
    await StaffUser.filter(username="rita").update(language=language)
    await desk.as_("rita")


async def shown_reasons(desk: Desk, shop: Shop, return_id: int) -> dict[str, str]:
    """The reason of request ``return_id`` as each page shows it (as HTML, escaped)."""
    paths = {
        "queue": "/returns",
        "request": f"/returns/{return_id}",
        "slip": f"/returns/{return_id}/slip",
        "customer": f"/customers/{shop.customer.id}",
    }
    shown = {}
    for place, path in paths.items():
        status, page = await desk.get(path)
        assert status == 200, path
        found = re.search(PLACES[place].format(id=return_id), page)
        assert found, place
        shown[place] = found.group(1).strip()
    return shown


@pytest.mark.parametrize("language", ["en", "zh_Hans", "ru"])
async def test_pages_name_a_reason_by_its_label_in_the_staff_members_language(
    desk: Desk, shop: Shop, language: str
) -> None:
    await label_reasons(LABELS)
    request = await open_return(shop, reason="quality_defect")
    await sign_in_speaking(desk, language)

    shown = await shown_reasons(desk, shop, request.id)

    assert set(shown.values()) == {LABELS["quality_defect"][language]}


async def test_a_shop_reason_without_a_label_in_the_language_falls_back_to_another_label(
    desk: Desk, shop: Shop
) -> None:
    await add_reason_code("late", "quality", labels={"en": "Came too late"}, actor=ADMIN)
    await add_reason_code("gift", "no_reason", labels={"zh_Hans": "礼物"}, actor=ADMIN)
    english_only = await open_return(shop, {"TEE-1": 1}, reason="late")
    chinese_only = await open_return(shop, {"MUG-1": 1}, reason="gift")
    await set_reason_active("late", False, actor=ADMIN)  # old requests keep it
    await sign_in_speaking(desk, "ru")

    assert set((await shown_reasons(desk, shop, english_only.id)).values()) == {"Came too late"}
    assert set((await shown_reasons(desk, shop, chinese_only.id)).values()) == {"礼物"}


async def test_a_reason_stored_without_any_label_is_named_by_its_code(
    desk: Desk, shop: Shop
) -> None:
    await ReasonCode.create(code="gift", policy_class="no_reason", position=9)  # before labels
    unlabelled = await open_return(shop, {"MUG-1": 1}, reason="gift")
    await sign_in_speaking(desk, "ru")

    assert set((await shown_reasons(desk, shop, unlabelled.id)).values()) == {"gift"}


@pytest.mark.parametrize(
    ("language", "word"),
    [("en", "Size or fit"), ("zh_Hans", "尺码不合适"), ("ru", "Не подошёл размер")],
)
async def test_a_built_in_reason_without_a_label_is_named_by_the_catalog_not_its_code(
    desk: Desk, shop: Shop, language: str, word: str
) -> None:
    await label_reasons(LABELS)  # wrong_item has an English label only
    unlabelled = await open_return(shop, {"MUG-1": 1}, reason="size_fit")
    english_only = await open_return(shop, {"TEE-1": 1}, reason="wrong_item")
    await sign_in_speaking(desk, language)

    assert set((await shown_reasons(desk, shop, unlabelled.id)).values()) == {word}
    shown = set((await shown_reasons(desk, shop, english_only.id)).values())
    assert shown == {"Wrong item sent" if language == "en" else LANGUAGE_WRONG_ITEM[language]}
    _, queue = await desk.get("/returns")
    assert "size_fit" not in queue.split('<select name="reason">', 1)[1].split("<tbody>", 1)[1]


async def test_the_policies_page_shows_what_each_language_reads_now_as_the_placeholder(
    desk: Desk, shop: Shop
) -> None:
    await label_reasons(LABELS)
    await desk.as_("admin")

    _, page = await desk.get("/policies")

    form = page.split('action="/policies/reasons/size_fit/labels"', 1)[1].split("</form>", 1)[0]
    assert 'name="label_zh_Hans" value="" placeholder="尺码不合适"' in form
    assert 'name="label_ru" value="" placeholder="Не подошёл размер"' in form
    labelled = page.split('action="/policies/reasons/quality_defect/labels"', 1)[1]
    assert 'name="label_en" value="Faulty item" placeholder="Faulty item"' in labelled


async def test_a_label_is_shown_as_text_never_as_markup(desk: Desk, shop: Shop) -> None:
    await label_reasons({"quality_defect": {"en": HOSTILE}})
    request = await open_return(shop, reason="quality_defect")
    await sign_in_speaking(desk, "en")

    shown = await shown_reasons(desk, shop, request.id)

    assert set(shown.values()) == {str(escape(HOSTILE))}
    _, queue = await desk.get("/returns")
    assert "<script" not in queue


def options(page: str) -> list[tuple[str, bool, str]]:
    """The reason filter's choices: value, whether it is selected, label."""
    select = page.split('<select name="reason">', 1)[1].split("</select>", 1)[0]
    found = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    return [(value, bool(selected), label) for value, selected, label in found]


def listed(page: str) -> list[str]:
    return re.findall(r'/returns/\d+">(RMA-[^<]*)</a>', page)


async def test_the_queue_filters_by_a_reason_chosen_by_its_label(desk: Desk, shop: Shop) -> None:
    await label_reasons(LABELS)
    defect = await open_return(shop, {"TEE-1": 1}, reason="quality_defect")
    wrong = await open_return(shop, {"MUG-1": 1}, reason="wrong_item")
    await sign_in_speaking(desk, "zh_Hans")

    _, every = await desk.get("/returns")
    _, chosen = await desk.get("/returns?reason=wrong_item")

    assert listed(every) == [wrong.number, defect.number]
    assert listed(chosen) == [wrong.number]
    assert options(every)[:3] == [
        ("", False, "全部"),
        ("quality_defect", False, "质量问题"),
        ("not_as_described", False, "与描述不符"),
    ]
    assert [value for value, selected, _label in options(chosen) if selected] == ["wrong_item"]
    assert ("wrong_item", True, "发错商品") in options(chosen)
