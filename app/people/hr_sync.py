"""HR import and export against the database: snapshot the directory, plan, apply atomically.

`plan_import` reads a file and compares it with the people the importer may see (through the
pure `app.people.hr_import`); `apply_plan` carries a plan out with the person operations of
`app.people.operations` (each one audited), in the caller's transaction, and refuses while the
plan has errors unless they are explicitly skipped. Views and commands commit once.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.db import utcnow
from app.people.hr_file import Limits, read_rows
from app.people.hr_import import build_plan
from app.people.hr_plan import (
    Creation,
    Directory,
    PersonState,
    Plan,
    RoleSpec,
    UnitState,
    Update,
    export_row,
)
from app.people.models import Provider, Role, RoleAssignment, Unit, User
from app.people.operations import create_people, deactivate_user, reactivate_user, update_person
from app.people.role_operations import grant_role
from app.permissions import Action, is_admin, may, role_within_reach, unit_scope_clause
from app.platform.audit import record_event

# People are created in batches: one progress step and two flushes per batch.
CREATE_BATCH = 1000


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a bulk import.

    An import creates hundreds of thousands of ORM objects that all live until the commit;
    the collector would walk them again and again for nothing (it doubled the time of a
    10,000-person import). Memory is bounded by the file; collection resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ImportRefused(RuntimeError):
    """The plan has errors (and they were not skipped), so nothing was applied."""


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did."""

    created: int
    changed: int
    moved: int
    deactivated: int
    skipped_rows: int
    created_people: tuple[User, ...]

    @property
    def created_ids(self) -> tuple[int, ...]:
        """Return the ids of the people created."""
        return tuple(person.id for person in self.created_people)

    def as_dict(self) -> dict[str, int]:
        """Return the counts (for the audit row and the stored upload)."""
        return {
            "created": self.created,
            "changed": self.changed,
            "moved": self.moved,
            "deactivated": self.deactivated,
            "skipped_rows": self.skipped_rows,
        }


def _people_query(importer: User | None) -> Any:
    """People in the importer's units (everyone for an admin), with roles and unit loaded."""
    query = select(User).options(selectinload(User.roles), selectinload(User.unit))
    if importer is not None and not is_admin(importer):
        query = query.join(Unit, Unit.id == User.unit_id).where(
            unit_scope_clause(importer, Unit.path)
        )
    return query.order_by(User.id)


def load_directory(session: Session, importer: User | None) -> Directory:
    """Snapshot the people, units and providers as the importer sees them (None: the shell).

    Everyone is loaded, not only the importer's scope: an e-mail address or HR number used by
    a person outside the scope is a conflict, not a new person. People outside the scope are
    marked as not manageable, so the plan never changes or deactivates them. Plain rows, not
    ORM objects: a directory of 10,000 people loads in a fraction of a second.
    """
    all_units = list(session.scalars(select(Unit)))
    units = {
        unit.code: UnitState(
            code=unit.code,
            is_closed=unit.closed_at is not None,
            is_in_scope=importer is None or may(importer, Action.PLACE_IN_UNIT, unit),
        )
        for unit in all_units
    }
    code_of = {unit.id: unit.code for unit in all_units}
    providers = {p.id: p.slug for p in session.scalars(select(Provider))}
    roles = _role_specs(session, code_of, providers)
    manageable = _manageable_ids(session, importer)
    people = [
        PersonState(
            id=row.id,
            hr_number=row.hr_number,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            language=row.preferred_language,
            unit_code=code_of.get(row.unit_id) if row.unit_id is not None else None,
            is_active=row.is_active,
            roles=frozenset(roles.get(row.id, ())),
            is_manageable=manageable is None or row.id in manageable,
        )
        for row in session.execute(
            select(
                User.id,
                User.hr_number,
                User.email,
                User.first_name,
                User.last_name,
                User.preferred_language,
                User.unit_id,
                User.is_active,
            )
        )
    ]
    return Directory(people=people, units=units, providers=frozenset(providers.values()))


def _role_specs(
    session: Session, code_of: dict[int, str], providers: dict[int, str]
) -> dict[int, set[RoleSpec]]:
    """Return every person's roles as the file spells them, by person id."""
    roles: dict[int, set[RoleSpec]] = {}
    for user_id, role, unit_id, provider_id in session.execute(
        select(
            RoleAssignment.user_id,
            RoleAssignment.role,
            RoleAssignment.unit_id,
            RoleAssignment.provider_id,
        )
    ):
        if role == Role.MANAGER and unit_id is not None:
            spec = RoleSpec("manager", code_of[unit_id])
        elif role == Role.TRAINER and provider_id is not None:
            spec = RoleSpec("trainer", providers[provider_id])
        else:
            spec = RoleSpec(Role(role).value)
        roles.setdefault(user_id, set()).add(spec)
    return roles


def _manageable_ids(session: Session, importer: User | None) -> set[int] | None:
    """Return the ids of the people the importer may change (None: everyone)."""
    if importer is None or is_admin(importer):
        return None
    # Scope by rank is the permission module's rule: ask it for each person in scope.
    return {
        person.id
        for person in session.scalars(_people_query(importer))
        if may(importer, Action.MANAGE_PERSON, person)
    }


def grant_allowed(importer: User | None, spec: RoleSpec, units: dict[str, Unit]) -> bool:
    """Whether the importer may give this role (the shell may give any).

    The rule is the permission module's: nobody grants a role wider than their own.
    """
    if importer is None:
        return True
    unit = units.get(spec.scope or "") if spec.role == "manager" else None
    return role_within_reach(importer, Role(spec.role), unit)


def plan_import(
    session: Session,
    data: bytes,
    *,
    filename: str,
    importer: User | None,
    is_full_export: bool,
    limits: Limits | None = None,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Read an HR file and return its plan for this importer (raises HrFileError)."""
    rows, ignored = read_rows(data, filename, limits)
    directory = load_directory(session, importer)
    units = {unit.code: unit for unit in session.scalars(select(Unit))}
    return build_plan(
        rows,
        directory,
        may_grant=lambda spec: grant_allowed(importer, spec, units),
        is_full_export=is_full_export,
        ignored_columns=ignored,
        progress=progress,
    )


def apply_plan(
    session: Session,
    plan: Plan,
    *,
    actor: User | None,
    ip: str | None,
    skip_errors: bool = False,
    now: datetime | None = None,
    filename: str = "",
    progress: Callable[[int], None] | None = None,
) -> ApplyResult:
    """Carry out a plan in the caller's transaction; the caller commits (or rolls back).

    Raises ImportRefused while the plan has errors, unless `skip_errors`; then the bad rows
    are left out and every good row is applied. Any refusal by an operation (PeopleError)
    propagates, and the caller's rollback leaves the database as it was.
    """
    with paused_gc():
        return _apply_plan(
            session,
            plan,
            actor=actor,
            ip=ip,
            skip_errors=skip_errors,
            now=now,
            filename=filename,
            progress=progress,
        )


def _apply_plan(
    session: Session,
    plan: Plan,
    *,
    actor: User | None,
    ip: str | None,
    skip_errors: bool = False,
    now: datetime | None = None,
    filename: str = "",
    progress: Callable[[int], None] | None = None,
) -> ApplyResult:
    """The work of apply_plan (with the garbage collector paused)."""
    if plan.has_errors and not skip_errors:
        raise ImportRefused(f"{len(plan.bad_rows)} row(s) have errors; nothing was imported")
    now = now or utcnow()
    steps = _Steps(
        session=session,
        units={unit.code: unit for unit in session.scalars(select(Unit))},
        providers={p.slug: p for p in session.scalars(select(Provider))},
        who={"actor": actor, "ip": ip, "now": now},
        progress=progress or (lambda _done: None),
    )
    people = _people_by_id(
        session, {u.person_id for u in plan.updates} | {d.person_id for d in plan.deactivations}
    )
    created = steps.create(plan.creations)
    for update in plan.updates:
        steps.update(people[update.person_id], update)
    for deactivation in plan.deactivations:
        deactivate_user(session, people[deactivation.person_id], actor=actor, ip=ip, now=now)
        steps.progress(1)
    result = ApplyResult(
        created=len(plan.creations),
        changed=len(plan.changes),
        moved=len(plan.moves),
        deactivated=len(plan.deactivations),
        skipped_rows=len(plan.bad_rows),
        created_people=tuple(created),
    )
    record_event(
        session,
        "hr_import.applied",
        actor_id=actor.id if actor is not None else None,
        ip_address=ip,
        now=now,
        file=filename,
        full_export=plan.is_full_export,
        **result.as_dict(),
    )
    session.flush()
    return result


def _people_by_id(session: Session, ids: set[int]) -> dict[int, User]:
    """Load the people a plan changes, with their roles, 500 at a time."""
    people: dict[int, User] = {}
    for chunk in _chunks(sorted(ids), 500):
        for person in session.scalars(
            select(User).options(selectinload(User.roles)).where(User.id.in_(chunk))
        ):
            people[person.id] = person
    return people


@dataclass(frozen=True)
class _Steps:
    """The writes of one apply: who does them, the units and providers, progress."""

    session: Session
    units: dict[str, Unit]
    providers: dict[str, Provider]
    who: dict[str, Any]
    progress: Callable[[int], None]

    def create(self, creations: list[Creation]) -> list[User]:
        """Create the new people in batches, then give them their roles beyond learner."""
        created: list[User] = []
        for start in range(0, len(creations), CREATE_BATCH):
            batch = creations[start : start + CREATE_BATCH]
            people_created = create_people(
                self.session,
                [
                    {
                        "email": c.email,
                        "first_name": c.first_name,
                        "last_name": c.last_name,
                        "unit": self.units[c.unit_code],
                        "language": c.language,
                        "hr_number": c.hr_number,
                    }
                    for c in batch
                ],
                **self.who,
            )
            for creation, person in zip(batch, people_created, strict=True):
                for spec in creation.roles:
                    if spec.role != "learner":  # everyone is created a learner
                        self.grant(person, spec)
                created.append(person)
            self.progress(len(batch))
        return created

    def update(self, person: User, update: Update) -> None:
        """Reactivate, change, move and give roles to one existing person."""
        if update.reactivate:
            reactivate_user(self.session, person, **self.who)
        changes: dict[str, Any] = dict(update.fields())
        if update.is_move and update.unit_after is not None:
            changes["unit"] = self.units[update.unit_after]
        if changes:
            update_person(self.session, person, **self.who, **changes)
        for spec in update.roles_added:
            self.grant(person, spec)
        self.progress(1)

    def grant(self, person: User, spec: RoleSpec) -> None:
        """Give a role from the file, with its unit or provider."""
        role = Role(spec.role)
        grant_role(
            self.session,
            person,
            role,
            unit=self.units[spec.scope] if role == Role.MANAGER and spec.scope else None,
            provider=self.providers[spec.scope] if role == Role.TRAINER and spec.scope else None,
            **self.who,
        )


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    """Yield `values` in slices of `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def export_rows(session: Session, viewer: User | None) -> tuple[list[list[str]], int]:
    """Return the HR columns of the active people the viewer may see (None: everyone).

    Only people with an HR number and a unit are exported, so that the file imports back
    unchanged (both columns are required); the second value counts the people left out.
    """
    directory = load_directory(session, viewer)

    def visible(person: PersonState) -> bool:
        unit = directory.units.get(person.unit_code or "")
        return person.is_active and (viewer is None or (unit is not None and unit.is_in_scope))

    people = [p for p in directory.people if visible(p)]
    kept = sorted((p for p in people if p.hr_number and p.unit_code), key=lambda p: p.hr_number)
    return [export_row(person) for person in kept], len(people) - len(kept)
