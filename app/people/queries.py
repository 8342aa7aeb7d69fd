"""Reads about units and people, returned as plain rows and already limited to a scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.people.models import Provider, Role, RoleAssignment, Unit, User
from app.permissions import unit_scope_clause


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
                UnitRow(unit.id, unit.code, unit.name, unit.kind.value, unit.depth, unit.path, n)
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


def people_page(
    session: Session, viewer: User, *, search: str = "", page: int = 1, per_page: int = 50
) -> tuple[list[PersonRow], int]:
    """Return one page of the people the viewer may see and the total count (three queries)."""
    per_page = max(1, min(per_page, 200))
    page = max(1, min(page, 100_000))
    query = (
        select(User).join(Unit, User.unit_id == Unit.id).where(unit_scope_clause(viewer, Unit.path))
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
