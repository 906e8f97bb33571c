"""Gettext catalogs (Babel) and the rendering of ``Reply`` values into HTML text.

Catalogs are compiled from ``locales/<lang>/LC_MESSAGES/returndesk.po`` when the bot
starts; a missing or empty catalog is an error, never silent English.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from gettext import GNUTranslations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from services.chat import Reply

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("en", "zh_Hans", "ru")
BABEL_LOCALES = {"en": "en", "zh_Hans": "zh_Hans_CN", "ru": "ru_RU"}
DOMAIN = "returndesk"


class CatalogError(RuntimeError):
    """A language's catalog is missing or unusable."""


def compile_catalog(language: str, locales_dir: Path = LOCALES_DIR) -> GNUTranslations:
    """Compile one language's .po file in memory and load it."""
    path = locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    try:
        with path.open("rb") as po_file:
            catalog = read_po(po_file, locale=BABEL_LOCALES[language])
    except OSError as error:
        raise CatalogError(f"no catalog for {language}: {error}") from None
    if not len(catalog):
        raise CatalogError(f"the catalog for {language} is empty")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return GNUTranslations(buffer)


def load_catalogs(locales_dir: Path = LOCALES_DIR) -> dict[str, GNUTranslations]:
    """Compile every language's catalog."""
    return {language: compile_catalog(language, locales_dir) for language in LANGUAGES}


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
            (datetime, lambda v: format_datetime(v.astimezone(self.zone), "short", locale=locale)),
            (date, lambda v: format_date(v, "medium", locale=locale)),
            (bool, str),
            (int, lambda v: format_decimal(v, locale=locale)),
        )
        for kind, render in formatters:
            if isinstance(value, kind):
                return render(value)
        return "—" if value is None else html.escape(str(value))
