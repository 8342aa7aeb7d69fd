"""An HR file's rows checked against the people directory: the plan of an import.

Pure: nothing from Flask or the database. `build_plan` compares the rows read by
`app.people.hr_file` with a snapshot of the directory (`app.people.hr_plan.Directory`) and
returns what an import would create, change, move and deactivate, with every bad row, its row
number and reason. Applying the plan is `app.people.hr_sync`'s job.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from app.i18n.languages import LANGUAGES
from app.i18n.markers import N_
from app.people.field_rules import normalise_email
from app.people.hr_file import (
    FIELD_LABELS,
    MAX_LENGTHS,
    REQUIRED_FIELDS,
    Problem,
    SourceRow,
    header_key,
)
from app.people.hr_plan import (
    Creation,
    Deactivation,
    Directory,
    FieldChange,
    PersonState,
    Plan,
    RoleSpec,
    RowError,
    Update,
    role_cell,
)

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


@dataclass(frozen=True)
class _Check:
    """What checking one row needs besides the row: the directory and the file's duplicates."""

    directory: Directory
    may_grant: Callable[[RoleSpec], bool]
    by_hr: dict[str, PersonState]
    by_email: dict[str, PersonState]
    hr_rows: dict[str, list[int]]
    email_rows: dict[str, list[int]]

    @classmethod
    def of(
        cls,
        rows: Sequence[SourceRow],
        directory: Directory,
        may_grant: Callable[[RoleSpec], bool],
    ) -> _Check:
        """Index the directory by HR number and e-mail, and the file's rows by both."""
        hr_rows: dict[str, list[int]] = defaultdict(list)
        email_rows: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            if row.cells["hr_number"]:
                hr_rows[row.cells["hr_number"]].append(row.number)
            if row.cells["email"]:
                email_rows[normalise_email(row.cells["email"])].append(row.number)
        return cls(
            directory=directory,
            may_grant=may_grant,
            by_hr={p.hr_number: p for p in directory.people if p.hr_number},
            by_email={p.email: p for p in directory.people},
            hr_rows=hr_rows,
            email_rows=email_rows,
        )

    def knows_scope(self, spec: RoleSpec) -> bool:
        """Tell whether a role's unit or provider exists (unknown ones are reported apart)."""
        return not (
            (spec.role == "manager" and spec.scope not in self.directory.units)
            or (spec.role == "trainer" and spec.scope not in self.directory.providers)
        )


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
    check = _Check.of(rows, directory, may_grant)
    for done, row in enumerate(rows, start=1):
        _plan_row(plan, check, row)
        if progress is not None and done % 1000 == 0:
            progress(1000)
    if is_full_export:
        plan.deactivations.extend(_deactivations(directory, set(check.hr_rows)))
    return plan


def _plan_row(plan: Plan, check: _Check, row: SourceRow) -> None:
    """Add one row to the plan: as errors, a creation, an update or as unchanged."""
    cells = row.cells
    hr_number = cells["hr_number"]
    email = normalise_email(cells["email"])
    problems = [*row.problems, *_cell_problems(check, cells, email)]
    problems.extend(_unit_problems(check.directory, cells["unit_code"]))
    language = _language_of(cells, problems)
    wanted, role_problems = parse_roles(cells["role"], cells["unit_code"])
    problems.extend(role_problems)
    problems.extend(_scope_problems(check, wanted))
    person = _match_person(check, hr_number, email, problems)
    new_roles = tuple(sorted(set(wanted) - (person.roles if person else frozenset())))
    if not wanted and person is None:
        new_roles = (RoleSpec("learner"),)
    problems.extend(
        Problem(N_("you may not grant the role %(role)s"), {"role": spec.token()})
        for spec in new_roles
        if check.knows_scope(spec) and not check.may_grant(spec)
    )
    update: Update | None = None
    if person is not None and not problems:
        update = _compare(row, person, email, language, new_roles)
        if update is not None and not person.is_manageable:
            problems.append(
                Problem(
                    N_("you may not change %(name)s (their unit or roles lie beyond your scope)"),
                    {"name": person.display_name},
                )
            )
    if problems:
        plan.errors.extend(RowError(row.number, p, hr_number) for p in problems)
    elif person is None:
        plan.creations.append(_creation(row, email, language, new_roles))
    elif update is None:
        plan.unchanged += 1
    else:
        plan.updates.append(update)


def _cell_problems(check: _Check, cells: Mapping[str, str], email: str) -> list[Problem]:
    """Missing and over-long cells, a bad e-mail address, HR numbers or addresses used twice."""
    problems: list[Problem] = []
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
    hr_number = cells["hr_number"]
    if hr_number and len(check.hr_rows[hr_number]) > 1:
        problems.append(
            Problem(
                N_("the HR number %(hr)s appears on several rows (%(rows)s)"),
                {"hr": hr_number, "rows": ", ".join(map(str, check.hr_rows[hr_number]))},
            )
        )
    if email and len(check.email_rows[email]) > 1:
        problems.append(
            Problem(
                N_("the e-mail address %(email)s appears on several rows (%(rows)s)"),
                {"email": email, "rows": ", ".join(map(str, check.email_rows[email]))},
            )
        )
    return problems


def _unit_problems(directory: Directory, unit_code: str) -> list[Problem]:
    """The row's unit is unknown, closed or outside the importer's scope."""
    unit = directory.units.get(unit_code) if unit_code else None
    if unit_code and unit is None:
        return [Problem(N_("unknown unit code %(unit)s"), {"unit": unit_code})]
    if unit is not None and unit.is_closed:
        return [Problem(N_("the unit %(unit)s is closed"), {"unit": unit_code})]
    if unit is not None and not unit.is_in_scope:
        return [Problem(N_("the unit %(unit)s is outside your scope"), {"unit": unit_code})]
    return []


def _language_of(cells: Mapping[str, str], problems: list[Problem]) -> str | None:
    """Return the row's language (None when empty), noting a problem when it is unknown."""
    if not cells["language"]:
        return None
    language = parse_language(cells["language"])
    if language is None:
        problems.append(
            Problem(
                N_("unknown language %(language)s (use de, fr, it or en)"),
                {"language": cells["language"]},
            )
        )
    return language


def _scope_problems(check: _Check, wanted: Sequence[RoleSpec]) -> list[Problem]:
    """Roles whose unit or provider the directory does not know."""
    problems: list[Problem] = []
    for spec in wanted:
        if spec.role == "manager" and spec.scope not in check.directory.units:
            problems.append(Problem(N_("unknown unit code %(unit)s"), {"unit": spec.scope}))
        if spec.role == "trainer" and spec.scope not in check.directory.providers:
            problems.append(Problem(N_("unknown provider %(provider)s"), {"provider": spec.scope}))
    return problems


def _match_person(
    check: _Check, hr_number: str, email: str, problems: list[Problem]
) -> PersonState | None:
    """Find the row's person by HR number, else by an e-mail without HR number yet."""
    person = check.by_hr.get(hr_number) if hr_number else None
    if person is None and email in check.by_email:
        holder = check.by_email[email]
        if holder.hr_number and holder.hr_number != hr_number:
            problems.append(
                Problem(
                    N_("%(email)s already belongs to the person with HR number %(hr)s"),
                    {"email": email, "hr": holder.hr_number},
                )
            )
        else:
            person = holder  # a person created before HR numbers were known
    elif person is not None and email != person.email and email in check.by_email:
        problems.append(
            Problem(
                N_("%(email)s already belongs to another person (%(name)s)"),
                {"email": email, "name": check.by_email[email].display_name},
            )
        )
    return person


def _creation(
    row: SourceRow, email: str, language: str | None, roles: tuple[RoleSpec, ...]
) -> Creation:
    """The person a good row without a match would create."""
    return Creation(
        row=row.number,
        hr_number=row.cells["hr_number"],
        email=email,
        first_name=row.cells["first_name"],
        last_name=row.cells["last_name"],
        language=language,
        unit_code=row.cells["unit_code"],
        roles=roles,
    )


def _deactivations(directory: Directory, in_file: set[str]) -> list[Deactivation]:
    """Active people with an HR number missing from a full export (and in the importer's scope)."""
    return [
        Deactivation(
            person_id=person.id,
            hr_number=person.hr_number,
            display_name=person.display_name,
            email=person.email,
            unit_code=person.unit_code,
        )
        for person in directory.people
        if person.is_active
        and person.hr_number
        and person.hr_number not in in_file
        and person.is_manageable
    ]


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
                role_cell(person.roles, person.unit_code),
                role_cell(person.roles | set(new_roles), cells["unit_code"]),
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
