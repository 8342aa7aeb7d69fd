"""HR files (CSV or XLSX) read into person rows, without a database and without Flask.

`read_rows` turns the bytes of an HR file into rows; `app.people.hr_import` checks them
against the directory and `app.people.hr_sync` applies the resulting plan.

Columns (the header row names them, in any order; other columns are ignored):

=============  ==========================================================================
HR number      the key that matches a row to a person (required, unique in the file)
First name     required
Last name      required
E-mail         required, unique; the sign-in name
Unit code      the code of the person's unit (required)
Language       de, fr, it or en (empty: keep the current one; the default for new people)
Role           learner, manager, manager:<unit code>, trainer:<provider>, admin; several
               separated by "|"; "manager" alone means manager of the person's own unit.
               Roles are only ever added by an import, never taken away.
=============  ==========================================================================

German, French and Italian header spellings are accepted (Personalnummer, Vorname, Nachname,
E-Mail, Einheit, Sprache, Rolle; matricule, prénom, nom, courriel, unité, langue, rôle ...).
Row numbers are the spreadsheet's: the header is row 1, the first person row 2.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.i18n.markers import N_
from app.web.csv_export import FORMULA_STARTS

FIELDS = ("hr_number", "first_name", "last_name", "email", "unit_code", "language", "role")
REQUIRED_FIELDS = ("hr_number", "first_name", "last_name", "email", "unit_code")
EXPORT_HEADER = ("HR number", "First name", "Last name", "E-mail", "Unit code", "Language", "Role")
FIELD_LABELS = dict(zip(FIELDS, EXPORT_HEADER, strict=True))
MAX_LENGTHS = {"hr_number": 64, "first_name": 100, "last_name": 100, "email": 254}

_ALIASES = {
    "hr_number": (
        "hrnumber hrno hrnr hr hrid employeenumber employeeid personnelnumber staffnumber "
        "personalnummer personalnr persnr mitarbeiternummer matricule numerorh "
        "numeropersonnel numerodepersonnel numerodemploye matricola numeropersonale"
    ),
    "first_name": "firstname givenname forename vorname prenom nome",
    "last_name": "lastname surname familyname nachname familienname nom nomdefamille cognome",
    "email": (
        "email mail emailaddress emailadresse mailadresse courriel adressemail adresseemail "
        "adressecourriel indirizzoemail posta"
    ),
    "unit_code": (
        "unitcode unit branch branchcode orgunit einheit einheitscode organisationseinheit "
        "filiale filialcode unite codeunite codedunite codedelunite succursale unita codiceunita "
        "filialeunita"
    ),
    "language": "language lang preferredlanguage sprache langue lingua",
    "role": "role roles rolle rollen ruolo ruoli",
}
HEADER_ALIASES: dict[str, str] = {
    alias: name for name, words in _ALIASES.items() for alias in words.split()
}


@dataclass(frozen=True)
class Limits:
    """How large a file may be, checked before the whole file is read."""

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 100_000
    max_cell: int = 500
    # An XLSX is a zip: its parts may unpack to this many bytes at most (zip bombs).
    max_unpacked_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """A message for people: an English template marked with N_() and its parameters."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Return the English text (the command line's language)."""
        return self.message % dict(self.params) if self.params else self.message


class HrFileError(ValueError):
    """The file as a whole cannot be read; nothing in it is imported."""

    def __init__(self, message: str, **params: Any) -> None:
        self.problem = Problem(message, params)
        super().__init__(self.problem.text())


@dataclass(frozen=True)
class SourceRow:
    """One person row as read from the file: its row number and its cells by field."""

    number: int
    cells: Mapping[str, str]
    problems: tuple[Problem, ...] = ()


def header_key(text: str) -> str:
    """Return a header cell reduced to lower-case ASCII letters and digits ("E-Mail" → "email")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


def _unneutralise(text: str) -> str:
    # Our own exports put an apostrophe before cells a spreadsheet would run as a formula;
    # reading it back removes exactly that apostrophe, so an export imports unchanged.
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store HR numbers as floats
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _map_header(cells: Sequence[str]) -> tuple[dict[int, str], tuple[str, ...]]:
    positions: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw in enumerate(cells):
        name = HEADER_ALIASES.get(header_key(raw))
        if name is None:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        if name in seen:
            raise HrFileError(
                N_('The columns "%(first)s" and "%(second)s" both mean %(column)s.'),
                first=seen[name],
                second=raw.strip(),
                column=FIELD_LABELS[name],
            )
        seen[name] = raw.strip()
        positions[index] = name
    missing = [FIELD_LABELS[f] for f in REQUIRED_FIELDS if f not in seen]
    if missing:
        raise HrFileError(
            N_("The header row (row 1) lacks the column(s) %(missing)s. Found: %(found)s."),
            missing=", ".join(missing),
            found=", ".join(c.strip() for c in cells if c.strip()) or "-",
        )
    return positions, tuple(ignored)


@dataclass
class _Table:
    """Raw rows of a file: (row number, cells, problems), header first."""

    records: list[tuple[int, list[str], tuple[Problem, ...]]]


def _check_rows(count: int, limits: Limits) -> None:
    if count > limits.max_rows + 1:
        raise HrFileError(
            N_("The file has more than %(max)s person rows; split it into smaller files."),
            max=f"{limits.max_rows:,}".replace(",", "'"),
        )


_NOT_UTF8 = N_(
    "the row is not UTF-8 text; save the file as \u201cCSV UTF-8\u201d and import it again"
)


def _read_csv(data: bytes, limits: Limits) -> _Table:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise HrFileError(
            N_("The file is UTF-16 text; save it as \u201cCSV UTF-8\u201d and import it again.")
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines: list[str] = []
    bad_lines: set[int] = set()
    for index, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("utf-8", errors="replace"))
            bad_lines.add(index)
    if not lines:
        raise HrFileError(N_("The file is empty."))
    if 1 in bad_lines:
        raise HrFileError(
            N_(
                "The file is not UTF-8 text (row 1 already is not); save it as "
                "\u201cCSV UTF-8\u201d and import it again."
            )
        )
    first = lines[0]
    delimiter = max((";", ",", "\t"), key=lambda d: (first.count(d), d == ","))
    consumed = 0

    def counted() -> Iterator[str]:
        nonlocal consumed
        for line in lines:
            consumed += 1
            yield line

    reader = csv.reader(counted(), delimiter=delimiter, quotechar='"', strict=False)
    records: list[tuple[int, list[str], tuple[Problem, ...]]] = []
    row_number = 0
    start = 1
    try:
        for cells in reader:
            row_number += 1
            _check_rows(row_number, limits)
            end = consumed
            problems: tuple[Problem, ...] = ()
            if any(n in bad_lines for n in range(start, end + 1)):
                problems = (Problem(_NOT_UTF8),)
            start = end + 1
            records.append((row_number, cells, problems))
    except csv.Error as exc:
        raise HrFileError(
            N_("Row %(row)s cannot be read (%(reason)s)."), row=row_number + 1, reason=str(exc)
        ) from exc
    return _Table(records)


def _read_xlsx(data: bytes, limits: Limits) -> _Table:
    import openpyxl  # imported here: only XLSX imports pay for it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise HrFileError(N_("The file is not a readable XLSX workbook.")) from exc
    if unpacked > limits.max_unpacked_bytes:
        raise HrFileError(N_("The workbook unpacks to more data than an HR file can hold."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise HrFileError(N_("The file is not a readable XLSX workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        declared = sheet.max_row  # from the sheet's dimension, before reading the rows
        if declared is not None:
            _check_rows(declared, limits)
        records = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            _check_rows(number, limits)
            records.append((number, [_cell_text(v) for v in values], ()))
    finally:
        workbook.close()
    return _Table(records)


def is_xlsx(data: bytes, filename: str = "") -> bool:
    """Tell whether the file is an XLSX workbook (a zip) rather than CSV text."""
    return data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm"))


def read_rows(
    data: bytes, filename: str = "", limits: Limits | None = None
) -> tuple[list[SourceRow], tuple[str, ...]]:
    """Read an HR file into person rows (and the names of ignored columns).

    Raises HrFileError when the file as a whole is unusable (too large, too many rows, no
    header, not CSV or XLSX). Problems of single rows (such as bytes that are not UTF-8) are
    attached to the row and reported by `build_plan`.
    """
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise HrFileError(
            N_("The file is larger than %(mb)s MB."), mb=limits.max_bytes // (1024 * 1024)
        )
    table = _read_xlsx(data, limits) if is_xlsx(data, filename) else _read_csv(data, limits)
    records = [r for r in table.records if any(c.strip() for c in r[1]) or r[2]]
    if not records:
        raise HrFileError(N_("The file is empty."))
    header_number, header_cells, _problems = records[0]
    positions, ignored = _map_header(header_cells)
    rows: list[SourceRow] = []
    for number, cells, problems in records[1:]:
        values = dict.fromkeys(FIELDS, "")
        row_problems = list(problems)
        for index, name in positions.items():
            if index < len(cells):
                values[name] = _unneutralise(cells[index].strip())
        for index, cell in enumerate(cells):
            if len(cell) > limits.max_cell:
                label = FIELD_LABELS.get(positions.get(index, ""), f"#{index + 1}")
                row_problems.append(
                    Problem(
                        N_("the %(column)s cell is longer than %(max)s characters"),
                        {"column": label, "max": limits.max_cell},
                    )
                )
        rows.append(SourceRow(number, values, tuple(row_problems)))
    return rows, ignored
