"""Writes on people: creating, changing, deactivating, passwords. They flush; the caller commits.

Every change is recorded in the audit log with `before` and `after` holding the changed
fields, so "who changed what, when, from what to what" is one row per change. Units and
providers are written by `app.people.unit_operations`, roles by `app.people.role_operations`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.i18n.markers import N_
from app.people.change_records import record_change
from app.people.field_rules import (
    PeopleError,
    check_language,
    checked_name,
    email_syntax,
    normalise_email,
    open_unit,
    refusal,
)
from app.people.models import Role, RoleAssignment, Unit, User
from app.people.passwords import hash_password, needs_rehash, verify_password
from app.people.role_operations import active_admin_count, grant_role
from app.people.sessions import end_sessions
from app.platform.audit import record_event

PERSON_FIELDS = ("email", "first_name", "last_name", "preferred_language", "hr_number", "unit")


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the user with this e-mail address (case-insensitive), if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def check_email(session: Session, email: str | None, *, person: User | None = None) -> str:
    """Return the normalised address, or raise when its syntax is wrong or it is taken."""
    address = email_syntax(email)
    other = find_user_by_email(session, address)
    if other is not None and (person is None or other.id != person.id):
        raise refusal(
            "e-mail", N_("%(address)s is already used by another person"), address=address
        )
    return address


def check_hr_number(
    session: Session, hr_number: str | None, *, person: User | None = None
) -> str | None:
    """Return the HR number (None when blank), or raise when another person has it."""
    value = (hr_number or "").strip() or None
    if value is None:
        return None
    if len(value) > 64:
        raise PeopleError("HR number: at most 64 characters")
    other = session.scalar(select(User).where(User.hr_number == value))
    if other is not None and (person is None or other.id != person.id):
        raise refusal("HR number", N_("%(number)s is already used by another person"), number=value)
    return value


def create_person(
    session: Session,
    *,
    email: str,
    first_name: str,
    last_name: str,
    unit: Unit | None,
    language: str | None = None,
    hr_number: str | None = None,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> User:
    """Add a person (a learner, without password: they sign in once invited or via SSO)."""
    address = check_email(session, email)
    first = checked_name(first_name, "first name", 100)
    last = checked_name(last_name, "last name", 100)
    lang = check_language(language)
    hr = check_hr_number(session, hr_number)
    open_unit(unit, "people")
    person = User(
        email=address,
        first_name=first,
        last_name=last,
        preferred_language=lang,
        hr_number=hr,
        unit=unit,
        created_at=now or utcnow(),
    )
    session.add(person)
    session.flush()
    record_change(
        session,
        "user.created",
        object_type="user",
        object_id=person.id,
        changes={
            "email": (None, address),
            "first_name": (None, first),
            "last_name": (None, last),
            "preferred_language": (None, lang),
            "hr_number": (None, hr),
            "unit": (None, unit),
        },
        actor=actor,
        ip=ip,
        now=now,
    )
    grant_role(session, person, Role.LEARNER, actor=actor, ip=ip, now=now)
    return person


def create_people(
    session: Session,
    people: Sequence[Mapping[str, Any]],
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> list[User]:
    """Add many people at once (HR import): create_person's checks and audit rows, in bulk.

    Each mapping holds create_person's keyword arguments (email, first_name, last_name, unit,
    language, hr_number). Uniqueness is checked with one query per 500 people and everything
    is written in two flushes, instead of several round trips per person; nothing is added
    when any person is refused.
    """
    when = now or utcnow()
    checked = [_checked_new_person(raw) for raw in people]
    _refuse_taken(session, checked)
    # The unit by id: through the relationship, adding each person would cascade into it.
    created = [
        User(
            **{k: v for k, v in values.items() if k != "unit"},
            unit_id=values["unit"].id if values["unit"] is not None else None,
            created_at=when,
            roles=[RoleAssignment(role=Role.LEARNER, created_at=when)],
        )
        for values in checked
    ]
    session.add_all(created)
    session.flush()
    for person, values in zip(created, checked, strict=True):
        _record_creation(session, person, values, actor=actor, ip=ip, now=when)
    session.flush()
    return created


def _checked_new_person(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return one new person's fields as create_person would store them, or raise."""
    values = {
        "email": email_syntax(raw["email"]),
        "first_name": checked_name(raw["first_name"], "first name", 100),
        "last_name": checked_name(raw["last_name"], "last name", 100),
        "preferred_language": check_language(raw.get("language")),
        "hr_number": (raw.get("hr_number") or "").strip() or None,
        "unit": raw.get("unit"),
    }
    if values["hr_number"] is not None and len(values["hr_number"]) > 64:
        raise PeopleError("HR number: at most 64 characters")
    open_unit(values["unit"], "people")
    return values


def _refuse_taken(session: Session, checked: Sequence[Mapping[str, Any]]) -> None:
    """Raise when two new people share an address or HR number, or someone already has it."""
    for field, column in (("email", User.email), ("hr_number", User.hr_number)):
        wanted = [v[field] for v in checked if v[field] is not None]
        if len(set(wanted)) != len(wanted):
            raise PeopleError(f"{field}: the same value is given for two new people")
        for start in range(0, len(wanted), 500):
            taken = session.scalar(select(column).where(column.in_(wanted[start : start + 500])))
            if taken is not None:
                raise PeopleError(f"{field}: {taken} is already used by another person")


def _record_creation(
    session: Session,
    person: User,
    values: Mapping[str, Any],
    *,
    actor: User | None,
    ip: str | None,
    now: datetime,
) -> None:
    """Audit one bulk-created person and their learner role, as create_person would."""
    record_change(
        session,
        "user.created",
        object_type="user",
        object_id=person.id,
        changes={name: (None, value) for name, value in values.items()},
        actor=actor,
        ip=ip,
        now=now,
    )
    # The learner role has no scope; reading it off the new assignment's relationships
    # would initialise two attributes per person (seconds, for a 10,000-row import).
    scope = {"role": Role.LEARNER.value, "unit": None, "provider": None}
    record_event(
        session,
        "role.granted",
        actor_id=actor.id if actor is not None else None,
        object_type="user",
        object_id=person.id,
        ip_address=ip,
        now=now,
        before={},
        after=scope,
        **scope,
    )


def update_person(
    session: Session,
    person: User,
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
    **changes: Any,
) -> dict[str, tuple[Any, Any]]:
    """Change a person's details; return {field: (before, after)} of what really changed.

    Keys: email, first_name, last_name, preferred_language, hr_number, unit (a Unit; for
    "unit" the pair holds Unit objects). Nothing is changed when any value is refused.
    """
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise PeopleError(f"cannot change {', '.join(sorted(unknown))}")
    wanted: dict[str, Any] = {}
    if "email" in changes:
        wanted["email"] = check_email(session, changes["email"], person=person)
    if "first_name" in changes:
        wanted["first_name"] = checked_name(changes["first_name"], "first name", 100)
    if "last_name" in changes:
        wanted["last_name"] = checked_name(changes["last_name"], "last name", 100)
    if "preferred_language" in changes:
        wanted["preferred_language"] = check_language(changes["preferred_language"])
    if "hr_number" in changes:
        wanted["hr_number"] = check_hr_number(session, changes["hr_number"], person=person)
    if "unit" in changes:
        unit = changes["unit"]
        if unit is not None and not isinstance(unit, Unit):
            raise PeopleError("unit: expected a unit")
        if (unit.id if unit else None) != person.unit_id:
            open_unit(unit, "people")
        wanted["unit"] = unit
    changed: dict[str, tuple[Any, Any]] = {}
    for field, value in wanted.items():
        if field == "unit":
            if (value.id if value else None) != person.unit_id:
                changed["unit"] = (person.unit, value)
        elif getattr(person, field) != value:
            changed[field] = (getattr(person, field), value)
    if not changed:
        return {}
    for field, (_old, new) in changed.items():
        setattr(person, field, new)
    session.flush()
    record_change(
        session,
        "user.moved" if set(changed) == {"unit"} else "user.updated",
        object_type="user",
        object_id=person.id,
        changes=changed,
        actor=actor,
        ip=ip,
        now=now,
    )
    return changed


def set_password(user: User, password: str, params: dict[str, int]) -> None:
    """Store a new password hash and end every other session of the user."""
    user.password_hash = hash_password(password, params)
    end_sessions(user, reason="password_changed")


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


def deactivate_user(
    session: Session, user: User, *, actor: User | None, ip: str | None, now: datetime | None = None
) -> None:
    """Deactivate a person: they can no longer sign in and their sessions end now."""
    if not user.is_active:
        return
    if user.has_role(Role.ADMIN) and active_admin_count(session) <= 1:
        raise refusal("person", N_("the last active administrator cannot be deactivated"))
    when = now or utcnow()
    user.is_active = False
    user.deactivated_at = when
    end_sessions(user)
    session.flush()
    record_change(
        session,
        "user.deactivated",
        object_type="user",
        object_id=user.id,
        changes={"is_active": (True, False), "deactivated_at": (None, when)},
        actor=actor,
        ip=ip,
        now=now,
    )


def reactivate_user(
    session: Session, user: User, *, actor: User | None, ip: str | None, now: datetime | None = None
) -> None:
    """Let a deactivated person sign in again."""
    if user.is_active:
        return
    open_unit(user.unit, "people")
    previous = user.deactivated_at
    user.is_active = True
    user.deactivated_at = None
    session.flush()
    record_change(
        session,
        "user.reactivated",
        object_type="user",
        object_id=user.id,
        changes={"is_active": (False, True), "deactivated_at": (previous, None)},
        actor=actor,
        ip=ip,
        now=now,
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
