"""Exports of report tables (readiness, item analysis, page feedback): CSV (streamed) and XLSX,
both safe against formulas.

CSV: UTF-8 with a byte-order mark, RFC 4180 quoting, CRLF line ends, streamed row by row from
a generator; every cell goes through `app.web.csv_export.neutralise` (a leading apostrophe on
cells starting with = + - @, a tab, CR, LF or NUL). The delimiter and decimal mark are the
reader's locale's (`app.web.csv_export.csv_dialect_for`: a semicolon in de/fr/it-CH); dates are
ISO (2027-03-01), which every spreadsheet program reads as a date; a `Percent` is written in
percentage points (66.7). XLSX (XlsxWriter): text is written with `write_string`, so a cell
is never a formula whatever it starts with; numbers are numbers, dates are date cells with a
date format, a `Percent` is the share (0.667) with a percent format.
A table's rows may be a generator reading the database as the answer goes out (the readiness
export of every overdue person): the CSV is then sent in chunks of about `CHUNK_BYTES` as the
rows come, so the first byte leaves at once and memory stays the same at any size.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import xlsxwriter
from flask import Response, stream_with_context

from app.web.csv_export import (
    BOM,
    DEFAULT_DIALECT,
    CsvDialect,
    csv_dialect_for,
    csv_row,
    csv_writer,
)

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
_SAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


DATE_FORMATS = {"en": "yyyy-mm-dd"}
DEFAULT_DATE_FORMAT = "dd.mm.yyyy"  # de-CH, fr-CH, it-CH
PERCENT_FORMAT = "0.0%"


@dataclass(frozen=True)
class Percent:
    """A share (0..1) shown as a percentage: 66.7 in a CSV, 0.667 with a % format in XLSX."""

    share: float

    @property
    def points(self) -> float:
        """The percentage, rounded to one decimal (what the page shows)."""
        return round(100 * self.share, 1)


def percent(share: float | None) -> Percent | None:
    """Wrap a share for an export cell (None stays an empty cell)."""
    return None if share is None else Percent(share)


def _csv_value(value: Any) -> Any:
    if isinstance(value, Percent):
        return value.points
    if isinstance(value, datetime):
        return value.date() if value.tzinfo is None else value.isoformat()
    return value


@dataclass(frozen=True)
class Table:
    """A table to export: its file name (without extension), header and rows."""

    name: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]  # a list, or a generator read once while streaming


class _Line:
    """A file-like sink that hands back what the csv writer wrote for one row."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)


def csv_lines(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], dialect: CsvDialect = DEFAULT_DIALECT
) -> Iterator[str]:
    """Yield a CSV document line by line: the byte-order mark with the header, then each row."""
    sink = _Line()
    writer = csv_writer(sink, dialect)
    writer.writerow(csv_row(header, dialect))
    yield BOM + sink.text
    for row in rows:
        sink.text = ""
        writer.writerow(csv_row([_csv_value(cell) for cell in row], dialect))
        yield sink.text


# Lines are gathered into chunks of about this size, so that a long export is not sent as
# one write per row.
CHUNK_BYTES = 32 * 1024


def csv_chunks(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], dialect: CsvDialect = DEFAULT_DIALECT
) -> Iterator[bytes]:
    """Yield a CSV document as UTF-8 chunks: the header at once, then rows as they come."""
    lines = csv_lines(header, rows, dialect)
    yield next(lines).encode()
    buffer: list[str] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def xlsx_bytes(
    sheet: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    date_format: str = DEFAULT_DATE_FORMAT,
) -> bytes:
    """Return an XLSX workbook with one sheet: text as strings (never formulas), numbers,
    dates as date cells and percentages as numbers with a percent format."""
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
    formats = {
        "date": workbook.add_format({"num_format": date_format}),
        "datetime": workbook.add_format({"num_format": f"{date_format} hh:mm"}),
        "percent": workbook.add_format({"num_format": PERCENT_FORMAT}),
    }
    for column, title in enumerate(header):
        worksheet.write_string(0, column, str(title), bold)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _write_cell(worksheet, number, column, value, formats)
    worksheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


def _write_cell(worksheet: Any, row: int, column: int, value: Any, formats: dict) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        worksheet.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        worksheet.write_number(row, column, value)
    elif isinstance(value, Percent):
        worksheet.write_number(row, column, value.share, formats["percent"])
    elif isinstance(value, datetime):
        # Spreadsheets know no time zones: a moment is written in UTC (tables give local days).
        naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        worksheet.write_datetime(row, column, naive, formats["datetime"])
    elif isinstance(value, date):
        worksheet.write_datetime(row, column, value, formats["date"])
    else:
        worksheet.write_string(row, column, str(value))


def _filename(name: str, extension: str) -> str:
    stem = _SAFE_NAME_RE.sub("-", name).strip("-.")[:80] or "export"
    return f"{stem}.{extension}"


def download(table: Table, file_format: str, *, locale: str | None = None) -> Response:
    """Answer with the table as a CSV (streamed) or XLSX attachment, in the reader's locale.

    `locale` ("fr_CH"...) defaults to the request's (`app.i18n.request_language.select_locale`).
    """
    if locale is None:
        from app.i18n.request_language import select_locale

        locale = select_locale()
    if file_format == "csv":
        response = Response(
            stream_with_context(csv_chunks(table.header, table.rows, csv_dialect_for(locale))),
            mimetype=CSV_MIMETYPE,
        )
        filename = _filename(table.name, "csv")
    elif file_format == "xlsx":
        language = locale.replace("-", "_").partition("_")[0]
        response = Response(
            xlsx_bytes(
                table.name,
                table.header,
                table.rows,
                date_format=DATE_FORMATS.get(language, DEFAULT_DATE_FORMAT),
            ),
            mimetype=XLSX_MIMETYPE,
        )
        filename = _filename(table.name, "xlsx")
    else:
        raise ValueError(f"unknown export format {file_format!r}")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
