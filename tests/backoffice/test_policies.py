"""The policy editor and the reason codes."""

from __future__ import annotations

import html
import re

import pytest

from domain.errors import ValidationError
from models import PolicyRule, ReasonCode, StaffUser
from services.policies import load_policy_book, save_policy_rule
from tests.backoffice.conftest import Desk
from tests.factories import ADMIN, Shop
from tests.security.conftest import everything

RULE = "/policies/rule?scope=channel&key=web"


async def test_admin_sees_rules_and_reasons(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")

    status, page = await desk.get("/policies")

    assert status == 200
    assert "quality_defect" in page
    assert "No rules yet" in page


async def test_policies_are_forbidden_to_staff_other_than_admins(desk: Desk, shop: Shop) -> None:
    for username in ("rita", "wang", "fiona"):
        await desk.as_(username)
        assert (await desk.get("/policies"))[0] == 403
        assert (await desk.get(RULE))[0] == 403
        assert (await desk.post("/policies/rule", {"scope": "default"}, page="/"))[0] == 403


async def test_saving_a_channel_rule_changes_the_policy(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    form = {"scope": "channel", "key": "web", "no_reason_days": "10", "auto_approve": "true"}
    form |= {"reminder_days": "2, 5", "restocking_fee_percent": "5.5"}

    status, page = await desk.post("/policies/rule", form, page=RULE)

    policy = (await load_policy_book()).resolve("web")
    assert status == 200
    assert "Done." in page
    assert (policy.no_reason_days, policy.auto_approve, policy.reminder_days) == (10, True, (2, 5))
    assert str(policy.restocking_fee_percent) == "5.50"
    assert (await PolicyRule.get(scope="channel", key="web")).updated_by == "staff:admin"
    _, form_page = await desk.get(RULE)
    assert 'value="10"' in form_page


async def test_a_bad_value_is_refused_naming_its_field(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")

    for field, label, value in [
        ("no_reason_days", "No-reason window (days)", "ten"),
        ("restocking_fee_percent", "Restocking fee (%)", "150"),
    ]:
        form = {"scope": "channel", "key": "web", field: value, "quality_days": "20"}
        status, page = await desk.post("/policies/rule", form, page=RULE)

        assert status == 400
        assert f'class="field">{label}<' in page
        assert 'aria-invalid="true"' in page
        assert f'value="{value}"' in page  # what was typed stays on the form
    assert not await PolicyRule.exists()


async def test_an_override_can_be_removed(desk: Desk, shop: Shop) -> None:
    await PolicyRule.create(scope="sku", key="TEE-1", settings={"returnable": False})
    await desk.as_("admin")
    _, stored = await desk.get("/policies/rule?scope=sku&key=TEE-1")
    _, new = await desk.get("/policies/rule?scope=sku&key=MUG-1")

    await desk.post("/policies/rule/delete", {"scope": "sku", "key": "TEE-1"}, page="/policies")

    assert "Remove this override" in stored
    assert "Remove this override" not in new
    assert not await PolicyRule.exists()


async def test_reasons_are_added_renamed_and_retired(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    added = {"code": "too_late", "policy_class": "no_reason", "label_en": "Arrived too late"}

    status, _ = await desk.post("/policies/reasons", added, page="/policies")
    renamed = {"label_en": "Came too late", "label_ru": "Опоздал", "label_zh_Hans": ""}
    await desk.post("/policies/reasons/too_late/labels", renamed, page="/policies")
    await desk.post("/policies/reasons/too_late/active", {"active": "0"}, page="/policies")

    reason = await ReasonCode.get(code="too_late")
    assert status == 200
    assert reason.labels == {"en": "Came too late", "ru": "Опоздал"}
    assert (reason.policy_class, reason.active) == ("no_reason", False)
    assert reason.position == 7


async def test_a_taken_or_bad_reason_code_is_refused(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")

    taken = {"code": "other", "policy_class": "quality"}
    status, page = await desk.post("/policies/reasons", taken, page="/policies")
    bad, _ = await desk.post("/policies/reasons", {"code": "Bad Code!"}, page="/policies")

    assert (status, bad) == (400, 400)
    assert "That reason code exists already." in page
    assert await ReasonCode.all().count() == 7
    missing = await desk.post("/policies/reasons/nope/labels", {}, page="/policies")
    assert missing[0] == 404


async def test_a_reason_of_the_shops_own_needs_a_label_in_some_language(
    desk: Desk, shop: Shop
) -> None:
    await desk.as_("admin")
    unnamed = {"code": "gift", "policy_class": "no_reason", "label_en": " ", "label_ru": ""}
    named = {"code": "late", "policy_class": "quality", "label_ru": "Опоздал"}

    status, page = await desk.post("/policies/reasons", unnamed, page="/policies")
    await desk.post("/policies/reasons", named, page="/policies")
    emptied = {"label_en": "", "label_ru": "", "label_zh_Hans": ""}
    renamed, renamed_page = await desk.post(
        "/policies/reasons/late/labels", emptied, page="/policies"
    )
    built_in, _ = await desk.post("/policies/reasons/size_fit/labels", emptied, page="/policies")

    assert (status, renamed, built_in) == (400, 400, 200)
    words = "Give the reason a name in at least one language."
    assert words in page
    assert words in renamed_page
    assert not await ReasonCode.exists(code="gift")
    assert (await ReasonCode.get(code="late")).labels == {"ru": "Опоздал"}


DEFAULT_RULE = "/policies/rule?scope=default"
EXPECTED_FORM = {
    "auto_approve_max_value": (
        "1e30",
        "Enter an amount of 0 or more with at most 2 decimals (like 300 or 299.99).",
    ),
    "restocking_fee_percent": (
        "1.234",
        "Enter a percentage from 0 to 100 with at most 2 decimals (like 5 or 7.5).",
    ),
    "auto_approve_max_return_rate": (
        "2",
        "Enter a share from 0 to 1 with at most 2 decimals (like 0.30).",
    ),
    "no_reason_days": ("366", "Enter a whole number of days from 1 to 365."),
    "ship_back_days": ("0", "Enter a whole number of days from 1 to 365."),
    "auto_close_days": ("-1", "Enter a whole number of days from 0 to 365."),
    "sla_review_hours": ("0", "Enter a whole number of hours from 1 to 720."),
    "max_photos": ("x", "Enter a whole number of photos from 0 to 10."),
    "reminder_days": (
        "0, 3",
        "Enter whole numbers of days from 1 to 365, separated by commas (like 3, 10).",
    ),
    "timezone": ("Mars/Base", "Enter a time zone name such as Asia/Shanghai or Europe/Moscow."),
    "auto_approve_reasons": (
        "quality_defect, nonsense_reason",
        "Enter reason codes of this shop, separated by commas (the allowed codes are listed).",
    ),
}


@pytest.mark.parametrize(("field", "typed", "message"), [(f, *v) for f, v in EXPECTED_FORM.items()])
async def test_a_refused_setting_says_what_form_and_range_it_takes(
    desk: Desk, shop: Shop, field: str, typed: str, message: str
) -> None:
    await desk.as_("admin")
    before = await everything()

    status, page = await desk.post(
        "/policies/rule", {"scope": "default", "key": "", field: typed}, page=DEFAULT_RULE
    )

    assert status == 400  # the form again, never a 500
    assert message in html.unescape(page)
    assert f'value="{html.escape(typed)}"' in page
    assert await everything() == before


REMINDER_REFUSED = {
    "en": "Every ship-back reminder must come before the ship-back deadline",
    "zh_Hans": "每次寄回提醒都必须在寄回期限之前",
    "ru": "Каждое напоминание об отправке должно приходить до срока отправки",
}


@pytest.mark.parametrize("language", ["en", "zh_Hans", "ru"])
async def test_a_reminder_on_or_after_the_ship_back_deadline_is_refused(
    desk: Desk, shop: Shop, language: str
) -> None:
    await StaffUser.filter(username="admin").update(language=language)
    await desk.as_("admin")
    before = await everything()
    form = {"scope": "channel", "key": "web", "ship_back_days": "7", "reminder_days": "3, 7"}

    status, page = await desk.post("/policies/rule", form, page=RULE)

    assert status == 400
    assert REMINDER_REFUSED[language] in html.unescape(page)
    assert await everything() == before


async def test_a_shorter_deadline_needs_its_reminders_before_it(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    short = {"scope": "channel", "key": "web", "ship_back_days": "5"}

    refused, page = await desk.post("/policies/rule", short, page=RULE)
    saved, _ = await desk.post("/policies/rule", short | {"reminder_days": "2, 4"}, page=RULE)

    assert refused == 400
    assert "Every ship-back reminder must come before the ship-back deadline" in page
    assert "Entered: <code>10</code> At most: <code>4</code>" in page
    assert saved == 200
    policy = (await load_policy_book()).resolve("web")
    assert (policy.ship_back_days, policy.reminder_days) == (5, (2, 4))


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_a_rule_stored_with_a_deadline_of_0_days_still_loads(desk: Desk, shop: Shop) -> None:
    """Saved before the minimum: the shop keeps working, only saving it again is refused."""
    await PolicyRule.create(scope="default", key="", settings={"ship_back_days": 0})
    await desk.as_("admin")

    assert (await load_policy_book()).resolve("web").ship_back_days == 0
    assert (await desk.get("/policies"))[0] == 200
    status, form_page = await desk.get(DEFAULT_RULE)
    assert status == 200
    assert 'value="0"' in form_page
    again = {"scope": "default", "key": "", "ship_back_days": "0", "reminder_days": ""}
    refused, _ = await desk.post("/policies/rule", again, page=DEFAULT_RULE)
    assert refused == 400


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_an_unknown_reason_is_refused_with_the_shops_codes(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")
    form = {"scope": "default", "key": "", "auto_approve_reasons": "nonsense_reason"}

    status, page = await desk.post("/policies/rule", form, page=DEFAULT_RULE)

    assert status == 400
    assert "nonsense_reason" in page
    assert "quality_defect, size_fit, wrong_item" in page
    assert not await PolicyRule.exists()


@pytest.mark.parametrize(
    "db_kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def test_an_empty_rule_is_not_saved_and_says_so(desk: Desk, shop: Shop) -> None:
    await desk.as_("admin")

    status, page = await desk.post("/policies/rule", {"scope": "default", "key": ""}, page="/")

    assert status == 400
    assert "Every setting is blank, so nothing was saved" in page
    assert not await PolicyRule.exists()


# Each language's reading of: returnable no, automatic approval yes, its reasons, a 7.5 %
# fee, a 30 % return rate and 300.00 of money.
SETTINGS_READ = {
    "en": ("no", "yes", "Size or fit, Quality defect", "7.5%", "30%", "CN¥300.00"),
    "zh_Hans": ("否", "是", "尺码不合适, 质量问题", "7.5%", "30%", "¥300.00"),
    "ru": ("нет", "да", "Не подошёл размер, Брак", "7,5\xa0%", "30\xa0%", "300,00\xa0CN¥"),
}


@pytest.mark.parametrize("language", ["en", "zh_Hans", "ru"])
async def test_the_rules_list_reads_settings_as_words_and_formatted_numbers(
    desk: Desk, shop: Shop, language: str
) -> None:
    settings = {
        "returnable": False,
        "auto_approve": True,
        "auto_approve_reasons": ["size_fit", "quality_defect"],
        "restocking_fee_percent": "7.5",
        "auto_approve_max_return_rate": "0.30",
        "auto_approve_max_value": "300",
    }
    await PolicyRule.create(scope="default", key="", settings=settings, updated_by="staff:admin")
    await StaffUser.filter(username="admin").update(language=language)
    await desk.as_("admin")

    _, page = await desk.get("/policies")

    shown = [html.unescape(v) for v in re.findall(r"<strong>([^<]*)</strong>", page)]
    assert shown[:6] == list(SETTINGS_READ[language])
    for raw in ("False", "True", "size_fit", "['"):
        assert raw not in page.split("<main>", 1)[1].split('id="reasons"', 1)[0]


async def test_reminders_are_checked_against_the_rules_they_end_up_under(shop: Shop) -> None:
    """A channel's reminders meet the default's deadline, and the default's deadline meets
    the channels' reminders; a rule stored broken before this check blocks nothing else."""
    await save_policy_rule("channel", "web", {"reminder_days": [10]}, actor=ADMIN)
    short = {"ship_back_days": 5, "reminder_days": [2, 4]}
    with pytest.raises(ValidationError) as breaks_web:
        await save_policy_rule("default", "", short, actor=ADMIN)
    await save_policy_rule("default", "", {"ship_back_days": 12, "reminder_days": [2]}, actor=ADMIN)
    with pytest.raises(ValidationError) as after_default:
        await save_policy_rule("channel", "telegram", {"reminder_days": [12]}, actor=ADMIN)
    await PolicyRule.create(scope="channel", key="retail", settings={"reminder_days": [20]})
    await save_policy_rule("sku", "TEE-1", {"returnable": False}, actor=ADMIN)

    assert breaks_web.value.params == {"field": "reminder_days", "value": "10", "maximum": "4"}
    assert after_default.value.params["maximum"] == "11"
    book = await load_policy_book()
    assert (book.resolve("web").ship_back_days, book.resolve("web").reminder_days) == (12, (10,))
    assert "telegram" not in book.channels
