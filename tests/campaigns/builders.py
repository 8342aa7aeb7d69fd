"""Test data for campaigns: published modules, completions, campaigns, and a tick that runs in
real transactions (as `flask tick` does) at a chosen moment."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db

_serial = itertools.count(1)


def at(text: str) -> datetime:
    """A UTC moment from "2027-02-01T08:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_module(
    provider,
    slug: str | None = None,
    *,
    titles: dict[str, str] | None = None,
    refresher_of=None,
    published: bool = True,
    valid_days: int | None = None,
):
    """A module with one published version and a variant per language of `titles`."""
    from app.content.models import Module, ModuleStatus, ModuleVariant, ModuleVersion

    n = next(_serial)
    slug = slug or f"module-{n}"
    titles = titles or {"fr": f"Module {n} (fr)", "de": f"Modul {n} (de)"}
    module = Module(
        slug=slug,
        provider_id=provider.id,
        source_language=next(iter(titles)),
        status=ModuleStatus.PUBLISHED if published else ModuleStatus.DRAFT,
        refresher_of_id=refresher_of.id if refresher_of is not None else None,
    )
    db.session.add(module)
    db.session.flush()
    if published:
        version = ModuleVersion(
            module_id=module.id,
            number=1,
            is_major=True,
            content_hash=hashlib.sha256(slug.encode()).hexdigest(),
            valid_days=valid_days,
            minutes=5,
            published_at=at("2026-01-01T00:00"),
        )
        db.session.add(version)
        db.session.flush()
        for language, title in titles.items():
            db.session.add(
                ModuleVariant(
                    version_id=version.id,
                    language=language,
                    title=title,
                    summary="",
                    tags=[],
                    minutes=5,
                    content_hash=hashlib.sha256(f"{slug}{language}".encode()).hexdigest(),
                    markdown="## Page\n\nText.",
                )
            )
        module.current_version_id = version.id
    db.session.commit()
    return module


def complete(user, module, when: datetime, *, expires_at: datetime | None = None):
    """Record a completion of the module's current version (statement + derived row)."""
    from app.tracking.models import Completion, Statement
    from app.tracking.statements import ObjectKind, Verb

    statement = Statement(
        uuid=str(uuid.uuid4()),
        user_id=user.id,
        verb=Verb.COMPLETED,
        object_kind=ObjectKind.MODULE,
        object_iri=f"https://example.org/modules/{module.slug}",
        module_id=module.id,
        module_version_id=module.current_version_id,
        timestamp=when,
        stored_at=when,
        payload={},
    )
    db.session.add(statement)
    db.session.flush()
    number = (
        db.session.scalar(
            select(func.count(Completion.id)).where(
                Completion.user_id == user.id, Completion.module_id == module.id
            )
        )
        or 0
    ) + 1
    for earlier in db.session.scalars(
        select(Completion).where(Completion.user_id == user.id, Completion.module_id == module.id)
    ):
        earlier.is_current = False
    db.session.add(
        Completion(
            user_id=user.id,
            module_id=module.id,
            module_version_id=module.current_version_id,
            number=number,
            completed_at=when,
            expires_at=expires_at,
            is_current=True,
            statement_id=statement.id,
        )
    )
    db.session.commit()


def fields(owner_unit=None, owner_provider=None, **overrides):
    """Campaign fields: tax season 2027, assignments on 1 Feb, due 1 March, March campaign."""
    from app.campaigns.operations import CampaignFields

    values = {
        "name": {"fr": "Déclaration d'impôt 2027", "de": "Steuererklärung 2027", "en": "Tax 2027"},
        "theme": {"fr": "Mars: la déclaration d'impôt"},
        "description": "**Tout** sur la déclaration. <script>alert(1)</script>",
        "owner_unit_id": owner_unit.id if owner_unit is not None else None,
        "owner_provider_id": owner_provider.id if owner_provider is not None else None,
        "assign_at": at("2027-01-31T23:00"),  # 1 February, 00:00 in Zurich
        "due_at": at("2027-03-01T22:59:59"),  # end of 1 March in Zurich
        "starts_at": at("2027-02-28T23:00"),
        "ends_at": at("2027-03-31T21:59:59"),
        "readiness_percent": 80,
        "readiness_min_per_branch": 2,
        "reminder_days": [21, 7, 2],
        "remind_weekly_overdue": True,
        "send_digests": True,
        "late_joiner_days": 14,
    }
    values.update(overrides)
    return CampaignFields(**values)


def make_campaign(
    *,
    owner_unit=None,
    owner_provider=None,
    modules: Iterable = (),
    optional: Iterable = (),
    refreshers: dict | None = None,
    units: Iterable = (),
    include_subunits: bool = True,
    schedule: bool = False,
    actor=None,
    now: datetime | None = None,
    roles: Iterable[str] | None = None,
    **overrides,
):
    """A campaign with modules and audience units, optionally scheduled (committed).

    `roles` narrows the audience (default: learners only, as a new campaign; [] for everyone)."""
    from app.campaigns import audience_operations as audience_ops
    from app.campaigns import module_operations as module_ops
    from app.campaigns import operations as ops

    now = now or at("2027-01-10T09:00")
    campaign = ops.create_campaign(
        db.session, fields(owner_unit, owner_provider, **overrides), actor=actor, now=now
    )
    refreshers = refreshers or {}
    for module in modules:
        module_ops.add_module(
            db.session,
            campaign,
            module,
            is_required=True,
            refresher=refreshers.get(module.id),
            now=now,
        )
    for module in optional:
        module_ops.add_module(
            db.session, campaign, module, is_required=False, refresher=None, now=now
        )
    for unit in units:
        audience_ops.add_audience_unit(
            db.session, campaign, unit, include_subunits=include_subunits, now=now
        )
    if roles is not None:
        audience_ops.set_audience_roles(db.session, campaign, list(roles), now=now)
    if schedule:
        ops.schedule_campaign(db.session, campaign, actor=actor, now=now)
    db.session.commit()
    return campaign


def tick(now: datetime, *, deliver: bool = True, lock: bool = True) -> dict:
    """Run `flask tick --now` in-process: each task in a real transaction, then delivery (a
    failed task fails the test, as it fails the command)."""
    from app.db import sqlite_begin_mode
    from app.platform.tick import tick_once

    db.session.rollback()
    token = sqlite_begin_mode.set("immediate")
    try:
        result = tick_once(now, deliver=deliver, lock=lock)
    finally:
        db.session.rollback()
        sqlite_begin_mode.reset(token)
    assert result["failed"] == 0, "a tick task failed (see the log)"
    return result


def rows(model, *conditions) -> list:
    """All rows of a model matching conditions (fresh from the database)."""
    db.session.expire_all()
    return list(db.session.scalars(select(model).where(*conditions)))


def days(n: int) -> timedelta:
    """A timedelta of n days."""
    return timedelta(days=n)
