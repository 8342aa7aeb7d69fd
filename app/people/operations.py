"""Writes on units, providers, users and roles. They flush; the caller commits once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.db import utcnow
from app.people.models import Provider, Role, RoleAssignment, Unit, UnitKind, User
from app.people.passwords import hash_password, needs_rehash, verify_password

_CHILD_KIND = {UnitKind.NETWORK: UnitKind.REGION, UnitKind.REGION: UnitKind.BRANCH}


class PeopleError(ValueError):
    """A rule about people or units was broken; the message says which."""


def normalise_email(email: str) -> str:
    """Return the canonical form of an e-mail address used for look-ups."""
    return email.strip().lower()


def create_unit(
    session: Session, *, code: str, name: str, kind: UnitKind, parent: Unit | None = None
) -> Unit:
    """Add a unit below `parent` and compute its tree path."""
    if parent is None and kind != UnitKind.NETWORK:
        raise PeopleError(f"a {kind.value} needs a parent unit")
    if parent is not None and _CHILD_KIND.get(parent.kind) != kind:
        raise PeopleError(f"a {kind.value} cannot sit below a {parent.kind.value}")
    unit = Unit(
        code=code, name=name, kind=kind, parent=parent, depth=(parent.depth + 1) if parent else 0
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def get_or_create_unit(
    session: Session, *, code: str, name: str, kind: UnitKind, parent: Unit | None = None
) -> Unit:
    """Return the unit with `code`, creating it when missing (used by idempotent loaders)."""
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is not None:
        unit.name = name
        return unit
    return create_unit(session, code=code, name=name, kind=kind, parent=parent)


def get_or_create_provider(session: Session, *, slug: str, name: str) -> Provider:
    """Return the provider with `slug`, creating it when missing."""
    provider = session.scalar(select(Provider).where(Provider.slug == slug))
    if provider is None:
        provider = Provider(slug=slug, name=name)
        session.add(provider)
        session.flush()
    else:
        provider.name = name
    return provider


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the user with this e-mail address (case-insensitive), if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def grant_role(
    session: Session,
    user: User,
    role: Role,
    *,
    unit: Unit | None = None,
    provider: Provider | None = None,
) -> RoleAssignment:
    """Give a role in a scope; an identical assignment is not added twice."""
    if role == Role.TRAINER and provider is None:
        raise PeopleError("a trainer role needs a provider")
    if role == Role.MANAGER and unit is None:
        raise PeopleError("a manager role needs a unit")
    for existing in user.roles:
        if (
            existing.role == role
            and existing.unit_id == (unit.id if unit else None)
            and existing.provider_id == (provider.id if provider else None)
        ):
            return existing
    assignment = RoleAssignment(user=user, role=role, unit=unit, provider=provider)
    session.add(assignment)
    session.flush()
    return assignment


def set_password(user: User, password: str, params: dict[str, int]) -> None:
    """Store a new password hash and end every other session of the user."""
    user.password_hash = hash_password(password, params)
    user.session_version += 1


def authenticate(
    session: Session, email: str, password: str, params: dict[str, int], now: datetime | None = None
) -> User | None:
    """Return the active user with these credentials, upgrading an outdated hash on the way."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        verify_password(None, password, params)
        return None
    if not verify_password(user.password_hash, password, params):
        return None
    if user.password_hash and needs_rehash(user.password_hash, params):
        user.password_hash = hash_password(password, params)
    user.last_login_at = now or utcnow()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session of the user on the server (replayed cookies stop working)."""
    user.session_version += 1


def deactivate_user(
    session: Session, user: User, *, actor: User | None, ip: str | None, now: datetime | None = None
) -> None:
    """Deactivate a person: they can no longer sign in and their sessions end now."""
    if not user.is_active:
        return
    user.is_active = False
    user.deactivated_at = now or utcnow()
    end_sessions(user)
    record_event(
        session,
        "user.deactivated",
        actor_id=actor.id if actor else None,
        object_type="user",
        object_id=user.id,
        ip_address=ip,
    )


def reactivate_user(session: Session, user: User, *, actor: User | None, ip: str | None) -> None:
    """Let a deactivated person sign in again."""
    if user.is_active:
        return
    user.is_active = True
    user.deactivated_at = None
    record_event(
        session,
        "user.reactivated",
        actor_id=actor.id if actor else None,
        object_type="user",
        object_id=user.id,
        ip_address=ip,
    )


def set_extra_time(
    session: Session, person: User, percent: int, *, actor: User | None, ip: str | None
) -> None:
    """Give a person extra time on timed quizzes (a percentage of the limit, 0 to 300)."""
    if not 0 <= percent <= 300:
        raise PeopleError("extra time must be between 0 and 300 percent")
    if person.extra_time_percent == percent:
        return
    previous = person.extra_time_percent
    person.extra_time_percent = percent
    record_event(
        session,
        "user.extra_time_changed",
        actor_id=actor.id if actor else None,
        object_type="user",
        object_id=person.id,
        ip_address=ip,
        previous=previous,
        percent=percent,
    )
