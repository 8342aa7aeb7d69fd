"""Exports of every readiness table: CSV (streamed) and XLSX, both safe against formulas.

CSV: UTF-8 with a byte-order mark, RFC 4180 quoting, CRLF line ends, streamed row by row from
a generator; every cell goes through `app.csv_export.neutralise` (a leading apostrophe on
cells starting with = + - @, a tab, CR, LF or NUL). XLSX (XlsxWriter): text is written with
`write_string`, so a cell is never a formula whatever it starts with; numbers stay numbers.
The rows are read before the answer starts, so streaming never touches the database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import xlsxwriter
from flask import Response

from app.csv_export import BOM, neutralise

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Table:
    """A table to export: its file name (without extension), header and rows."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]


class _Line:
    """A file-like sink that hands back what the csv writer wrote for one row."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield a CSV document line by line: the byte-order mark with the header, then each row."""
    sink = _Line()
    writer = csv.writer(sink, dialect="excel")
    writer.writerow([neutralise(cell) for cell in header])
    yield BOM + sink.text
    for row in rows:
        sink.text = ""
        writer.writerow([neutralise(cell) for cell in row])
        yield sink.text


def xlsx_bytes(sheet: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """Return an XLSX workbook with one sheet: text as strings (never formulas), numbers."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    worksheet = workbook.add_worksheet(_SAFE_NAME_RE.sub(" ", sheet)[:31] or "Sheet1")
    bold = workbook.add_format({"bold": True})
    for column, title in enumerate(header):
        worksheet.write_string(0, column, str(title), bold)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _write_cell(worksheet, number, column, value)
    worksheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


def _write_cell(worksheet: Any, row: int, column: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        worksheet.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        worksheet.write_number(row, column, value)
    elif isinstance(value, datetime | date):
        worksheet.write_string(row, column, value.isoformat())
    else:
        worksheet.write_string(row, column, str(value))


def _filename(name: str, extension: str) -> str:
    stem = _SAFE_NAME_RE.sub("-", name).strip("-.")[:80] or "export"
    return f"{stem}.{extension}"


def download(table: Table, file_format: str) -> Response:
    """Answer with the table as a CSV (streamed) or XLSX attachment."""
    if file_format == "csv":
        response = Response(csv_lines(table.header, table.rows), mimetype=CSV_MIMETYPE)
        filename = _filename(table.name, "csv")
    elif file_format == "xlsx":
        response = Response(
            xlsx_bytes(table.name, table.header, table.rows), mimetype=XLSX_MIMETYPE
        )
        filename = _filename(table.name, "xlsx")
    else:
        raise ValueError(f"unknown export format {file_format!r}")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
