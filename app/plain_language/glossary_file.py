"""Glossary files: CSV with a `term,suggestion` header, one entry a row (pure: no Flask, no DB).

The shipped glossaries (glossaries/<language>.csv) and a trainer's upload are read by the same
parser, so the same rules hold for both: every row has a term and a suggestion, and no term
appears twice (a duplicate names both rows, and nothing is taken from the file).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.i18n.languages import LANGUAGES
from app.i18n.markers import N_
from app.plain_language.terms import normalise_term
from app.web.problems import Problem, make_problem

SHIPPED_FOLDER = Path(__file__).resolve().parent / "glossaries"
MAX_TERM = 200
MAX_SUGGESTION = 500
MAX_ROWS = 5000
MAX_FILE_BYTES = 512 * 1024


@dataclass(frozen=True)
class GlossaryRow:
    """One row of a glossary file, with its 1-based line in the file."""

    line: int
    term: str
    suggestion: str

    @property
    def key(self) -> str:
        """The term's comparison key (case and spacing do not make a new term)."""
        return normalise_term(self.term)


class GlossaryFileError(ValueError):
    """A glossary file cannot be used; `problems` says what and where."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def read_glossary(data: bytes | str, source: str) -> list[GlossaryRow]:
    """Parse a glossary CSV; raise GlossaryFileError naming every bad row."""
    text = _decoded(data, source)
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    term_at, suggestion_at = _columns(reader, source)
    problems: list[Problem] = []
    rows: list[GlossaryRow] = []
    first_line: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                problems.append(
                    make_problem(source, line, N_("more than %(count)d entries"), count=MAX_ROWS)
                )
                break
            term = " ".join((cells[term_at] if term_at < len(cells) else "").split())
            suggestion = " ".join(
                (cells[suggestion_at] if suggestion_at < len(cells) else "").split()
            )
            row = GlossaryRow(line, term, suggestion)
            row_problems = check_entry(source, line, term, suggestion)
            if not row_problems and row.key in first_line:
                row_problems = [
                    make_problem(
                        source,
                        line,
                        N_("'%(term)s' is already on row %(row)d (each term once)"),
                        term=term,
                        row=first_line[row.key],
                    )
                ]
            problems.extend(row_problems)
            if not row_problems:
                first_line[row.key] = line
                rows.append(row)
    except csv.Error as exc:
        problems.append(make_problem(source, reader.line_num, str(exc)))
    if problems:
        raise GlossaryFileError(problems)
    return rows


def _decoded(data: bytes | str, source: str) -> str:
    """The file's text: refused when it is too large or not UTF-8; a byte order mark dropped."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise GlossaryFileError([make_problem(source, 0, N_("the file is larger than 512 KB"))])
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise GlossaryFileError(
                [make_problem(source, 0, N_("the file is not UTF-8 text (save it as CSV UTF-8)"))]
            ) from None
    return data.removeprefix("\ufeff")


def _columns(reader: Iterator[list[str]], source: str) -> tuple[int, int]:
    """Where the term and suggestion columns are, from the header row (refused without them)."""
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise GlossaryFileError([make_problem(source, 1, str(exc))]) from None
    columns = [name.strip().lower() for name in header or []]
    if "term" not in columns or "suggestion" not in columns:
        raise GlossaryFileError(
            [make_problem(source, 1, N_("the first row must name the columns: term,suggestion"))]
        )
    return columns.index("term"), columns.index("suggestion")


def check_entry(source: str, line: int, term: str, suggestion: str) -> list[Problem]:
    """Problems of one entry (empty or too long fields); the form and the file share them."""
    problems = []
    if not term:
        problems.append(make_problem(source, line, N_("the term is empty")))
    elif len(term) > MAX_TERM:
        problems.append(
            make_problem(
                source, line, N_("the term is longer than %(max)d characters"), max=MAX_TERM
            )
        )
    if not suggestion:
        problems.append(make_problem(source, line, N_("the plain wording is empty")))
    elif len(suggestion) > MAX_SUGGESTION:
        problems.append(
            make_problem(
                source,
                line,
                N_("the plain wording is longer than %(max)d characters"),
                max=MAX_SUGGESTION,
            )
        )
    return problems


def shipped_glossary(language: str) -> list[GlossaryRow]:
    """The glossary shipped with the platform for a language (empty for other languages)."""
    if language not in LANGUAGES:
        return []
    path = SHIPPED_FOLDER / f"{language}.csv"
    return read_glossary(path.read_bytes(), str(path))


@dataclass(frozen=True)
class ShippedAcceptance:
    """A glossary term a shipped module keeps on purpose (and why, for the reader of the file)."""

    module: str
    language: str
    term: str


def shipped_acceptances() -> list[ShippedAcceptance]:
    """The terms the shipped library keeps on purpose (glossaries/accepted.csv)."""
    path = SHIPPED_FOLDER / "accepted.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            ShippedAcceptance(row["module"], row["language"], row["term"])
            for row in csv.DictReader(handle)
        ]
