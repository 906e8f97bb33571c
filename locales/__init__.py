"""Gettext catalogs of ReturnDesk and their loader (Babel).

``locales/<lang>/LC_MESSAGES/<domain>.po`` for en, zh_Hans and ru: the domain
``returndesk`` holds what customers read in the chat, ``backoffice`` the staff pages.
Catalogs are compiled in memory when loaded; a missing or empty catalog is an error,
never silent English.
"""

from __future__ import annotations

import io
from gettext import GNUTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent
LANGUAGES = ("en", "zh_Hans", "ru")
BABEL_LOCALES = {"en": "en", "zh_Hans": "zh_Hans_CN", "ru": "ru_RU"}
DOMAIN = "returndesk"


class CatalogError(RuntimeError):
    """A language's catalog is missing or unusable."""


def compile_catalog(
    language: str, locales_dir: Path = LOCALES_DIR, domain: str = DOMAIN
) -> GNUTranslations:
    """Compile one language's .po file in memory and load it."""
    path = locales_dir / language / "LC_MESSAGES" / f"{domain}.po"
    try:
        with path.open("rb") as po_file:
            catalog = read_po(po_file, locale=BABEL_LOCALES[language])
    except OSError as error:
        raise CatalogError(f"no {domain} catalog for {language}: {error}") from None
    if not len(catalog):
        raise CatalogError(f"the {domain} catalog for {language} is empty")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return GNUTranslations(buffer)


def load_catalogs(
    locales_dir: Path = LOCALES_DIR, domain: str = DOMAIN
) -> dict[str, GNUTranslations]:
    """Compile every language's catalog of ``domain``."""
    return {language: compile_catalog(language, locales_dir, domain) for language in LANGUAGES}
