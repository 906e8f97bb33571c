"""The bot's gettext catalogs: complete, consistent with English, and loadable.

English (``locales/en``) is the source of truth; every other catalog must translate every
message of the template with the same ``str.format`` fields, the same Telegram HTML tags,
the same emoji and the same ``/commands``. The keys the code uses must all be in the template.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.app import COMMANDS
from domain.policy import DEFAULT_REASONS
from domain.returns import Action, Status
from locales import (
    BABEL_LOCALES,
    DOMAIN,
    LANGUAGES,
    LOCALES_DIR,
    CatalogError,
    compile_catalog,
    load_catalogs,
)
from services.chat.router import SHOW

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = [language for language in LANGUAGES if language != "en"]
KEY_LITERAL = re.compile(r"\"([a-z_]+\.[a-z_.]+)\"")
HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
SLASH_COMMAND = re.compile(r"(?<![\w<}])/[a-z_]+")
RUSSIAN_PLURAL_FORM = {1: 0, 3: 1, 5: 2, 21: 0}


@cache
def template() -> Catalog:
    with (LOCALES_DIR / f"{DOMAIN}.pot").open("rb") as file:
        return read_po(file)


@cache
def catalog(language: str) -> Catalog:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as file:
        return read_po(file, locale=BABEL_LOCALES[language])


def key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def messages(cat: Catalog) -> dict[str, object]:
    return {key(message): message for message in cat if message.id}


def forms(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def tags(text: str) -> Counter[str]:
    return Counter(HTML_TAG.findall(text))


def emoji(text: str) -> Counter[str]:
    return Counter(char for char in text if unicodedata.category(char) == "So")


def commands(text: str) -> set[str]:
    return set(SLASH_COMMAND.findall(text))


def pot_keys() -> set[str]:
    return set(messages(template()))


def english(message_key: str) -> tuple[str, ...]:
    return forms(messages(catalog("en"))[message_key])


def translated_pairs():
    """(language, key, translated forms, English forms) for every non-English message."""
    for language in TRANSLATIONS:
        for message_key, message in sorted(messages(catalog(language)).items()):
            yield language, message_key, forms(message), english(message_key)


# Completeness --------------------------------------------------------------------------


def test_template_is_not_empty():
    assert len(pot_keys()) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_same_ids_as_template(language):
    keys = set(messages(catalog(language)))
    assert not pot_keys() - keys, f"missing in {language}"
    assert not keys - pot_keys(), f"not in the template ({language})"


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_entries_match_template(language):
    expected = {message.id for message in template() if message.id}
    actual = {message.id for message in catalog(language) if message.id}
    assert actual == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_translated_and_not_fuzzy(language):
    cat = catalog(language)
    assert not cat.fuzzy
    problems = []
    for message_key, message in messages(cat).items():
        if message.fuzzy:
            problems.append(f"{message_key}: fuzzy")
        texts = forms(message)
        if isinstance(message.id, tuple) and len(texts) != cat.num_plurals:
            problems.append(f"{message_key}: {len(texts)} forms, expected {cat.num_plurals}")
        if not all(text.strip() for text in texts):
            problems.append(f"{message_key}: untranslated")
    assert not problems


def test_plural_headers():
    assert catalog("zh_Hans").num_plurals == 1
    assert catalog("zh_Hans").plural_expr == "0"
    assert catalog("ru").num_plurals == 3
    assert catalog("ru").plural_expr == (
        "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
    )


# Consistency with English ----------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_placeholders_match_english(language):
    """Same fields as English; a plural form may serve counts English words either way,
    so every form carries every field any English form has."""
    problems = []
    for lang, message_key, texts, source in translated_pairs():
        if lang != language:
            continue
        expected = set().union(*(fields(text) for text in source))
        for index, text in enumerate(texts):
            if fields(text) != expected:
                problems.append(f"{message_key}[{index}]: {fields(text)} != {expected}")
    assert not problems


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_html_tags_match_english(language):
    problems = []
    for lang, message_key, texts, source in translated_pairs():
        if lang != language:
            continue
        expected = tags(source[-1])
        assert all(tags(text) == expected for text in source), message_key
        for index, text in enumerate(texts):
            if tags(text) != expected:
                problems.append(f"{message_key}[{index}]: {tags(text)} != {expected}")
    assert not problems


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_emoji_and_commands_match_english(language):
    problems = []
    for lang, message_key, texts, source in translated_pairs():
        if lang != language:
            continue
        for index, text in enumerate(texts):
            if emoji(text) != emoji(source[-1]):
                problems.append(f"{message_key}[{index}]: emoji {emoji(text)}")
            if commands(text) != commands(source[-1]):
                problems.append(f"{message_key}[{index}]: commands {commands(text)}")
    assert not problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_language_names_are_native(language):
    translations = compile_catalog(language)
    assert translations.gettext("language.en") == "English"
    assert translations.gettext("language.zh_Hans") == "简体中文"
    assert translations.gettext("language.ru") == "Русский"


def test_language_set_names_the_new_language():
    catalogs = load_catalogs()
    assert "English" in catalogs["en"].gettext("language.set")
    assert "中文" in catalogs["zh_Hans"].gettext("language.set")
    assert "русский" in catalogs["ru"].gettext("language.set").lower()


# Compiling and loading -----------------------------------------------------------------


def test_catalogs_compile_and_translate():
    catalogs = load_catalogs()
    assert set(catalogs) == set(LANGUAGES)
    english_text = catalogs["en"].gettext("status.refunded")
    assert english_text == "refunded"
    for language in TRANSLATIONS:
        text = catalogs[language].gettext("status.refunded")
        assert text not in ("status.refunded", english_text), language
    for message_key in pot_keys():
        for language in LANGUAGES:
            assert catalogs[language].gettext(message_key) != message_key, (language, message_key)


def test_chinese_has_one_plural_form():
    translations = load_catalogs()["zh_Hans"]
    texts = {
        translations.ngettext("photos.required", "photos.required.plural", n) for n in (0, 1, 2, 5)
    }
    assert texts == set(forms(messages(catalog("zh_Hans"))["photos.required"]))


def test_russian_picks_the_right_plural_form():
    translations = load_catalogs()["ru"]
    stored = forms(messages(catalog("ru"))["photos.required"])
    assert len(stored) == 3
    assert len(set(stored)) == 3, "the three Russian forms should differ"
    for n, index in RUSSIAN_PLURAL_FORM.items():
        text = translations.ngettext("photos.required", "photos.required.plural", n)
        assert text == stored[index], n


def test_missing_language_directory_is_an_error(tmp_path):
    with pytest.raises(CatalogError, match="no returndesk catalog for ru"):
        compile_catalog("ru", tmp_path)


def test_empty_catalog_is_an_error(tmp_path):
    directory = tmp_path / "ru" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    (directory / f"{DOMAIN}.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n', encoding="utf-8"
    )
    with pytest.raises(CatalogError, match="empty"):
        compile_catalog("ru", tmp_path)


def test_zero_byte_catalog_is_an_error(tmp_path):
    directory = tmp_path / "zh_Hans" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    (directory / f"{DOMAIN}.po").write_bytes(b"")
    with pytest.raises(CatalogError, match="empty"):
        compile_catalog("zh_Hans", tmp_path)


# Keys in code --------------------------------------------------------------------------


def source_files() -> list[Path]:
    files = sorted((ROOT / "services" / "chat").glob("*.py")) + sorted((ROOT / "bot").glob("*.py"))
    assert files
    return files


def test_literal_keys_in_code_are_in_template():
    found = {
        (path.relative_to(ROOT).as_posix(), literal)
        for path in source_files()
        for literal in KEY_LITERAL.findall(path.read_text(encoding="utf-8"))
    }
    assert len(found) > 50
    missing = sorted(f"{path}: {literal}" for path, literal in found if literal not in pot_keys())
    assert not missing


DYNAMIC_FAMILIES = {
    "status": [str(status) for status in Status],
    "event": [*(str(action) for action in Action), "submit"],
    "reason": list(DEFAULT_REASONS),
    "command": list(COMMANDS),
    "language": list(LANGUAGES),
    "expect": list(SHOW),
}


@pytest.mark.parametrize("family", sorted(DYNAMIC_FAMILIES))
def test_dynamic_key_families_are_complete(family):
    missing = [
        f"{family}.{name}"
        for name in DYNAMIC_FAMILIES[family]
        if f"{family}.{name}" not in pot_keys()
    ]
    assert not missing
