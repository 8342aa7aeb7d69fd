"""CSV files that open cleanly in spreadsheet programs and cannot inject formulas.

Shared by every export (personal data, readiness reports). Cells starting with `=`, `+`, `-`,
`@`, a tab, a carriage return or a line feed (and NUL) are read as formulas or control input
by Excel, LibreOffice and Google Sheets; such cells get a leading apostrophe (OWASP's advice),
which spreadsheets show as plain text. The file is UTF-8 with a byte-order mark so Excel
guesses the encoding right, with RFC 4180 quoting and CRLF line ends (the csv module's).

By default the delimiter is a comma and the decimal mark a point. `csv_dialect_for(locale)`
gives what a spreadsheet program set to that locale expects instead: in German, French and
Italian (Switzerland unless another region is named) a semicolon, because the comma is (or
may be) the decimal mark there, and the locale's own decimal mark (Babel's CLDR data: a point
in de-CH and it-CH, a comma in fr-CH); English keeps the comma and the point.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.core import UnknownLocaleError
from babel.numbers import get_decimal_symbol

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
SEMICOLON_LANGUAGES = ("de", "fr", "it")
DEFAULT_REGION = "CH"


@dataclass(frozen=True)
class CsvDialect:
    """What a spreadsheet program expects in a CSV: the field delimiter and the decimal mark."""

    delimiter: str = ","
    decimal: str = "."


DEFAULT_DIALECT = CsvDialect()


def csv_dialect_for(locale: str | None) -> CsvDialect:
    """The CSV dialect of a locale ("de", "fr-CH", "it_CH", "en"...); the default if unknown."""
    if not locale:
        return DEFAULT_DIALECT
    language, _sep, region = locale.replace("-", "_").partition("_")
    language = language.lower()
    if language not in SEMICOLON_LANGUAGES:
        return DEFAULT_DIALECT
    try:
        decimal = get_decimal_symbol(f"{language}_{(region or DEFAULT_REGION).upper()}")
    except (UnknownLocaleError, ValueError):
        decimal = get_decimal_symbol(f"{language}_{DEFAULT_REGION}")
    return CsvDialect(";", decimal)


def neutralise(value: Any, *, decimal: str = ".") -> str:
    """Return a cell's text, with a leading apostrophe if a spreadsheet could run it.

    Numbers are written with `decimal` as the decimal mark (a point unless told otherwise).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # a number (even negative) is data, never a formula
    if isinstance(value, float):
        return str(value).replace(".", decimal)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_writer(sink: Any, dialect: CsvDialect = DEFAULT_DIALECT) -> Any:
    """A csv writer for `sink` with RFC 4180 quoting, CRLF line ends and the dialect's delimiter."""
    return csv.writer(sink, dialect="excel", delimiter=dialect.delimiter)


def csv_row(row: Iterable[Any], dialect: CsvDialect = DEFAULT_DIALECT) -> list[str]:
    """A row's cells as neutralised text with the dialect's decimal mark."""
    return [neutralise(cell, decimal=dialect.decimal) for cell in row]


def csv_text(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool = True,
    dialect: CsvDialect = DEFAULT_DIALECT,
) -> str:
    """Return a whole CSV document (header first) with every cell neutralised."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv_writer(buffer, dialect)
    writer.writerow(csv_row(header, dialect))
    for row in rows:
        writer.writerow(csv_row(row, dialect))
    return buffer.getvalue()


def csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, dialect: CsvDialect = DEFAULT_DIALECT
) -> bytes:
    """Return the CSV document encoded as UTF-8 (with its byte-order mark)."""
    return csv_text(header, rows, dialect=dialect).encode("utf-8")
