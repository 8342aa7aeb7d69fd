"""Writes on units and content providers. They flush; the caller commits once.

Every change is recorded in the audit log with `before` and `after` holding the changed
fields (`app.people.change_records`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.i18n.markers import N_
from app.people.change_records import record_change
from app.people.field_rules import PeopleError, checked_name, open_unit, refusal
from app.people.models import Provider, Unit, UnitKind, User

_CHILD_KIND = {UnitKind.NETWORK: UnitKind.REGION, UnitKind.REGION: UnitKind.BRANCH}
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


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
    name = checked_name(name, "name", 200)
    if parent is None and kind != UnitKind.NETWORK:
        raise refusal("parent", N_("a %(kind)s needs a parent unit"), kind=kind.value)
    if parent is not None and _CHILD_KIND.get(parent.kind) != kind:
        raise refusal(
            "parent",
            N_("a %(kind)s cannot sit below a %(parent)s"),
            kind=kind.value,
            parent=parent.kind.value,
        )
    open_unit(parent, "units")
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise refusal("code", N_("%(code)s is already used by another unit"), code=code)
    unit = Unit(
        code=code, name=name, kind=kind, parent=parent, depth=(parent.depth + 1) if parent else 0
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    record_change(
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
    name = checked_name(name, "name", 200)
    if name == thing.name:
        return {}
    changes = {"name": (thing.name, name)}
    thing.name = name
    session.flush()
    record_change(
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
        raise refusal("parent", N_("the top of the tree cannot be moved"))
    if new_parent.path.startswith(unit.path):
        raise refusal(
            "parent",
            N_("%(parent)s lies inside %(unit)s itself"),
            parent=new_parent.code,
            unit=unit.code,
        )
    if _CHILD_KIND.get(new_parent.kind) != unit.kind:
        raise refusal(
            "parent",
            N_("a %(kind)s cannot sit below a %(parent)s"),
            kind=unit.kind.value,
            parent=new_parent.kind.value,
        )
    open_unit(new_parent, "units")
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
    record_change(
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
        raise refusal("unit", N_("the top of the tree cannot be closed"))
    active = session.scalar(
        select(func.count(User.id))
        .join(Unit, User.unit_id == Unit.id)
        .where(Unit.path.startswith(unit.path, autoescape=True), User.is_active.is_(True))
    )
    if active:
        raise refusal(
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
    record_change(
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
    name = checked_name(name, "name", 200)
    if session.scalar(select(Provider.id).where(Provider.slug == slug)) is not None:
        raise refusal("slug", N_("%(slug)s is already used by another provider"), slug=slug)
    provider = Provider(slug=slug, name=name)
    session.add(provider)
    session.flush()
    record_change(
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
