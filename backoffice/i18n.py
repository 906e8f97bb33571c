"""The back-office in the staff member's language: gettext and Babel formatting per request,
and the shop's reasons by their labels."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from gettext import GNUTranslations
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from backoffice.keys import CATALOGS, CURRENCY, ZONE
from backoffice.messages import N_
from backoffice.names import EXCHANGE_DIFFERENCE, REASONS, REFUND_METHODS, actor_name
from domain.money import percent_of, round_money
from domain.policy import PolicyDecision, reason_label
from locales import BABEL_LOCALES, LANGUAGES
from services.policies import list_reason_codes
from services.queue import LineView

LANGUAGE_COOKIE = "returndesk_language"
MONEY_NOTES = frozenset({"refund", "record_payment"})  # events whose note starts with an amount
MONEY = re.compile(r"-?\d+(\.\d+)?")
# a label, its colon and the space before what follows: "Owner: nobody", Chinese "负责人：无人"
LABEL = N_("%(label)s: ")


def request_language(request: web.Request) -> str:
    """The signed-in staff member's language, else the cookie, else the browser's, else English."""
    staff = request.get("staff")
    if staff is not None:
        return str(staff.language)
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    accepted = request.headers.get("Accept-Language", "").lower()
    if accepted.startswith("zh"):
        return "zh_Hans"
    if accepted.startswith("ru"):
        return "ru"
    return "en"


@dataclass(frozen=True)
class Words:
    """Translations and formats for one page: ``_("…")``, money, dates, numbers."""

    language: str
    catalog: GNUTranslations
    currency: str
    zone: ZoneInfo

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.catalog.ngettext(singular, plural, count)

    def label(self, text: str) -> str:
        """``text`` (already in words) with the language's colon and, where the language puts
        one, a space: "Owner: ", "负责人：" (templates strip their own space after it)."""
        return self.gettext(LABEL) % {"label": text}

    @property
    def locale(self) -> str:
        return BABEL_LOCALES[self.language]

    def money(self, amount: Decimal | None) -> str:
        return "—" if amount is None else format_currency(amount, self.currency, locale=self.locale)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        return format_datetime(moment.astimezone(self.zone), "short", locale=self.locale)

    def day(self, moment: date | None) -> str:
        return "—" if moment is None else format_date(moment, "medium", locale=self.locale)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: Decimal | None) -> str:
        """A percentage (18.50 → "18.5%", "18,5 %" in Russian): the decimals it has, no more."""
        if value is None:
            return "—"
        share = (value / 100).normalize()
        return format_percent(share, locale=self.locale, decimal_quantization=False)

    def restocking_fee(self, decision: PolicyDecision, lines: Iterable[LineView]) -> str:
        """The decision's restocking fee: its percentage and, when every line has the same one,
        the amount on the units accepted (on those claimed, before inspection)."""
        percents = sorted({line.restocking_fee_percent for line in decision.lines})
        shown = ", ".join(self.percent(percent) for percent in percents)
        if len(percents) != 1 or not percents[0]:
            return shown
        fee = sum((percent_of(_value(line), percents[0]) for line in lines), Decimal(0))
        return f"{shown} · {self.money(fee)}"

    def called(self, names: Mapping[str, str], code: object) -> str:
        """A code by its name in ``names`` (backoffice.names), translated; else the code."""
        text = str(code)
        return self.gettext(names[text]) if text in names else text

    def called_all(self, names: Mapping[str, str], codes: Iterable[object]) -> str:
        """Several codes by their names, separated by commas."""
        return ", ".join(self.called(names, code) for code in codes)

    def actor(self, actor: str, customer: str = "") -> str:
        """Who did something, as a word or a name (backoffice.names.actor_name)."""
        return actor_name(actor, self.gettext, customer)

    def refund_reference(self, reference: str, return_type: str) -> str:
        """The reference finance typed; a refund of an exchange without one gives back the
        cheaper replacement's difference (services/refunds.py stores no words for it)."""
        if reference or return_type != "exchange":
            return reference
        return self.gettext(EXCHANGE_DIFFERENCE)

    def note(self, action: str, note: str) -> str:
        """An event's note in words: services/refunds.py writes a refund's as "<amount>
        <method>" and a payment's as its amount; every other note is what a person wrote."""
        amount, _, method = note.partition(" ")
        if action not in MONEY_NOTES or not MONEY.fullmatch(amount):
            return note
        money = self.money(Decimal(amount))
        return f"{money} · {self.called(REFUND_METHODS, method)}" if method else money


def _value(line: LineView) -> Decimal:
    """What the customer paid for the line's accepted units, or for all claimed if ungraded."""
    graded = line.resellable + line.defective + line.refused
    units = line.resellable + line.defective if graded else line.quantity
    return round_money(line.unit_price * units)


def words_for(request: web.Request) -> Words:
    language = request_language(request)
    app = request.app
    return Words(language, app[CATALOGS][language], app[CURRENCY], app[ZONE])


@dataclass(frozen=True)
class ReasonNames:
    """The shop's reasons as one staff member reads them: by the label in their language; else,
    for a built-in reason, its name in the catalog; else the English label, else the code.
    Labels are staff-entered text, escaped like any other."""

    labels: Mapping[str, Mapping[str, str]]  # code -> language -> label, in the shop's order
    language: str
    gettext: Callable[[str], str]

    @property
    def codes(self) -> list[str]:
        return list(self.labels)

    def name(self, code: str) -> str:
        labels = self.labels.get(code, {})
        if code in REASONS and not labels.get(self.language):
            return self.gettext(REASONS[code])
        return reason_label(labels, self.language, code)

    def built_in(self, code: str) -> str:
        """The catalog's name of a built-in reason (what shows without a label), else ""."""
        return self.gettext(REASONS[code]) if code in REASONS else ""

    @property
    def names(self) -> dict[str, str]:
        """Every reason's name, by code."""
        return {code: self.name(code) for code in self.labels}


async def reason_names(request: web.Request) -> ReasonNames:
    """Every reason, retired ones too (old requests keep them), read in one query."""
    reasons = await list_reason_codes()
    labels = {r.code: r.labels for r in reasons}
    return ReasonNames(labels, request_language(request), words_for(request).gettext)
