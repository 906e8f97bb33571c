"""The rendering of ``Reply`` values into HTML text in the chat's language (Babel)."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from gettext import GNUTranslations
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from locales import BABEL_LOCALES, load_catalogs
from services.chat import Percent, Reply

__all__ = ["Renderer", "load_catalogs"]


class Renderer:
    """Turns ``Reply`` values into text in a language, escaping everything customers wrote."""

    def __init__(
        self, catalogs: Mapping[str, GNUTranslations], *, currency: str, zone: ZoneInfo
    ) -> None:
        self.catalogs = catalogs
        self.currency = currency
        self.zone = zone

    def text(self, reply: Reply, language: str) -> str:
        catalog = self.catalogs[language]
        if reply.count is None:
            template = catalog.gettext(reply.key)
        else:
            template = catalog.ngettext(reply.key, f"{reply.key}.plural", reply.count)
        values = {name: self.value(value, language) for name, value in reply.params.items()}
        return template.format_map(values)

    def word(self, key: str, language: str) -> str:
        return self.catalogs[language].gettext(key)

    def value(self, value: Any, language: str) -> str:
        """Render one parameter: nested replies, lists, money, times, numbers, escaped text."""
        if isinstance(value, Reply):
            return self.text(value, language)
        if isinstance(value, tuple):
            return "\n".join(self.value(item, language) for item in value)
        locale = BABEL_LOCALES[language]
        formatters: tuple[tuple[type, Callable[[Any], str]], ...] = (
            (Decimal, lambda v: format_currency(v, self.currency, locale=locale)),
            (Percent, lambda v: _percent(v, locale)),
            (datetime, lambda v: format_datetime(v.astimezone(self.zone), "short", locale=locale)),
            (date, lambda v: format_date(v, "medium", locale=locale)),
            (bool, str),
            (int, lambda v: format_decimal(v, locale=locale)),
        )
        for kind, render in formatters:
            if isinstance(value, kind):
                return render(value)
        return "—" if value is None else html.escape(str(value))


def _percent(percent: Percent, locale: str) -> str:
    """2.5 → "2.5%" (en), "2,5 %" (ru): every decimal the shop set, none it did not."""
    return format_percent(percent.value / 100, locale=locale, decimal_quantization=False)
