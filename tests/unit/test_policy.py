"""The shop's return policy and its evaluation (domain/policy.py), worked by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ValidationError
from domain.policy import (
    Claim,
    ClaimLine,
    CustomerHistory,
    Policy,
    PolicyBook,
    PolicyDecision,
    ReasonClass,
    apply_overrides,
    evaluate_policy,
    policy_to_dict,
    qualifies_for_auto_approval,
    window_end,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def line(
    sku: str = "TEE-1",
    category: str = "apparel",
    quantity: int = 1,
    price: str = "100.00",
    returnable: bool = True,
    order_line_id: int = 1,
) -> ClaimLine:
    return ClaimLine(order_line_id, sku, category, returnable, quantity, D(price))


def claim(
    *lines: ClaimLine,
    reason: str = "quality_defect",
    reason_class: ReasonClass = ReasonClass.QUALITY,
    photos: int = 1,
    channel: str = "web",
    delivered_at: datetime | None = datetime(2026, 3, 1, 12, 0, tzinfo=SHANGHAI),
) -> Claim:
    return Claim(channel, delivered_at, reason, reason_class, lines or (line(),), photos)


def no_reason(*lines: ClaimLine, photos: int = 0, **kwargs: Any) -> Claim:
    return claim(
        *lines, reason="changed_mind", reason_class=ReasonClass.NO_REASON, photos=photos, **kwargs
    )


def codes(decision: PolicyDecision) -> list[str]:
    return [r.code for r in decision.refusals] + [
        r.code for ld in decision.lines for r in ld.refusals
    ]


# --- window_end ---------------------------------------------------------------------------


def test_no_reason_window_counts_from_the_day_after_delivery_in_shop_time() -> None:
    delivered = datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI)
    # 2..8 March are the seven days; the window ends at the start of 9 March, Shanghai time
    assert window_end(delivered, 7, SHANGHAI) == datetime(2026, 3, 9, 0, 0, tzinfo=SHANGHAI)


def test_window_uses_the_shop_date_not_the_utc_date() -> None:
    # 1 March 16:30 UTC is already 2 March 00:30 in Shanghai
    delivered = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    assert window_end(delivered, 7, SHANGHAI) == datetime(2026, 3, 10, 0, 0, tzinfo=SHANGHAI)
    # while 1 March 15:30 UTC is still 1 March 23:30 there
    earlier = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    assert window_end(earlier, 7, SHANGHAI) == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)


def test_quality_window_is_fifteen_days() -> None:
    delivered = datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)
    assert window_end(delivered, 15, SHANGHAI) == datetime(2026, 3, 17, 0, 0, tzinfo=SHANGHAI)


def test_window_in_another_shop_zone() -> None:
    moscow = ZoneInfo("Europe/Moscow")
    delivered = datetime(2026, 3, 1, 22, 0, tzinfo=UTC)  # 2 March 01:00 in Moscow
    assert window_end(delivered, 7, moscow) == datetime(2026, 3, 10, 0, 0, tzinfo=moscow)


def test_claim_is_refused_from_the_first_instant_after_the_window() -> None:
    book = PolicyBook()
    c = no_reason(delivered_at=datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI))
    ends = datetime(2026, 3, 9, 0, 0, tzinfo=SHANGHAI)

    inside = evaluate_policy(c, CustomerHistory(), book, ends - timedelta(microseconds=1))
    outside = evaluate_policy(c, CustomerHistory(), book, ends)

    assert inside.eligible
    assert inside.lines[0].window_ends_at == ends
    assert not outside.eligible
    assert codes(outside) == ["window_closed"]
    assert outside.lines[0].refusals[0].params == {"until": "2026-03-09T00:00:00+08:00"}


def test_undelivered_order_cannot_be_returned() -> None:
    decision = evaluate_policy(
        claim(delivered_at=None), CustomerHistory(), PolicyBook(), datetime.now(UTC)
    )
    assert codes(decision) == ["not_delivered"]


# --- overrides: default <- channel <- category <- SKU ------------------------------------------

BOOK = PolicyBook(
    default={"no_reason_days": 10, "ship_back_days": 20},
    channels={"web": {"no_reason_days": 8, "restocking_fee_percent": "5"}},
    categories={"apparel": {"no_reason_days": 9}, "hygiene": {"returnable": False}},
    skus={"TEE-1": {"no_reason_days": 30}},
)


@pytest.mark.parametrize(
    ("channel", "category", "sku", "days"),
    [
        ("retail", None, None, 10),  # default only
        ("web", None, None, 8),  # channel over default
        ("web", "apparel", "TEE-2", 9),  # category over channel
        ("web", "apparel", "TEE-1", 30),  # SKU over category
        ("retail", "home", "MUG-1", 10),  # no layer matches: default
        ("retail", "apparel", "TEE-1", 30),  # SKU wins whatever the channel
    ],
)
def test_overrides_merge_default_channel_category_sku(
    channel: str, category: str | None, sku: str | None, days: int
) -> None:
    assert BOOK.resolve(channel, category, sku).no_reason_days == days


def test_layers_keep_what_they_do_not_override() -> None:
    policy = BOOK.resolve("web", "apparel", "TEE-1")
    assert policy.restocking_fee_percent == D("5.00")  # from the channel
    assert policy.ship_back_days == 20  # from the default
    assert policy.quality_days == 15  # built in
    assert BOOK.resolve("retail").restocking_fee_percent == D("0")


def test_category_can_make_goods_non_returnable() -> None:
    soap = line("SOAP-1", "hygiene", price="20.00")
    decision = evaluate_policy(
        claim(soap), CustomerHistory(), BOOK, datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert codes(decision) == ["not_returnable"]
    assert decision.lines[0].refusals[0].params == {"sku": "SOAP-1"}


def test_non_returnable_product_is_refused_whatever_the_policy() -> None:
    decision = evaluate_policy(
        claim(line(returnable=False)),
        CustomerHistory(),
        PolicyBook(),
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert codes(decision) == ["not_returnable"]


INVALID_OVERRIDES: list[tuple[dict[str, Any], str]] = [
    ({"no_such_setting": 1}, "unknown_policy_field"),
    ({"no_reason_days": "7"}, "policy_period_days"),
    ({"no_reason_days": -1}, "policy_period_days"),
    ({"no_reason_days": True}, "policy_period_days"),
    ({"no_reason_days": 7.5}, "policy_period_days"),
    ({"no_reason_days": 366}, "policy_period_days"),
    ({"no_reason_days": 0}, "policy_period_days"),
    ({"quality_days": 0}, "policy_period_days"),
    ({"ship_back_days": 0}, "policy_period_days"),
    ({"survey_delay_days": -1}, "policy_days"),
    ({"sla_refund_hours": 0}, "policy_hours"),
    ({"max_photos": 11}, "policy_photos"),
    ({"auto_approve": "yes"}, "policy_bool"),
    ({"auto_approve": 1}, "policy_bool"),
    ({"restocking_fee_percent": "-1"}, "policy_percent"),
    ({"restocking_fee_percent": "abc"}, "policy_percent"),
    ({"restocking_fee_percent": "150"}, "policy_percent"),
    ({"restocking_fee_percent": "2.555"}, "policy_percent"),
    ({"auto_approve_max_value": "1e30"}, "policy_amount"),
    ({"auto_approve_max_value": "1.234"}, "policy_amount"),
    ({"auto_approve_max_return_rate": "1.5"}, "policy_rate"),
    ({"auto_approve_max_value": "NaN"}, "policy_amount"),
    ({"timezone": "Mars/Olympus_Mons"}, "policy_timezone"),
    ({"reminder_days": 3}, "policy_day_list"),
    ({"reminder_days": ["3"]}, "policy_day_list"),
    ({"reminder_days": [3, -1]}, "policy_day_list"),
    ({"reminder_days": [0, 3]}, "policy_day_list"),
    ({"ship_back_days": 10}, "policy_reminder_after_deadline"),
    ({"ship_back_days": 7, "reminder_days": [3, 7]}, "policy_reminder_after_deadline"),
    ({"auto_approve_reasons": "quality_defect"}, "policy_reason_list"),
    ({"auto_approve_reasons": [1]}, "policy_reason_list"),
]


@pytest.mark.parametrize(
    ("overrides", "code"),
    INVALID_OVERRIDES,
    ids=[" ".join(f"{k}={v!r}" for k, v in o.items()) for o, _ in INVALID_OVERRIDES],
)
def test_invalid_override_values_are_refused(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        apply_overrides(Policy(), overrides)
    assert caught.value.code == code


def test_delays_of_no_days_mean_at_once() -> None:
    policy = apply_overrides(Policy(), {"survey_delay_days": 0, "auto_close_days": 0})
    assert (policy.survey_delay_days, policy.auto_close_days) == (0, 0)


def test_reminders_before_a_short_deadline_are_kept() -> None:
    policy = apply_overrides(Policy(), {"ship_back_days": 1, "reminder_days": []})
    assert (policy.ship_back_days, policy.reminder_days) == (1, ())
    policy = apply_overrides(Policy(), {"ship_back_days": 5, "reminder_days": [2, 4]})
    assert policy.reminder_days == (2, 4)


def test_a_reminder_on_the_deadline_names_the_last_day_allowed() -> None:
    with pytest.raises(ValidationError) as caught:
        apply_overrides(Policy(), {"ship_back_days": 7, "reminder_days": [3, 7]})
    assert caught.value.params == {"field": "reminder_days", "value": "7", "maximum": "6"}


def test_a_rule_stored_before_the_minimums_still_resolves() -> None:
    book = PolicyBook(
        default={"ship_back_days": 0, "no_reason_days": 0, "reminder_days": [0, 3]},
        channels={"web": {"quality_days": 0}},
    )
    policy = book.resolve("web")
    assert (policy.ship_back_days, policy.no_reason_days, policy.quality_days) == (0, 0, 0)
    assert policy.reminder_days == (0, 3)


def test_invalid_layer_is_refused_when_resolved() -> None:
    with pytest.raises(ValidationError):
        PolicyBook(skus={"TEE-1": {"quality_days": "many"}}).resolve("web", "apparel", "TEE-1")


def test_valid_override_values_are_coerced() -> None:
    policy = apply_overrides(
        Policy(),
        {
            "restocking_fee_percent": "12.5",
            "auto_approve_max_value": 250,
            "reminder_days": [2, 5],
            "auto_approve_reasons": ["wrong_item"],
            "timezone": "Europe/Moscow",
            "auto_approve": True,
        },
    )
    assert policy.restocking_fee_percent == D("12.50")
    assert policy.auto_approve_max_value == D("250.00")
    assert policy.reminder_days == (2, 5)
    assert policy.auto_approve_reasons == ("wrong_item",)
    assert policy.zone == ZoneInfo("Europe/Moscow")
    assert policy.auto_approve is True


def test_policy_settings_round_trip_through_json() -> None:
    policy = apply_overrides(Policy(), {"restocking_fee_percent": "7.5", "reminder_days": [1]})
    settings = json.loads(json.dumps(policy_to_dict(policy)))
    assert apply_overrides(Policy(), settings) == policy


# --- the decision -------------------------------------------------------------------------


def test_quality_claim_is_shipped_by_the_shop_without_fee() -> None:
    decision = evaluate_policy(claim(), CustomerHistory(), BOOK, datetime(2026, 3, 2, tzinfo=UTC))
    assert decision.eligible
    assert (decision.shipping_paid_by, decision.photo_required) == ("shop", True)
    assert decision.fee_percent_for(1) == D("0")
    assert decision.ship_back_days == 20


def test_no_reason_claim_is_shipped_by_the_customer_and_pays_the_fee() -> None:
    decision = evaluate_policy(
        no_reason(), CustomerHistory(), BOOK, datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert decision.eligible
    assert (decision.shipping_paid_by, decision.photo_required) == ("customer", False)
    assert decision.fee_percent_for(1) == D("5.00")
    assert decision.fee_percent_for(99) == D("0")


def test_quality_claim_needs_a_photo_unless_the_shop_says_otherwise() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    assert codes(evaluate_policy(claim(photos=0), CustomerHistory(), PolicyBook(), now)) == [
        "photo_required"
    ]
    relaxed = PolicyBook(default={"quality_photo_required": False})
    assert evaluate_policy(claim(photos=0), CustomerHistory(), relaxed, now).eligible


def test_too_many_photos_and_no_items_are_refused() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    assert codes(evaluate_policy(claim(photos=6), CustomerHistory(), PolicyBook(), now)) == [
        "too_many_photos"
    ]
    empty = Claim("web", now, "changed_mind", ReasonClass.NO_REASON, ())
    assert codes(evaluate_policy(empty, CustomerHistory(), PolicyBook(), now)) == ["no_items"]


def test_claim_value_and_return_rate() -> None:
    c = claim(line(quantity=2), line("CAP-1", price="55.00", order_line_id=2))
    assert c.value == D("255.00")
    assert CustomerHistory(units_bought=0, units_returned=0).return_rate == 0
    assert CustomerHistory(units_bought=10, units_returned=3).return_rate == D("0.3")


# --- auto-approval, one condition at a time ---------------------------------------------------

AUTO = apply_overrides(Policy(), {"auto_approve": True})


def test_auto_approval_accepts_a_claim_meeting_every_condition() -> None:
    # 300.00 is the maximum value and 30 % the maximum return rate: both inclusive
    c = claim(line(quantity=3))
    assert qualifies_for_auto_approval(c, CustomerHistory(10, 3), AUTO)


@pytest.mark.parametrize(
    ("what", "c", "history", "policy"),
    [
        ("switched off", claim(), CustomerHistory(), Policy()),
        ("value over 300.00", claim(line(price="300.01")), CustomerHistory(), AUTO),
        ("return rate over 30 %", claim(), CustomerHistory(100, 31), AUTO),
        ("reason not allowed", claim(reason="not_as_described"), CustomerHistory(), AUTO),
        ("no photo", claim(photos=0), CustomerHistory(), AUTO),
    ],
)
def test_auto_approval_refuses_when_one_condition_fails(
    what: str, c: Claim, history: CustomerHistory, policy: Policy
) -> None:
    assert not qualifies_for_auto_approval(c, history, policy), what


def test_auto_approval_without_photo_when_not_required() -> None:
    policy = apply_overrides(AUTO, {"auto_approve_photo_required": False})
    assert qualifies_for_auto_approval(claim(photos=0), CustomerHistory(), policy)


def test_auto_approval_reasons_are_configurable() -> None:
    policy = apply_overrides(AUTO, {"auto_approve_reasons": ["changed_mind"]})
    assert qualifies_for_auto_approval(no_reason(photos=1), CustomerHistory(), policy)
    assert not qualifies_for_auto_approval(claim(), CustomerHistory(), policy)


def test_ineligible_claim_is_never_auto_approved() -> None:
    book = PolicyBook(default={"auto_approve": True})
    late = datetime(2026, 4, 1, tzinfo=UTC)
    assert evaluate_policy(
        claim(), CustomerHistory(), book, datetime(2026, 3, 2, tzinfo=UTC)
    ).auto_approved
    assert not evaluate_policy(claim(), CustomerHistory(), book, late).auto_approved


# --- the snapshot kept on the request ---------------------------------------------------------


def test_decision_snapshot_round_trips_through_json() -> None:
    book = PolicyBook(default={"restocking_fee_percent": "10"})
    c = no_reason(line(), line("SOAP-1", "hygiene", returnable=False, order_line_id=2))
    decision = evaluate_policy(c, CustomerHistory(), book, datetime(2026, 3, 2, 8, tzinfo=UTC))
    stored = json.loads(json.dumps(decision.to_snapshot()))

    again = PolicyDecision.from_snapshot(stored)

    assert again == decision
    assert not again.eligible
    assert again.fee_percent_for(1) == D("10.00")
    assert stored["lines"][0]["window_ends_at"] == "2026-03-09T00:00:00+08:00"
    assert stored["lines"][1]["refusals"] == [
        {"code": "not_returnable", "params": {"sku": "SOAP-1"}}
    ]
    assert stored["evaluated_at"] == "2026-03-02T08:00:00+00:00"


def test_quality_claims_keep_room_for_the_photo_they_need() -> None:
    with pytest.raises(ValidationError) as caught:
        apply_overrides(Policy(), {"max_photos": 0})
    assert caught.value.code == "policy_photos_needed"
    no_photos = {"max_photos": 0, "quality_photo_required": False}
    assert apply_overrides(Policy(), no_photos).max_photos == 0
