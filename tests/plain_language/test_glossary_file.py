"""Glossary CSV files: the columns, empty and duplicate rows, encodings (pure)."""

from __future__ import annotations

import pytest

from app.plain_language.glossary_file import GlossaryFileError, read_glossary


def problems_of(data) -> list[str]:
    with pytest.raises(GlossaryFileError) as caught:
        read_glossary(data, "g.csv")
    return [str(p) for p in caught.value.problems]


def test_rows_are_read_with_their_line_and_spacing_tidied():
    rows = read_glossary(
        "\ufeffterm,suggestion\nOrtsabwesenheit,  Ferien /  Abwesenheit\n\n"
        '"Steuer, direkt",vom Lohn\n',
        "g.csv",
    )
    assert [(r.line, r.term, r.suggestion) for r in rows] == [
        (2, "Ortsabwesenheit", "Ferien / Abwesenheit"),
        (4, "Steuer, direkt", "vom Lohn"),
    ]


def test_semicolons_as_spreadsheets_write_them_and_columns_in_any_order():
    rows = read_glossary(b"suggestion;term\r\npayer;s'acquitter\r\n", "g.csv")
    assert [(r.term, r.suggestion) for r in rows] == [("s'acquitter", "payer")]


def test_duplicates_name_both_rows_whatever_the_case_and_spacing():
    data = "term,suggestion\nassujetti,qui paie\nprestation,aide\nAssujetti ,autre\nprestation,x\n"
    assert problems_of(data) == [
        "g.csv:4: 'Assujetti' is already on row 2 (each term once)",
        "g.csv:5: 'prestation' is already on row 3 (each term once)",
    ]


def test_empty_fields_missing_header_and_other_encodings_are_refused():
    assert problems_of("term,suggestion\n,vide\nmot,\n") == [
        "g.csv:2: the term is empty",
        "g.csv:3: the plain wording is empty",
    ]
    assert problems_of("Wort,Erklärung\nA,B\n") == [
        "g.csv:1: the first row must name the columns: term,suggestion"
    ]
    assert problems_of("term,suggestion\nimpôt,x\n".encode("latin-1")) == [
        "g.csv: the file is not UTF-8 text (save it as CSV UTF-8)"
    ]
    assert problems_of("term,suggestion\n" + "x" * 201 + ",y\n") == [
        "g.csv:2: the term is longer than 200 characters"
    ]
