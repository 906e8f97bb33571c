"""Writing a service's Table as a streamed CSV or an XLSX download."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from aiohttp import web

from backoffice.i18n import ReasonNames, Words
from backoffice.keys import ZONE
from backoffice.names import CODED_COLUMNS, EXPORT_COLUMNS
from services.exports import Table

# A cell starting with one of these is a formula to a spreadsheet: customer text must not be.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLUSH_ROWS = 200


def _namer(column: str, words: Words, reasons: ReasonNames) -> Callable[[Any], Any]:
    if column == "reason":
        return reasons.name
    if column == "refunded_by":
        return words.actor
    names = CODED_COLUMNS.get(column)
    if names is None:
        return lambda value: value
    return lambda code: None if code is None else words.called(names, code)


async def _worded_rows(
    rows: AsyncIterator[tuple[Any, ...]], namers: list[Callable[[Any], Any]]
) -> AsyncIterator[tuple[Any, ...]]:
    async for row in rows:
        yield tuple(name(value) for name, value in zip(namers, row, strict=True))


def worded(table: Table, words: Words, reasons: ReasonNames) -> Table:
    """The table as a staff member reads it: its columns and coded values (status, type,
    reason, refund method) named in their language, who refunded named as on the pages."""
    header = tuple(words.called(EXPORT_COLUMNS, column) for column in table.header)
    namers = [_namer(column, words, reasons) for column in table.header]
    return Table(table.name, header, _worded_rows(table.rows, namers))


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _csv_cell(value: Any, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value, zone).isoformat(sep=" ", timespec="seconds")
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def _download(name: str, suffix: str, content_type: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="{name}.{suffix}"',
        "Cache-Control": "no-store",
    }


async def stream_csv(request: web.Request, table: Table) -> web.StreamResponse:
    """Send the table as UTF-8 CSV (with a BOM, for spreadsheets), a batch of rows at a time."""
    zone = request.app[ZONE]
    response = web.StreamResponse(headers=_download(table.name, "csv", "text/csv; charset=utf-8"))
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(table.header)
    count = 0
    async for row in table.rows:
        writer.writerow([_csv_cell(v, zone) for v in row])
        count += 1
        if count % FLUSH_ROWS == 0:
            await response.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
    await response.write(buffer.getvalue().encode())
    await response.write_eof()
    return response


def _xlsx_cell(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return _local(value, zone)
    if isinstance(value, Decimal | int | str) or value is None:
        return value
    return str(value)


async def xlsx_response(request: web.Request, table: Table) -> web.Response:
    """Build the table as one XLSX sheet in memory and send it.

    ``constant_memory`` keeps one row in memory at a time (finished rows go to a temporary
    file until the workbook is zipped into the buffer); strings are never formulas.
    """
    zone = request.app[ZONE]
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd hh:mm",
        },
    )
    sheet = workbook.add_worksheet(table.name)
    sheet.write_row(0, 0, table.header, workbook.add_format({"bold": True}))
    money = workbook.add_format({"num_format": "0.00"})
    index = 0
    async for index, row in enumerate_async(table.rows, start=1):
        for column, value in enumerate(row):
            cell = _xlsx_cell(value, zone)
            if isinstance(cell, Decimal):
                sheet.write_number(index, column, cell, money)
            else:
                sheet.write(index, column, cell)
    sheet.autofilter(0, 0, index, len(table.header) - 1)
    await asyncio.to_thread(workbook.close)
    return web.Response(body=output.getvalue(), headers=_download(table.name, "xlsx", XLSX))


async def enumerate_async(rows: Any, start: int = 0) -> Any:
    index = start
    async for row in rows:
        yield index, row
        index += 1
