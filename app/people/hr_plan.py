"""What an HR import would do: the directory snapshot it is checked against and the plan.

Plain data (no Flask, no database): `app.people.hr_import` builds a plan, the import pages
show it and `app.people.hr_sync` carries it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.people.hr_file import Problem


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


def role_cell(roles: Iterable[RoleSpec], home_unit: str | None) -> str:
    """Return a role cell as the file spells it ("learner|manager:ju-north")."""
    return "|".join(sorted(spec.token(home_unit) for spec in roles))


def export_row(person: PersonState) -> list[str]:
    """Return a person's cells in the file's column order (what `flask users export` writes)."""
    return [
        person.hr_number or "",
        person.first_name,
        person.last_name,
        person.email,
        person.unit_code or "",
        person.language or "",
        role_cell(person.roles, person.unit_code),
    ]
