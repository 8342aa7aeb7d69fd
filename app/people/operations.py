"""Writes on units, providers, users and roles. They flush; the caller commits once.

Every change is recorded in the audit log with `before` and `after` holding the changed
fields, so "who changed what, when, from what to what" is one row per change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from app.config import LANGUAGES
from app.db import utcnow
from app.i18n.markers import N_
from app.people.models import Provider, Role, RoleAssignment, Unit, UnitKind, User
from app.people.passwords import hash_password, needs_rehash, verify_password
from app.platform.audit import record_event

_CHILD_KIND = {UnitKind.NETWORK: UnitKind.REGION, UnitKind.REGION: UnitKind.BRANCH}
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
PERSON_FIELDS = ("email", "first_name", "last_name", "preferred_language", "hr_number", "unit")


class PeopleError(ValueError):
    """A rule about people or units was broken; the message says which.

    The message reads "field: what is wrong" in English (logs, the command line); pages show
    `template` translated with `params` when the error carries one.
    """

    def __init__(self, message: str, *, template: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.template = template
        self.params = params


def _refusal(field: str, template: str, **params: Any) -> PeopleError:
    """Build a PeopleError for `field` whose message pages can translate (`template`)."""
    return PeopleError(f"{field}: {template % params}", template=template, **params)


def normalise_email(email: str) -> str:
    """Return the canonical form of an e-mail address used for look-ups."""
    return email.strip().lower()


# --- audit helpers ----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Turn a field value into something the JSON audit column can hold."""
    if isinstance(value, Unit):
        return value.code
    if isinstance(value, Provider):
        return value.slug
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def _record_change(
    session: Session,
    action: str,
    *,
    object_type: str,
    object_id: int | None,
    changes: dict[str, tuple[Any, Any]],
    actor: User | None,
    ip: str | None,
    now: datetime | None,
    **extra: Any,
) -> None:
    """Record one audit row whose details hold `before` and `after` of the changed fields."""
    record_event(
        session,
        action,
        actor_id=actor.id if actor is not None else None,
        object_type=object_type,
        object_id=object_id,
        ip_address=ip,
        now=now,
        before={field: _plain(old) for field, (old, _new) in changes.items()},
        after={field: _plain(new) for field, (_old, new) in changes.items()},
        **extra,
    )


# --- field rules ------------------------------------------------------------------------


def _name(value: str | None, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise PeopleError(f"{field}: must not be empty")
    if len(text) > max_length:
        raise PeopleError(f"{field}: at most {max_length} characters")
    if any(ord(ch) < 32 for ch in text):
        raise PeopleError(f"{field}: must not contain control characters")
    return text


def email_syntax(email: str | None) -> str:
    """Return the normalised address, or raise when its syntax is wrong (no look-up)."""
    raw = (email or "").strip()
    if not raw:
        raise PeopleError("e-mail: must not be empty")
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise PeopleError(f"e-mail: {raw!r} is not a valid address ({exc})") from None
    address = normalise_email(checked.normalized)
    if len(address) > 254:
        raise PeopleError("e-mail: at most 254 characters")
    return address


def check_email(session: Session, email: str | None, *, person: User | None = None) -> str:
    """Return the normalised address, or raise when its syntax is wrong or it is taken."""
    address = email_syntax(email)
    other = find_user_by_email(session, address)
    if other is not None and (person is None or other.id != person.id):
        raise _refusal(
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
        raise _refusal(
            "HR number", N_("%(number)s is already used by another person"), number=value
        )
    return value


def check_language(language: str | None) -> str | None:
    """Return the language code (None when blank), or raise when it is not supported."""
    value = (language or "").strip().lower() or None
    if value is not None and value not in LANGUAGES:
        raise PeopleError(f"language: {value!r} is not one of {', '.join(LANGUAGES)}")
    return value


def _open_unit(unit: Unit | None, what: str) -> None:
    if unit is not None and unit.is_closed:
        raise _refusal("unit", N_("%(unit)s is closed and takes no one new"), unit=unit.code)


# --- units ------------------------------------------------------------------------------


def create_unit(
    session: Session,
    *,
    code: str,
    name: str,
    kind: UnitKind,
    parent: Unit | None = None,
    actor: User | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> Unit:
    """Add a unit below `parent` and compute its tree path."""
    code = (code or "").strip()
    if not _CODE_RE.match(code):
        raise PeopleError(
            f"code: {code!r} must be 1-64 letters, digits, dots, dashes or underscores"
        )
    name = _name(name, "name", 200)
    if parent is None and kind != UnitKind.NETWORK:
        raise _refusal("parent", N_("a %(kind)s needs a parent unit"), kind=kind.value)
    if parent is not None and _CHILD_KIND.get(parent.kind) != kind:
        raise _refusal(
            "parent",
            N_("a %(kind)s cannot sit below a %(parent)s"),
            kind=kind.value,
            parent=parent.kind.value,
        )
    _open_unit(parent, "units")
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise _refusal("code", N_("%(code)s is already used by another unit"), code=code)
    unit = Unit(
        code=code, name=name, kind=kind, parent=parent, depth=(parent.depth + 1) if parent else 0
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    _record_change(
        session,
        "unit.created",
        object_type="unit",
        object_id=unit.id,
        changes={
            "code": (None, code),
            "name": (None, name),
            "kind": (None, kind),
            "parent": (None, parent),
        },
        actor=actor,
        ip=ip,
        now=now,
    )
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


def _rename(
    session: Session,
    thing: Unit | Provider,
    object_type: str,
    name: str,
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None,
) -> dict[str, tuple[Any, Any]]:
    """Rename a unit or provider (both keep a 200-character name) and audit the change."""
    name = _name(name, "name", 200)
    if name == thing.name:
        return {}
    changes = {"name": (thing.name, name)}
    thing.name = name
    session.flush()
    _record_change(
        session,
        f"{object_type}.renamed",
        object_type=object_type,
        object_id=thing.id,
        changes=changes,
        actor=actor,
        ip=ip,
        now=now,
    )
    return changes


def rename_unit(
    session: Session,
    unit: Unit,
    name: str,
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Give a unit a new name; return what changed."""
    return _rename(session, unit, "unit", name, actor=actor, ip=ip, now=now)


def move_unit(
    session: Session,
    unit: Unit,
    new_parent: Unit,
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Move a unit with its whole subtree below another parent, rewriting paths in one UPDATE."""
    if unit.parent_id == new_parent.id:
        return {}
    if unit.parent_id is None:
        raise _refusal("parent", N_("the top of the tree cannot be moved"))
    if new_parent.path.startswith(unit.path):
        raise _refusal(
            "parent",
            N_("%(parent)s lies inside %(unit)s itself"),
            parent=new_parent.code,
            unit=unit.code,
        )
    if _CHILD_KIND.get(new_parent.kind) != unit.kind:
        raise _refusal(
            "parent",
            N_("a %(kind)s cannot sit below a %(parent)s"),
            kind=unit.kind.value,
            parent=new_parent.kind.value,
        )
    _open_unit(new_parent, "units")
    old_parent = unit.parent
    old_path = unit.path
    new_path = f"{new_parent.path}{unit.id}/"
    delta = new_parent.depth + 1 - unit.depth
    session.flush()
    # One statement re-parents the unit and rewrites the prefix of every path in its subtree,
    # so the tree is never seen half moved and the cost does not grow with its size.
    session.execute(
        update(Unit)
        .where(Unit.path.startswith(old_path, autoescape=True))
        .values(
            parent_id=case((Unit.id == unit.id, new_parent.id), else_=Unit.parent_id),
            path=literal(new_path) + func.substr(Unit.path, len(old_path) + 1),
            depth=Unit.depth + delta,
        )
        .execution_options(synchronize_session="fetch")
    )
    session.expire(unit, ["parent_id", "parent"])
    changes = {"parent": (old_parent, new_parent), "path": (old_path, new_path)}
    _record_change(
        session,
        "unit.moved",
        object_type="unit",
        object_id=unit.id,
        changes=changes,
        actor=actor,
        ip=ip,
        now=now,
    )
    return changes


def close_unit(
    session: Session,
    unit: Unit,
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Close a unit and the units below it; people, roles and history stay as they are."""
    if unit.is_closed:
        return {}
    if unit.parent_id is None:
        raise _refusal("unit", N_("the top of the tree cannot be closed"))
    active = session.scalar(
        select(func.count(User.id))
        .join(Unit, User.unit_id == Unit.id)
        .where(Unit.path.startswith(unit.path, autoescape=True), User.is_active.is_(True))
    )
    if active:
        raise _refusal(
            "unit",
            N_("%(unit)s still has %(count)d active people; move or deactivate them first"),
            unit=unit.code,
            count=active,
        )
    when = now or utcnow()
    session.flush()
    session.execute(
        update(Unit)
        .where(Unit.path.startswith(unit.path, autoescape=True), Unit.closed_at.is_(None))
        .values(closed_at=when)
        .execution_options(synchronize_session="fetch")
    )
    changes = {"closed_at": (None, when)}
    _record_change(
        session,
        "unit.closed",
        object_type="unit",
        object_id=unit.id,
        changes=changes,
        actor=actor,
        ip=ip,
        now=now,
    )
    return changes


# --- providers --------------------------------------------------------------------------


def create_provider(
    session: Session,
    *,
    slug: str,
    name: str,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> Provider:
    """Add a content provider (an organisation whose trainers publish modules)."""
    slug = (slug or "").strip()
    if not _SLUG_RE.match(slug):
        raise PeopleError(f"slug: {slug!r} must be 1-64 lower-case letters, digits or dashes")
    name = _name(name, "name", 200)
    if session.scalar(select(Provider.id).where(Provider.slug == slug)) is not None:
        raise _refusal("slug", N_("%(slug)s is already used by another provider"), slug=slug)
    provider = Provider(slug=slug, name=name)
    session.add(provider)
    session.flush()
    _record_change(
        session,
        "provider.created",
        object_type="provider",
        object_id=provider.id,
        changes={"slug": (None, slug), "name": (None, name)},
        actor=actor,
        ip=ip,
        now=now,
    )
    return provider


def rename_provider(
    session: Session,
    provider: Provider,
    name: str,
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Give a provider a new name; return what changed."""
    return _rename(session, provider, "provider", name, actor=actor, ip=ip, now=now)


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


# --- people -----------------------------------------------------------------------------


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the user with this e-mail address (case-insensitive), if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


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
    first = _name(first_name, "first name", 100)
    last = _name(last_name, "last name", 100)
    lang = check_language(language)
    hr = check_hr_number(session, hr_number)
    _open_unit(unit, "people")
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
    _record_change(
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
    checked: list[dict[str, Any]] = []
    for raw in people:
        values = {
            "email": email_syntax(raw["email"]),
            "first_name": _name(raw["first_name"], "first name", 100),
            "last_name": _name(raw["last_name"], "last name", 100),
            "preferred_language": check_language(raw.get("language")),
            "hr_number": (raw.get("hr_number") or "").strip() or None,
            "unit": raw.get("unit"),
        }
        if values["hr_number"] is not None and len(values["hr_number"]) > 64:
            raise PeopleError("HR number: at most 64 characters")
        _open_unit(values["unit"], "people")
        checked.append(values)
    for field, column in (("email", User.email), ("hr_number", User.hr_number)):
        wanted = [v[field] for v in checked if v[field] is not None]
        if len(set(wanted)) != len(wanted):
            raise PeopleError(f"{field}: the same value is given for two new people")
        for start in range(0, len(wanted), 500):
            taken = session.scalar(select(column).where(column.in_(wanted[start : start + 500])))
            if taken is not None:
                raise PeopleError(f"{field}: {taken} is already used by another person")
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
        _record_change(
            session,
            "user.created",
            object_type="user",
            object_id=person.id,
            changes={name: (None, value) for name, value in values.items()},
            actor=actor,
            ip=ip,
            now=when,
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
            now=when,
            before={},
            after=scope,
            **scope,
        )
    session.flush()
    return created


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
        wanted["first_name"] = _name(changes["first_name"], "first name", 100)
    if "last_name" in changes:
        wanted["last_name"] = _name(changes["last_name"], "last name", 100)
    if "preferred_language" in changes:
        wanted["preferred_language"] = check_language(changes["preferred_language"])
    if "hr_number" in changes:
        wanted["hr_number"] = check_hr_number(session, changes["hr_number"], person=person)
    if "unit" in changes:
        unit = changes["unit"]
        if unit is not None and not isinstance(unit, Unit):
            raise PeopleError("unit: expected a unit")
        if (unit.id if unit else None) != person.unit_id:
            _open_unit(unit, "people")
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
    _record_change(
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


# --- roles ------------------------------------------------------------------------------


def _scope_of(assignment: RoleAssignment) -> dict[str, Any]:
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
        raise _refusal("provider", N_("a trainer role needs a provider"))
    if role == Role.MANAGER and unit is None:
        raise _refusal("unit", N_("a manager role needs a unit"))
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
    _open_unit(unit, "managers")
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


def _active_admin_count(session: Session) -> int:
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
        and _active_admin_count(session) <= 1
    ):
        raise _refusal("role", N_("the last active administrator cannot lose the admin role"))
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


# --- passwords, sessions, activation ----------------------------------------------------


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


def end_sessions(user: User, *, now: datetime | None = None, reason: str = "sessions_ended") -> int:
    """Invalidate every session of the user on the server and revoke their API tokens.

    Replayed cookies stop working, and no token outlives the sessions: password changes,
    resets, deactivation and "sign out everywhere" all come here. Returns the tokens revoked.
    """
    from sqlalchemy.orm import object_session

    from app.api.tokens import revoke_all_tokens  # the API feature builds on people

    user.session_version += 1
    session = object_session(user)
    if session is None or user.id is None:
        return 0  # a person not yet saved has no tokens
    return revoke_all_tokens(session, user, now=now or utcnow(), reason=reason)


def deactivate_user(
    session: Session, user: User, *, actor: User | None, ip: str | None, now: datetime | None = None
) -> None:
    """Deactivate a person: they can no longer sign in and their sessions end now."""
    if not user.is_active:
        return
    if user.has_role(Role.ADMIN) and _active_admin_count(session) <= 1:
        raise _refusal("person", N_("the last active administrator cannot be deactivated"))
    when = now or utcnow()
    user.is_active = False
    user.deactivated_at = when
    end_sessions(user)
    session.flush()
    _record_change(
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
    _open_unit(user.unit, "people")
    previous = user.deactivated_at
    user.is_active = True
    user.deactivated_at = None
    session.flush()
    _record_change(
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
