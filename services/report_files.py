"""A report as a file: CSV, JSON, an aligned text table, or an XLSX workbook.

The page's export and the ``returndesk report`` command both write through here, so a
figure reads the same in each: integers as they are, decimals with their places
(``12.50``), nothing as an empty cell (``null`` in JSON). The files for people (table, CSV,
XLSX) are worded by the ``gettext`` they are given (English by default): labels, notes and
the codes in cells (a stage, "total") as their words; JSON, for programs, keeps the codes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import xlsxwriter

from services.reports import Column, Report, english_plural

__all__ = ["FORMATS", "to_csv", "to_json", "to_table", "to_xlsx"]

FORMATS = ("table", "csv", "json")


# A text cell starting with one of these is a formula to a spreadsheet: customer text must not be.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def _csv_cell(column: Column, value: Any, gettext: Gettext) -> str:
    text = column.show(value, gettext)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_START) else text


def _header(report: Report, gettext: Gettext) -> list[str]:
    return [gettext(c.label) for c in report.columns]


def to_csv(report: Report, gettext: Gettext = str) -> str:
    """The report's table as CSV with a header of column labels."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_header(report, gettext))
    writer.writerows(
        [_csv_cell(c, v, gettext) for c, v in zip(report.columns, row, strict=True)]
        for row in report.rows
    )
    return out.getvalue()


def to_json(report: Report) -> str:
    """The report as JSON: its name, filters, columns, rows (by column key) and notes."""
    filters = report.filters
    document = {
        "report": report.name,
        "title": report.title,
        "from": f"{filters.period.first:%Y-%m}",
        "to": f"{filters.period.last:%Y-%m}",
        "channel": filters.channel,
        "category": filters.category,
        "columns": [{"key": c.key, "label": c.label} for c in report.columns],
        "rows": [
            {k: (None if v is None else v if isinstance(v, int) else str(v)) for k, v in r.items()}
            for r in report.records()
        ],
        "notes": [note.render() for note in report.notes],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def to_table(report: Report, gettext: Gettext = str, ngettext: Ngettext = english_plural) -> str:
    """The report as aligned text, numbers to the right, with its title and notes."""
    header = _header(report, gettext)
    body = [
        [c.show(v, gettext) for c, v in zip(report.columns, row, strict=True)]
        for row in report.rows
    ]
    widths = [max(len(text) for text in column) for column in zip(header, *body, strict=True)]
    numeric = [c.kind not in ("text", "month", "time") for c in report.columns]

    def line(texts: list[str]) -> str:
        parts = [
            t.rjust(w) if right else t.ljust(w)
            for t, w, right in zip(texts, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    lines = [f"{gettext(report.title)} ({report.filters.period})", line(header)]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(line(row) for row in body)
    lines.extend(note.render(gettext, ngettext) for note in report.notes)
    return "\n".join(lines) + "\n"


def to_xlsx(report: Report, gettext: Gettext = str, ngettext: Ngettext = english_plural) -> bytes:
    """The report as a one-sheet workbook: numbers stay numbers, with their places."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(report.name[:31])
    bold = book.add_format({"bold": True})
    places = {0: book.add_format({"num_format": "0"})}
    sheet.write_row(0, 0, _header(report, gettext), bold)
    for r, row in enumerate(report.rows, start=1):
        for c, (column, value) in enumerate(zip(report.columns, row, strict=True)):
            if isinstance(value, Decimal):
                digits = max(-int(value.as_tuple().exponent), 0)
                if digits not in places:
                    places[digits] = book.add_format({"num_format": "0." + "0" * digits})
                sheet.write_number(r, c, float(value), places[digits])
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            elif value is not None:
                sheet.write_string(r, c, column.show(value, gettext))
    for n, note in enumerate(report.notes, start=len(report.rows) + 2):
        sheet.write_string(n, 0, note.render(gettext, ngettext))
    book.close()
    return out.getvalue()
