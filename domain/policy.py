"""The shop's return policy (SPEC §4) and its evaluation, as pure functions.

A ``PolicyBook`` holds the default settings and the overrides per channel, category and
SKU; ``PolicyBook.resolve`` merges them (default ← channel ← category ← SKU).
``evaluate_policy`` turns a claim, its order, the customer's history, the book and the
current time into a ``PolicyDecision`` that is kept on the request as it was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import ValidationError
from domain.money import LARGEST, to_money


class ReasonClass(StrEnum):
    NO_REASON = "no_reason"
    QUALITY = "quality"


DEFAULT_REASONS: dict[str, ReasonClass] = {
    "quality_defect": ReasonClass.QUALITY,
    "not_as_described": ReasonClass.QUALITY,
    "wrong_item": ReasonClass.QUALITY,
    "damaged_in_transit": ReasonClass.QUALITY,
    "size_fit": ReasonClass.NO_REASON,
    "changed_mind": ReasonClass.NO_REASON,
    "other": ReasonClass.NO_REASON,
}


def reason_label(labels: Mapping[str, str], language: str, code: str) -> str:
    """A reason as one reader sees it: its label in their language, else the English label,
    else its label in another language, else its code (labels are what the shop's admins
    typed, per language)."""
    return next((labels[lang] for lang in (language, "en", *labels) if labels.get(lang)), code)


@dataclass(frozen=True)
class Policy:
    """The effective settings for one channel, category and SKU."""

    returnable: bool = True
    no_reason_days: int = 7
    quality_days: int = 15
    restocking_fee_percent: Decimal = Decimal("0")
    quality_photo_required: bool = True
    max_photos: int = 5
    ship_back_days: int = 14
    reminder_days: tuple[int, ...] = (3, 10)
    auto_approve: bool = False
    auto_approve_max_value: Decimal = Decimal("300")
    auto_approve_max_return_rate: Decimal = Decimal("0.30")
    auto_approve_reasons: tuple[str, ...] = ("quality_defect", "wrong_item", "damaged_in_transit")
    auto_approve_photo_required: bool = True
    survey_delay_days: int = 2
    auto_close_days: int = 7
    sla_review_hours: int = 24
    sla_inspection_hours: int = 48
    sla_refund_hours: int = 72
    timezone: str = "Asia/Shanghai"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_FIELD_TYPES = {f.name: f.type for f in fields(Policy)}
# Windows and deadlines: of no days, they would end before the customer could act.
PERIOD_DAYS = ("no_reason_days", "quality_days", "ship_back_days")
# Delays after a resolution, where 0 means at once.
DELAY_DAYS = ("survey_delay_days", "auto_close_days")
HOURS = ("sla_review_hours", "sla_inspection_hours", "sla_refund_hours")
# What a number setting may be saved as, and the refusal (its code names the form and range)
# if not.
WHOLE_RANGES: dict[str, tuple[str, int, int]] = {
    **dict.fromkeys(PERIOD_DAYS, ("policy_period_days", 1, 365)),
    **dict.fromkeys(DELAY_DAYS, ("policy_days", 0, 365)),
    **dict.fromkeys(HOURS, ("policy_hours", 1, 720)),
    "max_photos": ("policy_photos", 0, 10),
    "reminder_days": ("policy_day_list", 1, 365),
}
# What a stored rule may hold: rules saved before the minimums above (a ship-back deadline
# of 0 days) still load, so the shop keeps working; only saving them again is refused.
STORED_RANGES = {
    **WHOLE_RANGES,
    **{
        name: (code, 0, high)
        for name, (code, _low, high) in WHOLE_RANGES.items()
        if name in (*PERIOD_DAYS, "reminder_days")
    },
}
Ranges = Mapping[str, tuple[str, int, int]]
AMOUNT_RANGES: dict[str, tuple[str, Decimal, Decimal]] = {
    "auto_approve_max_value": ("policy_amount", Decimal(0), LARGEST),
    # a fee over 100 % would leave the customer owing the shop for their own return
    "restocking_fee_percent": ("policy_percent", Decimal(0), Decimal(100)),
    "auto_approve_max_return_rate": ("policy_rate", Decimal(0), Decimal(1)),
}
KIND_REFUSALS = {
    "bool": "policy_bool",
    "str": "policy_timezone",
    "tuple[str, ...]": "policy_reason_list",
}


def _refuse(name: str, value: Any) -> ValidationError:
    """The refusal of ``value`` for setting ``name``: its code says what the setting takes."""
    known = WHOLE_RANGES.get(name) or AMOUNT_RANGES.get(name)
    code = known[0] if known else KIND_REFUSALS[str(_FIELD_TYPES[name])]
    return ValidationError(code, field=name, value=str(value)[:100])


def _as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _refuse(name, value)
    return value


def _as_count(name: str, value: Any, ranges: Ranges) -> int:
    _code, low, high = ranges[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _refuse(name, value)
    return value


def _as_amount(name: str, value: Any) -> Decimal:
    _code, low, high = AMOUNT_RANGES[name]
    try:
        amount = to_money(value if isinstance(value, Decimal | int) else str(value))
    except (ValidationError, TypeError):
        raise _refuse(name, value) from None
    if not low <= amount <= high:
        raise _refuse(name, value)
    return amount


def _as_text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _refuse(name, value)
    return value


def _as_tuple(name: str, value: Any, ranges: Ranges) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise _refuse(name, value)
    # items are checked too: a stray "3" among reminder days would only fail in a job later
    if "int" in str(_FIELD_TYPES[name]):
        return tuple(_as_count(name, v, ranges) for v in value)
    return tuple(_as_text(name, v) for v in value)


def _as_timezone(name: str, value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise _refuse(name, value) from None
    return str(value)


_COERCERS = {"bool": _as_bool, "Decimal": _as_amount, "str": _as_timezone}


def _coerce(name: str, value: Any, ranges: Ranges) -> Any:
    kind = str(_FIELD_TYPES[name])
    if kind == "int":
        return _as_count(name, value, ranges)
    if kind.startswith("tuple"):
        return _as_tuple(name, value, ranges)
    return _COERCERS[kind](name, value)


def _overridden(policy: Policy, overrides: Mapping[str, Any], ranges: Ranges) -> Policy:
    unknown = set(overrides) - set(_FIELD_TYPES)
    if unknown:
        raise ValidationError("unknown_policy_field", field=sorted(unknown)[0])
    return replace(policy, **{k: _coerce(k, v, ranges) for k, v in overrides.items()})


def _check_reminders(policy: Policy) -> None:
    """Refuse a ship-back reminder on or after the deadline: the request expires that day,
    so the customer would never get it."""
    late = _late_reminders(policy)
    if late:
        raise ValidationError(
            "policy_reminder_after_deadline",
            field="reminder_days",
            value=str(late[0]),
            maximum=str(policy.ship_back_days - 1),
        )


def _late_reminders(policy: Policy) -> list[int]:
    """The reminder days on or after the ship-back deadline."""
    return [day for day in policy.reminder_days if day >= policy.ship_back_days]


def _check_photos(policy: Policy) -> None:
    """Refuse a photo limit of 0 where quality claims need a photo: none could be made."""
    if policy.quality_photo_required and policy.max_photos < 1:
        raise ValidationError("policy_photos_needed", field="max_photos", value="0", minimum="1")


def apply_overrides(policy: Policy, overrides: Mapping[str, Any]) -> Policy:
    """Return ``policy`` with ``overrides`` as a rule may be saved with them: unknown keys,
    values out of their range (``WHOLE_RANGES``), a reminder day on or after the ship-back
    deadline and quality claims needing a photo none may be sent with are refused."""
    changed = _overridden(policy, overrides, WHOLE_RANGES)
    _check_reminders(changed)
    _check_photos(changed)
    return changed


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """Render a policy as JSON-able settings."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(policy).items()}


@dataclass(frozen=True)
class PolicyBook:
    """Default settings and the overrides per channel, category and SKU."""

    default: Mapping[str, Any] = field(default_factory=dict)
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    categories: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    skus: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def resolve(self, channel: str, category: str | None = None, sku: str | None = None) -> Policy:
        """Merge default ← channel ← category ← SKU into one Policy.

        Stored rules are read within ``STORED_RANGES``: a rule saved before a setting's
        minimum was raised still applies as it was saved."""
        policy = _overridden(Policy(), self.default, STORED_RANGES)
        layers = (self.channels.get(channel), self.categories.get(category or ""))
        for layer in (*layers, self.skus.get(sku or "")):
            if layer:
                policy = _overridden(policy, layer, STORED_RANGES)
        return policy

    def with_rule(self, scope: str, key: str, settings: Mapping[str, Any]) -> PolicyBook:
        """This book with one rule (``default``, ``channel``, ``category`` or ``sku``
        scope) replaced by ``settings``."""
        if scope == "default":
            return replace(self, default=dict(settings))
        layer = {"channel": "channels", "category": "categories", "sku": "skus"}[scope]
        return replace(self, **{layer: {**getattr(self, layer), key: dict(settings)}})

    def check_reminders(self, before: PolicyBook) -> None:
        """Refuse this book (``before`` with a rule changed) if in it some channel's
        reminders, its own or the default's, fall on or after its ship-back deadline where
        in ``before`` they did not (a rule saved broken before the check came is left)."""
        for channel in ("", *self.channels):
            try:
                _check_reminders(self.resolve(channel))
            except ValidationError:
                if not _late_reminders(before.resolve(channel)):
                    raise

    def not_returnable(self, channel: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The categories and the SKUs this channel's customers cannot return, each sorted."""
        categories = (
            c for c in self.categories if not self.resolve(channel, category=c).returnable
        )
        skus = (s for s in self.skus if not self.resolve(channel, sku=s).returnable)
        return tuple(sorted(categories)), tuple(sorted(skus))


@dataclass(frozen=True)
class ClaimLine:
    """One order line the customer wants to return."""

    order_line_id: int
    sku: str
    category: str
    product_returnable: bool
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Claim:
    """What the customer asks for, before it is decided."""

    channel: str
    delivered_at: datetime | None
    reason_code: str
    reason_class: ReasonClass
    lines: tuple[ClaimLine, ...]
    photo_count: int = 0

    @property
    def value(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class CustomerHistory:
    """The customer's units bought and returned over the last 12 months."""

    units_bought: int = 0
    units_returned: int = 0

    @property
    def return_rate(self) -> Decimal:
        if self.units_bought == 0:
            return Decimal(0)
        return Decimal(self.units_returned) / Decimal(self.units_bought)


@dataclass(frozen=True)
class Refusal:
    """Why something is not eligible: a stable code and its parameters."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LineDecision:
    order_line_id: int
    refusals: tuple[Refusal, ...]
    window_ends_at: datetime | None
    restocking_fee_percent: Decimal

    @property
    def eligible(self) -> bool:
        return not self.refusals


@dataclass(frozen=True)
class PolicyDecision:
    """The policy's verdict on a claim, kept on the request as it was made."""

    reason_class: ReasonClass
    lines: tuple[LineDecision, ...]
    refusals: tuple[Refusal, ...]
    shipping_paid_by: str
    photo_required: bool
    auto_approved: bool
    ship_back_days: int
    evaluated_at: datetime

    @property
    def eligible(self) -> bool:
        return not self.refusals and all(line.eligible for line in self.lines)

    def fee_percent_for(self, order_line_id: int) -> Decimal:
        for line in self.lines:
            if line.order_line_id == order_line_id:
                return line.restocking_fee_percent
        return Decimal(0)

    def to_snapshot(self) -> dict[str, Any]:
        """Render the decision as JSON-able data for the request's snapshot."""
        return _jsonable(asdict(self))

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> PolicyDecision:
        lines = tuple(
            LineDecision(
                order_line_id=line["order_line_id"],
                refusals=_refusals(line["refusals"]),
                window_ends_at=_parse_time(line["window_ends_at"]),
                restocking_fee_percent=Decimal(line["restocking_fee_percent"]),
            )
            for line in data["lines"]
        )
        return cls(
            reason_class=ReasonClass(data["reason_class"]),
            lines=lines,
            refusals=_refusals(data["refusals"]),
            shipping_paid_by=data["shipping_paid_by"],
            photo_required=data["photo_required"],
            auto_approved=data["auto_approved"],
            ship_back_days=data["ship_back_days"],
            evaluated_at=datetime.fromisoformat(data["evaluated_at"]),
        )


def _refusals(items: list[Mapping[str, Any]]) -> tuple[Refusal, ...]:
    return tuple(Refusal(item["code"], dict(item["params"])) for item in items)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def window_end(delivered_at: datetime, days: int, zone: ZoneInfo) -> datetime:
    """End of the return window: ``days`` full days counted from the day after delivery.

    Delivered on 1 March (shop time), a 7-day window runs 2–8 March and ends at the
    start of 9 March, shop time.
    """
    delivered_on: date = delivered_at.astimezone(zone).date()
    return datetime.combine(delivered_on + timedelta(days=days + 1), time(0), tzinfo=zone)


def last_day(window_ends_at: datetime) -> date:
    """The last whole day of a window: the day before it ends at midnight, shop time (the
    time zone ``window_end`` gives the end)."""
    return (window_ends_at - timedelta(seconds=1)).date()


def window_days(policy: Policy, reason_class: ReasonClass) -> int:
    if reason_class is ReasonClass.QUALITY:
        return policy.quality_days
    return policy.no_reason_days


def evaluate_line(claim: Claim, line: ClaimLine, policy: Policy, now: datetime) -> LineDecision:
    """Decide one line: returnable at all, and inside its window."""
    refusals: list[Refusal] = []
    if not (line.product_returnable and policy.returnable):
        refusals.append(Refusal("not_returnable", {"sku": line.sku}))
    ends = None
    if claim.delivered_at is None:
        refusals.append(Refusal("not_delivered"))
    else:
        ends = window_end(claim.delivered_at, window_days(policy, claim.reason_class), policy.zone)
        if now >= ends:
            refusals.append(Refusal("window_closed", {"until": ends.isoformat()}))
    fee = policy.restocking_fee_percent if claim.reason_class is ReasonClass.NO_REASON else 0
    return LineDecision(line.order_line_id, tuple(refusals), ends, Decimal(fee))


def _claim_refusals(claim: Claim, policy: Policy) -> list[Refusal]:
    refusals: list[Refusal] = []
    if not claim.lines:
        refusals.append(Refusal("no_items"))
    quality = claim.reason_class is ReasonClass.QUALITY
    if quality and policy.quality_photo_required and claim.photo_count < 1:
        refusals.append(Refusal("photo_required"))
    if claim.photo_count > policy.max_photos:
        refusals.append(Refusal("too_many_photos", {"max": str(policy.max_photos)}))
    return refusals


def qualifies_for_auto_approval(claim: Claim, history: CustomerHistory, policy: Policy) -> bool:
    """Tell whether the shop's auto-approval rule accepts this claim without a reviewer."""
    return (
        policy.auto_approve
        and claim.value <= policy.auto_approve_max_value
        and history.return_rate <= policy.auto_approve_max_return_rate
        and claim.reason_code in policy.auto_approve_reasons
        and (claim.photo_count > 0 or not policy.auto_approve_photo_required)
    )


def evaluate_policy(
    claim: Claim, history: CustomerHistory, book: PolicyBook, now: datetime
) -> PolicyDecision:
    """Decide a claim against the shop's policy at ``now``.

    Each line is judged with the policy of its channel, category and SKU; the claim as a
    whole with its channel's policy (photos, auto-approval, ship-back deadline).
    """
    policy = book.resolve(claim.channel)
    lines = tuple(
        evaluate_line(claim, line, book.resolve(claim.channel, line.category, line.sku), now)
        for line in claim.lines
    )
    refusals = tuple(_claim_refusals(claim, policy))
    eligible = not refusals and all(line.eligible for line in lines)
    quality = claim.reason_class is ReasonClass.QUALITY
    return PolicyDecision(
        reason_class=claim.reason_class,
        lines=lines,
        refusals=refusals,
        shipping_paid_by="shop" if quality else "customer",
        photo_required=quality and policy.quality_photo_required,
        auto_approved=eligible and qualifies_for_auto_approval(claim, history, policy),
        ship_back_days=policy.ship_back_days,
        evaluated_at=now,
    )
