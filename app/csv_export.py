"""CSV files that open cleanly in spreadsheet programs and cannot inject formulas.

Shared by every export (personal data, readiness reports). Cells starting with `=`, `+`, `-`,
`@`, a tab, a carriage return or a line feed (and NUL) are read as formulas or control input
by Excel, LibreOffice and Google Sheets; such cells get a leading apostrophe (OWASP's advice),
which spreadsheets show as plain text. The file is UTF-8 with a byte-order mark so Excel
guesses the encoding right, with RFC 4180 quoting and CRLF line ends (the csv module's).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def neutralise(value: Any) -> str:
    """Return a cell's text, with a leading apostrophe if a spreadsheet could run it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)  # a number (even negative) is data, never a formula
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> str:
    """Return a whole CSV document (header first) with every cell neutralised."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Return the CSV document encoded as UTF-8 (with its byte-order mark)."""
    return csv_text(header, rows).encode("utf-8")
