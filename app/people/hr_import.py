"""HR files (CSV or XLSX) read and checked against the people directory, without side effects.

This module imports nothing from Flask or the database: it turns the bytes of an HR file into
rows (`read_rows`) and compares them with a snapshot of the directory (`build_plan`), giving
a plan of what an import would create, change, move and deactivate, and every bad row with
its row number and reason. Applying the plan is `app.people.hr_sync`'s job.

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
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from app.i18n.markers import N_
from app.people.operations import normalise_email
from app.web.csv_export import FORMULA_STARTS

LANGUAGES = ("de", "fr", "it", "en")
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

_LANGUAGE_WORDS = {
    "deutsch": "de",
    "german": "de",
    "allemand": "de",
    "tedesco": "de",
    "francais": "fr",
    "french": "fr",
    "franzosisch": "fr",
    "francese": "fr",
    "italiano": "it",
    "italian": "it",
    "italienisch": "it",
    "italien": "it",
    "english": "en",
    "englisch": "en",
    "anglais": "en",
    "inglese": "en",
}
_ROLE_WORDS = {
    "learner": ("learner", "lernende", "lernender", "apprenant", "apprenante", "discente"),
    "manager": ("manager", "managerin", "leitung", "responsable", "responsabile"),
    "trainer": ("trainer", "trainerin", "formateur", "formatrice", "formatore", "formatrice"),
    "admin": ("admin", "administrator", "administratorin", "administrateur", "administratrice"),
}
ROLE_NAMES: dict[str, str] = {word: role for role, words in _ROLE_WORDS.items() for word in words}


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


@dataclass(frozen=True)
class RowError:
    """A reason why one row cannot be imported."""

    row: int
    problem: Problem
    hr_number: str = ""

    def text(self) -> str:
        """Return "row N: reason" in English."""
        return f"row {self.row}: {self.problem.text()}"


@dataclass(frozen=True, order=True)
class RoleSpec:
    """A role with its scope: a unit code for managers, a provider slug for trainers."""

    role: str
    scope: str | None = None

    def token(self, home_unit: str | None = None) -> str:
        """Return the file spelling ("manager" alone when the scope is the home unit)."""
        if self.scope is None or (self.role == "manager" and self.scope == home_unit):
            return self.role
        return f"{self.role}:{self.scope}"


@dataclass(frozen=True)
class PersonState:
    """What the directory knows about one person, as the plan needs it."""

    id: int
    hr_number: str | None
    email: str
    first_name: str
    last_name: str
    language: str | None
    unit_code: str | None
    is_active: bool
    roles: frozenset[RoleSpec]
    # Whether the importer may change this person (scope by rank, decided by the caller).
    is_manageable: bool

    @property
    def display_name(self) -> str:
        """Return "First Last"."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class UnitState:
    """A unit code, whether it is closed and whether it lies in the importer's scope."""

    code: str
    is_closed: bool = False
    is_in_scope: bool = True


@dataclass(frozen=True)
class Directory:
    """A snapshot of the people, units and providers an import is checked against."""

    people: Sequence[PersonState]
    units: Mapping[str, UnitState]
    providers: frozenset[str]


@dataclass(frozen=True)
class FieldChange:
    """One field of an existing person that the import would change."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Creation:
    """A person the import would create."""

    row: int
    hr_number: str
    email: str
    first_name: str
    last_name: str
    language: str | None
    unit_code: str
    roles: tuple[RoleSpec, ...]

    @property
    def display_name(self) -> str:
        """Return "First Last"."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class Update:
    """An existing person the import would change, move, reactivate or give roles."""

    row: int
    person_id: int
    hr_number: str
    display_name: str
    changes: tuple[FieldChange, ...]
    unit_before: str | None
    unit_after: str | None
    roles_added: tuple[RoleSpec, ...]
    reactivate: bool

    @property
    def is_move(self) -> bool:
        """Tell whether the person changes unit."""
        return self.unit_after is not None and self.unit_after != self.unit_before

    @property
    def is_change(self) -> bool:
        """Tell whether anything but the unit changes."""
        return bool(self.changes)

    def fields(self) -> dict[str, str | None]:
        """Return the person fields to set (names as on the User model)."""
        return {
            c.field: c.after
            for c in self.changes
            if c.field in ("email", "first_name", "last_name", "preferred_language", "hr_number")
        }


@dataclass(frozen=True)
class Deactivation:
    """An active person missing from a full export, who would be deactivated."""

    person_id: int
    hr_number: str
    display_name: str
    email: str
    unit_code: str | None


@dataclass
class Plan:
    """Everything an import would do, and every row it cannot take."""

    rows: int
    is_full_export: bool
    creations: list[Creation] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    deactivations: list[Deactivation] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0
    ignored_columns: tuple[str, ...] = ()

    @property
    def changes(self) -> list[Update]:
        """Updates that change fields, roles or reactivate (moves are listed separately)."""
        return [u for u in self.updates if u.is_change]

    @property
    def moves(self) -> list[Update]:
        """Updates that move a person to another unit."""
        return [u for u in self.updates if u.is_move]

    @property
    def bad_rows(self) -> list[int]:
        """Return the numbers of the rows with at least one error, in order."""
        return sorted({e.row for e in self.errors})

    @property
    def has_errors(self) -> bool:
        """Tell whether any row is bad."""
        return bool(self.errors)

    @property
    def is_empty(self) -> bool:
        """Tell whether applying would change nothing."""
        return not (self.creations or self.updates or self.deactivations)

    def counts(self) -> dict[str, int]:
        """Return how many rows or people fall in each category."""
        return {
            "rows": self.rows,
            "created": len(self.creations),
            "changed": len(self.changes),
            "moved": len(self.moves),
            "deactivated": len(self.deactivations),
            "unchanged": self.unchanged,
            "bad_rows": len(self.bad_rows),
        }


# --- reading files ----------------------------------------------------------------------------


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


# --- comparing with the directory ------------------------------------------------------------


def parse_language(text: str) -> str | None:
    """Return the language code for a cell ("fr", "fr-CH", "Français"), None when unknown."""
    key = header_key(text)
    if key[:2] in LANGUAGES and (len(key) == 2 or key[2:] in ("ch", "de", "fr", "it")):
        return key[:2]
    return _LANGUAGE_WORDS.get(key)


def parse_roles(text: str, unit_code: str) -> tuple[list[RoleSpec], list[Problem]]:
    """Read a role cell ("learner|manager:ju-north") into role specs and problems."""
    specs: list[RoleSpec] = []
    problems: list[Problem] = []
    for token in (t for t in re.split(r"[|,;+\s]+", text.strip()) if t):
        name, _sep, scope = token.partition(":")
        role = ROLE_NAMES.get(header_key(name))
        scope = scope.strip()
        if role is None:
            problems.append(
                Problem(
                    N_("unknown role %(role)s (use learner, manager, trainer:<provider> or admin)"),
                    {"role": token},
                )
            )
        elif role == "trainer" and not scope:
            problems.append(
                Problem(N_("a trainer role names its provider: trainer:<provider>"), {})
            )
        elif role in ("learner", "admin") and scope:
            problems.append(Problem(N_("the role %(role)s has no scope"), {"role": token}))
        else:
            specs.append(RoleSpec(role, scope or (unit_code if role == "manager" else None)))
    return specs, problems


def _check_email(text: str) -> Problem | None:
    if not text:
        return None
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return Problem(N_("%(email)s is not a valid e-mail address"), {"email": text})
    return None


def _role_cell(roles: Iterable[RoleSpec], home_unit: str | None) -> str:
    return "|".join(sorted(spec.token(home_unit) for spec in roles))


def build_plan(
    rows: Sequence[SourceRow],
    directory: Directory,
    *,
    may_grant: Callable[[RoleSpec], bool],
    is_full_export: bool = False,
    ignored_columns: tuple[str, ...] = (),
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Compare the rows with the directory and return what an import would do.

    `may_grant` answers whether the importer may give a role (the caller asks the permission
    rules). Existing people are matched by HR number, then by e-mail for people who have no
    HR number yet. Rows that share an HR number or an e-mail are all refused.
    """
    plan = Plan(rows=len(rows), is_full_export=is_full_export, ignored_columns=ignored_columns)
    by_hr = {p.hr_number: p for p in directory.people if p.hr_number}
    by_email = {p.email: p for p in directory.people}
    hr_rows: dict[str, list[int]] = defaultdict(list)
    email_rows: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.cells["hr_number"]:
            hr_rows[row.cells["hr_number"]].append(row.number)
        if row.cells["email"]:
            email_rows[normalise_email(row.cells["email"])].append(row.number)

    for done, row in enumerate(rows, start=1):
        problems = list(row.problems)
        cells = row.cells
        hr_number = cells["hr_number"]
        email = normalise_email(cells["email"])
        for name in REQUIRED_FIELDS:
            if not cells[name]:
                problems.append(
                    Problem(N_("the %(column)s is missing"), {"column": FIELD_LABELS[name]})
                )
        for name, limit in MAX_LENGTHS.items():
            if len(cells[name]) > limit:
                problems.append(
                    Problem(
                        N_("the %(column)s is longer than %(max)s characters"),
                        {"column": FIELD_LABELS[name], "max": limit},
                    )
                )
        bad_email = _check_email(email)
        if bad_email:
            problems.append(bad_email)
        if hr_number and len(hr_rows[hr_number]) > 1:
            problems.append(
                Problem(
                    N_("the HR number %(hr)s appears on several rows (%(rows)s)"),
                    {"hr": hr_number, "rows": ", ".join(map(str, hr_rows[hr_number]))},
                )
            )
        if email and len(email_rows[email]) > 1:
            problems.append(
                Problem(
                    N_("the e-mail address %(email)s appears on several rows (%(rows)s)"),
                    {"email": email, "rows": ", ".join(map(str, email_rows[email]))},
                )
            )
        unit_code = cells["unit_code"]
        unit = directory.units.get(unit_code) if unit_code else None
        if unit_code and unit is None:
            problems.append(Problem(N_("unknown unit code %(unit)s"), {"unit": unit_code}))
        elif unit is not None and unit.is_closed:
            problems.append(Problem(N_("the unit %(unit)s is closed"), {"unit": unit_code}))
        elif unit is not None and not unit.is_in_scope:
            problems.append(
                Problem(N_("the unit %(unit)s is outside your scope"), {"unit": unit_code})
            )
        language: str | None = None
        if cells["language"]:
            language = parse_language(cells["language"])
            if language is None:
                problems.append(
                    Problem(
                        N_("unknown language %(language)s (use de, fr, it or en)"),
                        {"language": cells["language"]},
                    )
                )
        wanted, role_problems = parse_roles(cells["role"], unit_code)
        problems.extend(role_problems)
        for spec in wanted:
            if spec.role == "manager" and spec.scope not in directory.units:
                problems.append(Problem(N_("unknown unit code %(unit)s"), {"unit": spec.scope}))
            if spec.role == "trainer" and spec.scope not in directory.providers:
                problems.append(
                    Problem(N_("unknown provider %(provider)s"), {"provider": spec.scope})
                )

        person = by_hr.get(hr_number) if hr_number else None
        if person is None and email in by_email:
            holder = by_email[email]
            if holder.hr_number and holder.hr_number != hr_number:
                problems.append(
                    Problem(
                        N_("%(email)s already belongs to the person with HR number %(hr)s"),
                        {"email": email, "hr": holder.hr_number},
                    )
                )
            else:
                person = holder  # a person created before HR numbers were known
        elif person is not None and email != person.email and email in by_email:
            problems.append(
                Problem(
                    N_("%(email)s already belongs to another person (%(name)s)"),
                    {"email": email, "name": by_email[email].display_name},
                )
            )

        new_roles = tuple(sorted(set(wanted) - (person.roles if person else frozenset())))
        if not wanted and person is None:
            new_roles = (RoleSpec("learner"),)
        for spec in new_roles:
            known_scope = not (
                (spec.role == "manager" and spec.scope not in directory.units)
                or (spec.role == "trainer" and spec.scope not in directory.providers)
            )
            if known_scope and not may_grant(spec):
                problems.append(
                    Problem(N_("you may not grant the role %(role)s"), {"role": spec.token()})
                )

        update: Update | None = None
        if person is not None and not problems:
            update = _compare(row, person, email, language, new_roles)
            if update is not None and not person.is_manageable:
                problems.append(
                    Problem(
                        N_(
                            "you may not change %(name)s (their unit or roles lie beyond your "
                            "scope)"
                        ),
                        {"name": person.display_name},
                    )
                )
        if problems:
            plan.errors.extend(RowError(row.number, p, hr_number) for p in problems)
        elif person is None:
            plan.creations.append(
                Creation(
                    row=row.number,
                    hr_number=hr_number,
                    email=email,
                    first_name=cells["first_name"],
                    last_name=cells["last_name"],
                    language=language,
                    unit_code=unit_code,
                    roles=new_roles,
                )
            )
        elif update is None:
            plan.unchanged += 1
        else:
            plan.updates.append(update)
        if progress is not None and done % 1000 == 0:
            progress(1000)

    if is_full_export:
        in_file = set(hr_rows)
        for person in directory.people:
            if (
                person.is_active
                and person.hr_number
                and person.hr_number not in in_file
                and person.is_manageable
            ):
                plan.deactivations.append(
                    Deactivation(
                        person_id=person.id,
                        hr_number=person.hr_number,
                        display_name=person.display_name,
                        email=person.email,
                        unit_code=person.unit_code,
                    )
                )
    return plan


def _compare(
    row: SourceRow,
    person: PersonState,
    email: str,
    language: str | None,
    new_roles: tuple[RoleSpec, ...],
) -> Update | None:
    cells = row.cells
    changes: list[FieldChange] = []
    pairs = [
        ("hr_number", person.hr_number, cells["hr_number"]),
        ("first_name", person.first_name, cells["first_name"]),
        ("last_name", person.last_name, cells["last_name"]),
        ("email", person.email, email),
    ]
    if language is not None:
        pairs.append(("preferred_language", person.language, language))
    for name, before, after in pairs:
        if before != after:
            changes.append(FieldChange(name, before, after))
    if new_roles:
        changes.append(
            FieldChange(
                "roles",
                _role_cell(person.roles, person.unit_code),
                _role_cell(person.roles | set(new_roles), cells["unit_code"]),
            )
        )
    if not person.is_active:
        changes.append(FieldChange("is_active", "no", "yes"))
    unit_after = cells["unit_code"]
    if not changes and unit_after == person.unit_code:
        return None
    return Update(
        row=row.number,
        person_id=person.id,
        hr_number=cells["hr_number"],
        display_name=person.display_name,
        changes=tuple(changes),
        unit_before=person.unit_code,
        unit_after=unit_after,
        roles_added=new_roles,
        reactivate=not person.is_active,
    )


def export_row(person: PersonState) -> list[str]:
    """Return a person's cells in the file's column order (what `flask users export` writes)."""
    return [
        person.hr_number or "",
        person.first_name,
        person.last_name,
        person.email,
        person.unit_code or "",
        person.language or "",
        _role_cell(person.roles, person.unit_code),
    ]
