"""The back-office's gettext catalogs (domain ``backoffice``): current, complete, loadable.

The template ``locales/backoffice.pot`` must hold exactly what Babel extracts from the inputs
of the command documented in babel.cfg today — the back-office (``_("…")`` in the Jinja
templates, ``N_("…")`` in the Python modules) and ``services/reports.py`` (report titles,
column labels and notes) — so a new string on a page without a catalog update fails here. English is the source language
(msgstr = msgid); Simplified Chinese and Russian translate every message, with the same
placeholders and the right number of plural forms.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import (
    DEFAULT_KEYWORDS,
    check_and_call_extract_file,
    extract_from_dir,
)
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from locales import BABEL_LOCALES, LANGUAGES, LOCALES_DIR, load_catalogs

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "backoffice"
TRANSLATIONS = [language for language in LANGUAGES if language != "en"]
PLURAL_FORMS = {"en": 2, "zh_Hans": 1, "ru": 3}
# n -> index of the Russian form: 1 книга, 2 книги, 5 книг (11–14 take the "many" form).
RUSSIAN_PLURAL_FORM = {
    0: 2,
    1: 0,
    2: 1,
    4: 1,
    5: 2,
    11: 2,
    12: 2,
    14: 2,
    21: 0,
    22: 1,
    25: 2,
    111: 2,
}
# A space is not taken as a conversion flag: in "{share}% of the requests" the "% o" is text
# (Babel's extractor flags such a message python-format all the same, so messages avoid it).
PERCENT_FIELD = re.compile(r"%(?:\((\w+)\))?[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
BRACE_FIELD = re.compile(r"\{(\w*)[^{}]*\}")
SCRIPT = {"zh_Hans": re.compile(r"[\u4e00-\u9fff]"), "ru": re.compile(r"[А-Яа-яЁё]")}
SAMPLES = ["Returns", "Refund", "Exchange", "Inventory", "Finance", "Approve", "Sign in"]

Key = tuple[str | None, str | tuple[str, ...]]


def key(message: Message) -> Key:
    """A message's identity: its context and its msgid (with the plural msgid, if any)."""
    msgid = message.id if isinstance(message.id, str) else tuple(message.id)
    return message.context, msgid


def forms(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def placeholders(text: str) -> Counter[str]:
    """``%(name)s``/``%s`` and ``{name}`` fields, as written."""
    found = [match.group(0) for match in PERCENT_FIELD.finditer(text)]
    return Counter(found + [match.group(0) for match in BRACE_FIELD.finditer(text)])


def fill(text: str, msgid: str) -> str:
    """``text`` filled in as the page fills ``msgid`` in (``%`` or ``str.format``)."""
    named = [match.group(1) for match in PERCENT_FIELD.finditer(msgid) if match.group(1)]
    if named:
        text = text % dict.fromkeys(named, 1)
    braced = [match.group(1) for match in BRACE_FIELD.finditer(msgid)]
    if braced:
        text = text.format(**dict.fromkeys(braced, "1"))
    return text


@cache
def extraction_settings() -> tuple[list[tuple[str, str]], dict[str, dict], dict]:
    """The method map of babel.cfg and the keywords of the command it documents (``-k N_``)."""
    config = ROOT / "babel.cfg"
    with config.open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file, str(config))
    extra = re.findall(r"(?:-k|--keyword)[ =](\S+)", config.read_text(encoding="utf-8"))
    return method_map, options_map, {**DEFAULT_KEYWORDS, **parse_keywords(extra)}


@cache
def extraction_inputs() -> tuple[str, ...]:
    """The input paths of the ``pybabel extract`` command documented in babel.cfg."""
    text = (ROOT / "babel.cfg").read_text(encoding="utf-8")
    command = re.search(r"pybabel extract .*?-o \S+ (.+)$", text, re.MULTILINE)
    assert command, "babel.cfg does not document the pybabel extract command"
    return tuple(command.group(1).split())


@cache
def fresh_extraction() -> Catalog:
    """What ``pybabel extract -F babel.cfg -k N_ … backoffice services/reports.py`` would write.

    As pybabel does, a directory's files are matched against babel.cfg's patterns relative to
    that directory, and a file relative to the repository root (the working directory).
    """
    method_map, options_map, keywords = extraction_settings()
    catalog = Catalog(fuzzy=False)
    for name in extraction_inputs():
        path = ROOT / name
        if path.is_dir():
            found = extract_from_dir(path, method_map, options_map, keywords=keywords)
        else:
            assert path.is_file(), f"babel.cfg names a missing input: {name}"
            found = check_and_call_extract_file(
                path, method_map, options_map, None, keywords, (), False, dirpath=ROOT
            )
        for filename, lineno, message, comments, context in found:
            catalog.add(
                message, None, [(filename, lineno)], auto_comments=comments, context=context
            )
    return catalog


@cache
def template() -> Catalog:
    with (LOCALES_DIR / f"{DOMAIN}.pot").open("rb") as file:
        return read_po(file)


@cache
def catalog(language: str) -> Catalog:
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as file:
        return read_po(file, locale=BABEL_LOCALES[language])


def messages(cat: Catalog) -> dict[Key, Message]:
    return {key(message): message for message in cat if message.id}


def test_extraction_uses_the_babel_cfg_settings() -> None:
    method_map, _, keywords = extraction_settings()
    assert dict(method_map) == {"**.py": "python", "**.html": "jinja2"}
    assert "N_" in keywords
    assert "_" in keywords
    assert "ngettext" in keywords


def test_the_extraction_reads_the_back_office_and_the_reports_service() -> None:
    assert extraction_inputs() == ("backoffice", "services/reports.py")
    extracted = messages(fresh_extraction())
    assert (None, "Reports") in extracted  # a template of the back-office
    assert (None, "Return rate by month") in extracted  # a report title in services/reports.py
    assert (None, "Return rate (%)") in extracted  # a column label there


def test_the_template_matches_a_fresh_extraction() -> None:
    extracted = set(messages(fresh_extraction()))
    stored = set(messages(template()))
    assert extracted, "the extraction found no messages at all"
    new = sorted(map(repr, extracted - stored))
    gone = sorted(map(repr, stored - extracted))
    assert not new, (
        f"messages missing from locales/{DOMAIN}.pot (re-extract and translate them): {new}"
    )
    assert not gone, f"messages in locales/{DOMAIN}.pot that the code no longer uses: {gone}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_has_exactly_the_template_messages(language: str) -> None:
    expected = set(messages(template()))
    found = set(messages(catalog(language)))
    assert sorted(map(repr, expected - found)) == [], (
        f"{language}: template messages missing from the catalog"
    )
    assert sorted(map(repr, found - expected)) == [], f"{language}: messages not in the template"
    assert not catalog(language).obsolete, f"{language}: obsolete (#~) entries"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_not_fuzzy(language: str) -> None:
    cat = catalog(language)
    assert not cat.fuzzy, f"{language}: the header is marked fuzzy"
    assert cat.num_plurals == PLURAL_FORMS[language]
    for message in messages(cat).values():
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        expected = cat.num_plurals if message.pluralizable else 1
        assert len(forms(message)) == expected, f"{language}: plural forms of {message.id!r}"
        assert all(form.strip() for form in forms(message)), f"{language}: empty {message.id!r}"


def test_english_is_the_source() -> None:
    for message in messages(catalog("en")).values():
        assert forms(message) == ((message.id,) if isinstance(message.id, str) else message.id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_kept(language: str) -> None:
    for message in messages(catalog(language)).values():
        ids = (message.id,) if isinstance(message.id, str) else message.id
        allowed = [placeholders(msgid) for msgid in ids]
        for form in forms(message):
            assert placeholders(form) in allowed, f"{language}: {message.id!r} -> {form!r}"
            assert fill(form, ids[-1]), f"{language}: {form!r} cannot be filled in"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_are_in_the_language(language: str) -> None:
    for message in messages(catalog(language)).values():
        for form in forms(message):
            words = BRACE_FIELD.sub("", PERCENT_FIELD.sub("", form))  # a field name is no word
            assert SCRIPT[language].search(form) or not re.search("[A-Za-z]{4}", words), (
                f"{language}: {message.id!r} looks untranslated: {form!r}"
            )


def test_load_catalogs_compiles_all_three() -> None:
    loaded = load_catalogs(domain=DOMAIN)
    assert set(loaded) == set(LANGUAGES)
    for sample in SAMPLES:
        assert loaded["en"].gettext(sample) == sample
        for language in TRANSLATIONS:
            translated = loaded[language].gettext(sample)
            assert translated != sample, f"{language}: {sample!r} is not translated"
            assert SCRIPT[language].search(translated), f"{language}: {translated!r}"
    for language in LANGUAGES:
        for message in messages(catalog(language)).values():
            if isinstance(message.id, str) and message.context is None:
                assert loaded[language].gettext(message.id) == message.string


def test_plural_forms_follow_each_language() -> None:
    loaded = load_catalogs(domain=DOMAIN)
    for message in messages(catalog("ru")).values():
        if not message.pluralizable:
            continue
        singular, plural = message.id[0], message.id[1]
        for count, index in RUSSIAN_PLURAL_FORM.items():
            assert loaded["ru"].ngettext(singular, plural, count) == message.string[index]
        zh = messages(catalog("zh_Hans"))[key(message)].string[0]
        assert {loaded["zh_Hans"].ngettext(singular, plural, n) for n in (1, 2, 5)} == {zh}
        assert loaded["en"].ngettext(singular, plural, 1) == singular
        assert loaded["en"].ngettext(singular, plural, 2) == plural
