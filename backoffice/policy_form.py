"""The policy editor's form: one input per setting, text in, typed settings out.

A blank input means "not set here" (the scope inherits it). What cannot be read as its
type (and every amount) is passed on as text, so the domain refuses it naming the field
and the form the setting takes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import partial
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from backoffice.i18n import Words, reason_names, words_for
from domain.policy import Policy, policy_to_dict


@dataclass(frozen=True)
class Setting:
    """One policy setting as the form shows it: its name, kind and built-in default."""

    name: str
    kind: str  # bool, int, Decimal, str, tuple[int, ...] or tuple[str, ...]
    default: str


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


SETTINGS = tuple(
    Setting(f.name, str(f.type), _shown(policy_to_dict(Policy())[f.name])) for f in fields(Policy)
)


def shown_settings(settings: dict[str, Any]) -> dict[str, str]:
    """Stored settings as the form's texts."""
    return {name: _shown(value) for name, value in settings.items()}


def _read(setting: Setting, raw: str) -> Any:
    if setting.kind == "bool":
        return {"true": True, "false": False}.get(raw, raw)
    if setting.kind == "int":
        return int(raw) if raw.isdigit() and len(raw) < 10 else raw
    if setting.kind.startswith("tuple"):
        items = [item.strip() for item in raw.split(",") if item.strip()]
        whole = "int" in setting.kind
        return [int(i) if whole and i.isdigit() and len(i) < 10 else i for i in items]
    return raw


def settings_from_form(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """The settings filled in on the form, typed; blank inputs are left out."""
    texts = {s.name: str(form.get(s.name, "")).strip() for s in SETTINGS}
    return {s.name: _read(s, texts[s.name]) for s in SETTINGS if texts[s.name]}


def _readers(words: Words, reason_name: Callable[[str], str]) -> dict[str, Callable[[Any], str]]:
    """How the settings that are not plain numbers read, by name."""
    return {
        "auto_approve_reasons": lambda codes: ", ".join(reason_name(code) for code in codes),
        "reminder_days": lambda days: ", ".join(words.number(day) for day in days),
        "restocking_fee_percent": lambda percent: words.percent(Decimal(percent)),
        "auto_approve_max_return_rate": lambda rate: words.percent(Decimal(rate) * 100),
        "auto_approve_max_value": lambda amount: words.money(Decimal(amount)),
    }


def setting_in_words(
    name: str, value: Any, *, words: Words, reason_name: Callable[[str], str]
) -> str:
    """A stored setting as staff read it: yes or no, reasons by name, percentages, money and
    numbers in the reader's format (each setting's label says its unit)."""
    if isinstance(value, bool):
        return words.gettext("yes") if value else words.gettext("no")
    read = _readers(words, reason_name).get(name)
    if read is not None:
        return read(value)
    return words.number(value) if isinstance(value, int) else str(value)


async def settings_reader(request: web.Request) -> Callable[[str, Any], str]:
    """``setting_in_words`` for the staff member of ``request``."""
    names = await reason_names(request)
    return partial(setting_in_words, words=words_for(request), reason_name=names.name)
