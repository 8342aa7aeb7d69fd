"""Giving and taking back roles. They flush; the caller commits once; every change is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n.markers import N_
from app.people.field_rules import open_unit, refusal
from app.people.models import Provider, Role, RoleAssignment, Unit, User
from app.platform.audit import record_event


def _scope_of(assignment: RoleAssignment) -> dict[str, Any]:
    """The role and its scope as the audit rows name them."""
    return {
        "role": assignment.role.value,
        "unit": assignment.unit.code if assignment.unit else None,
        "provider": assignment.provider.slug if assignment.provider else None,
    }


def grant_role(
    session: Session,
    user: User,
    role: Role,
    *,
    unit: Unit | None = None,
    provider: Provider | None = None,
    actor: User | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> RoleAssignment:
    """Give a role in a scope; an identical assignment is not added twice."""
    if role == Role.TRAINER and provider is None:
        raise refusal("provider", N_("a trainer role needs a provider"))
    if role == Role.MANAGER and unit is None:
        raise refusal("unit", N_("a manager role needs a unit"))
    if role != Role.MANAGER:
        unit = None  # only managers are scoped by unit
    if role != Role.TRAINER:
        provider = None  # only trainers are scoped by provider
    for existing in user.roles:
        if (
            existing.role == role
            and existing.unit_id == (unit.id if unit else None)
            and existing.provider_id == (provider.id if provider else None)
        ):
            return existing
    open_unit(unit, "managers")
    assignment = RoleAssignment(user=user, role=role, unit=unit, provider=provider)
    session.add(assignment)
    session.flush()
    scope = _scope_of(assignment)
    record_event(
        session,
        "role.granted",
        actor_id=actor.id if actor is not None else None,
        object_type="user",
        object_id=user.id,
        ip_address=ip,
        now=now,
        before={},
        after=scope,
        **scope,
    )
    return assignment


def active_admin_count(session: Session) -> int:
    """Return how many active people hold the admin role (the last one is never removed)."""
    return (
        session.scalar(
            select(func.count(func.distinct(User.id)))
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.ADMIN, User.is_active.is_(True))
        )
        or 0
    )


def revoke_role(
    session: Session,
    assignment: RoleAssignment,
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> None:
    """Take back one role assignment; the last active administrator keeps theirs."""
    user = assignment.user
    if (
        assignment.role == Role.ADMIN
        and user.is_active
        and sum(1 for a in user.roles if a.role == Role.ADMIN) == 1
        and active_admin_count(session) <= 1
    ):
        raise refusal("role", N_("the last active administrator cannot lose the admin role"))
    scope = _scope_of(assignment)
    user.roles.remove(assignment)
    session.delete(assignment)
    session.flush()
    record_event(
        session,
        "role.revoked",
        actor_id=actor.id if actor is not None else None,
        object_type="user",
        object_id=user.id,
        ip_address=ip,
        now=now,
        before=scope,
        after={},
        **scope,
    )
