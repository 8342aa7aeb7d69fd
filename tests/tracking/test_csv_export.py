"""The shared CSV writer: spreadsheet formulas are neutralised, UTF-8 with BOM, RFC 4180."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from app.web.csv_export import BOM, csv_bytes, csv_text, neutralise


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+41 79 000 00 00",
        "-2+3",
        "@SUM(A1:A2)",
        "\tindented",
        "\rcarriage",
        "\nline",
        "\0nul",
    ],
)
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Anne Muster", "a=b", "x-y", "", "e-mail@example.org"])
def test_ordinary_text_is_kept(value):
    assert neutralise(value) == value


def test_numbers_booleans_dates_and_none_are_data():
    assert neutralise(-3) == "-3"
    assert neutralise(85.5) == "85.5"
    assert neutralise(True) == "true"
    assert neutralise(None) == ""
    assert neutralise(datetime(2027, 1, 2, 3, 4, tzinfo=UTC)) == "2027-01-02T03:04:00+00:00"


def test_document_has_bom_crlf_and_rfc4180_quoting():
    text = csv_text(["name", "note"], [["=cmd|' /C calc'!A0", 'say "hi", then\nleave']])
    assert text.startswith(BOM)
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [["name", "note"], ["'=cmd|' /C calc'!A0", 'say "hi", then\nleave']]


def test_bytes_are_utf8_with_bom():
    data = csv_bytes(["nom"], [["Zoë Müller"]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Zoë Müller".encode() in data
