"""Reads about units and people, returned as plain rows and already limited to a scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.people.models import Provider, Role, RoleAssignment, Unit, User
from app.permissions import unit_scope_clause
from app.platform.audit import AuditEvent


@dataclass(frozen=True)
class UnitRow:
    """One unit of a tree listing with the number of active people directly in it."""

    id: int
    code: str
    name: str
    kind: str
    depth: int
    path: str
    people: int
    is_closed: bool = False


def unit_tree(session: Session, viewer: User) -> list[UnitRow]:
    """Return the units the viewer may see, in tree order, with head counts (two queries)."""
    counts = (
        select(User.unit_id, func.count(User.id).label("n"))
        .where(User.is_active.is_(True))
        .group_by(User.unit_id)
        .subquery()
    )
    rows = session.execute(
        select(Unit, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.unit_id == Unit.id)
        .where(unit_scope_clause(viewer, Unit.path))
        .order_by(Unit.path)
    ).all()
    units = [(unit, n) for unit, n in rows]
    # Order siblings by name while keeping children under their parent.
    by_parent: dict[int | None, list[tuple[Unit, int]]] = {}
    ids = {unit.id for unit, _ in units}
    for unit, n in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        by_parent.setdefault(parent, []).append((unit, n))
    ordered: list[UnitRow] = []

    def walk(parent: int | None) -> None:
        for unit, n in sorted(by_parent.get(parent, []), key=lambda pair: pair[0].name):
            ordered.append(
                UnitRow(
                    unit.id,
                    unit.code,
                    unit.name,
                    unit.kind.value,
                    unit.depth,
                    unit.path,
                    n,
                    unit.is_closed,
                )
            )
            walk(unit.id)

    walk(None)
    return ordered


@dataclass(frozen=True)
class PersonRow:
    """One person in a people list."""

    id: int
    name: str
    email: str
    unit_name: str | None
    language: str | None
    is_active: bool
    roles: str
    hr_number: str | None = None


def people_page(
    session: Session, viewer: User, *, search: str = "", page: int = 1, per_page: int = 50
) -> tuple[list[PersonRow], int]:
    """Return one page of the people the viewer may see and the total count (three queries)."""
    per_page = max(1, min(per_page, 200))
    page = max(1, min(page, 100_000))
    # An outer join keeps people without a unit in an admin's list (managers never see them).
    query = (
        select(User)
        .outerjoin(Unit, User.unit_id == Unit.id)
        .where(unit_scope_clause(viewer, Unit.path))
    )
    if search:
        like = f"%{search.strip()[:100]}%"
        query = query.where(
            or_(
                User.first_name.ilike(like),
                User.last_name.ilike(like),
                User.email.ilike(like),
                User.hr_number.ilike(like),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    users = session.scalars(
        query.order_by(User.last_name, User.first_name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    unit_names = dict(
        session.execute(
            select(Unit.id, Unit.name).where(Unit.id.in_({u.unit_id for u in users if u.unit_id}))
        ).all()
    )
    rows = [
        PersonRow(
            id=u.id,
            name=u.display_name,
            email=u.email,
            unit_name=unit_names.get(u.unit_id),
            language=u.preferred_language,
            is_active=u.is_active,
            roles=", ".join(sorted(r.value for r in u.role_set)),
            hr_number=u.hr_number,
        )
        for u in users
    ]
    return rows, total


def provider_of_trainer(session: Session, user: User) -> list[Provider]:
    """Return the providers a trainer works for."""
    return list(
        session.scalars(
            select(Provider)
            .join(RoleAssignment, RoleAssignment.provider_id == Provider.id)
            .where(RoleAssignment.user_id == user.id, RoleAssignment.role == Role.TRAINER)
            .order_by(Provider.name)
        )
    )


@dataclass(frozen=True)
class UnitChoice:
    """A unit offered in a picker, indented by its depth."""

    id: int
    code: str
    name: str
    kind: str
    depth: int

    @property
    def label(self) -> str:
        """Return the name indented so the tree shows in a flat list."""
        return "\u2003" * self.depth + self.name


def open_unit_choices(
    session: Session, viewer: User, *, kinds: tuple[str, ...] | None = None
) -> list[UnitChoice]:
    """Return the open (not closed) units in the viewer's scope, in tree order."""
    query = select(Unit).where(unit_scope_clause(viewer, Unit.path), Unit.closed_at.is_(None))
    if kinds:
        query = query.where(Unit.kind.in_(kinds))
    return [
        UnitChoice(u.id, u.code, u.name, u.kind.value, u.depth)
        for u in session.scalars(query.order_by(Unit.path))
    ]


def all_providers(session: Session) -> list[Provider]:
    """Return every content provider, by name."""
    return list(session.scalars(select(Provider).order_by(Provider.name)))


@dataclass(frozen=True)
class AuditFilter:
    """What an audit log listing is narrowed to; empty fields do not narrow."""

    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    """One audit event as shown or exported."""

    id: int
    occurred_at: datetime
    action: str
    actor_id: int | None
    actor_email: str | None
    object_type: str | None
    object_id: int | None
    ip_address: str | None
    details: dict[str, Any]


def _audit_query(filters: AuditFilter) -> Select[Any]:
    actor = aliased(User)
    query = select(AuditEvent, actor.email).outerjoin(actor, actor.id == AuditEvent.actor_id)
    if filters.action:
        # A trailing dot lists a family ("user." → every user action).
        if filters.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        needle = filters.actor.strip()
        if needle.isdigit():
            query = query.where(AuditEvent.actor_id == int(needle))
        else:
            query = query.where(actor.email == needle.lower())
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        query = query.where(AuditEvent.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.occurred_at < filters.until)
    return query


def _audit_row(event: AuditEvent, email: str | None) -> AuditRow:
    return AuditRow(
        id=event.id,
        occurred_at=event.occurred_at,
        action=event.action,
        actor_id=event.actor_id,
        actor_email=email,
        object_type=event.object_type,
        object_id=event.object_id,
        ip_address=event.ip_address,
        details=event.details or {},
    )


def audit_page(
    session: Session, filters: AuditFilter, *, page: int = 1, per_page: int = 50
) -> tuple[list[AuditRow], int]:
    """Return one page of matching audit events, newest first, and how many match."""
    per_page = max(1, min(per_page, 200))
    page = max(1, min(page, 100_000))
    query = _audit_query(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [_audit_row(event, email) for event, email in rows], total


def audit_rows(
    session: Session, filters: AuditFilter, *, limit: int = 100_000
) -> Iterator[AuditRow]:
    """Yield every matching audit event, newest first, for an export (at most `limit`)."""
    query = _audit_query(filters).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    for event, email in session.execute(query.limit(limit).execution_options(yield_per=1000)):
        yield _audit_row(event, email)


def audit_actions(session: Session) -> list[str]:
    """Return the distinct audit actions recorded so far (for the filter's picker)."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
