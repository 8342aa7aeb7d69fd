"""The one statement behind "my learning" and the learner's home panel, built once.

One row per module the learner has progress in, a current completion of, or is assigned
(`assigned`: a SELECT of module ids per assignment source). Each row carries the module's facts
(progress, current completion with its version number and certificate, reading position,
latest major version) and, as one JSON array, the language variants of the module's current
version and of the version the learner's progress is in: [version id, language, title, page
count, pages seen in the learner's current cycle] each. Built once per set of assignment
sources (`my_learning`), so each request only binds `user_id` (no statement construction,
and the compiled form comes from the cache under a key computed once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select, union
from sqlalchemy.orm import aliased

from app.content.models import (
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    ReadingPosition,
)
from app.platform.reads import json_rows
from app.tracking.models import Certificate, Completion, ModuleProgress, PageProgress

_user = bindparam("user_id")
_completed_version = aliased(ModuleVersion)
_major = aliased(ModuleVersion)

_latest_major = (
    select(func.max(_major.number))
    .where(_major.module_id == Module.id, _major.is_major.is_(True))
    .scalar_subquery()
)
_pages = (
    select(func.count(ModulePage.id)).where(ModulePage.variant_id == ModuleVariant.id)
).scalar_subquery()
# Pages seen in the version and cycle the learner is in now (none without progress). Inside
# `_variants`, so the module and the progress come from two levels up: named, as automatic
# correlation looks one level up only.
_seen = (
    select(func.count(PageProgress.id))
    .where(
        PageProgress.user_id == _user,
        PageProgress.variant_id == ModuleVariant.id,
        PageProgress.module_id == Module.id,
        PageProgress.module_version_id == ModuleProgress.module_version_id,
        PageProgress.cycle == ModuleProgress.cycle,
    )
    .correlate_except(PageProgress)
    .scalar_subquery()
)

# The variants of the current version and of the learner's, one JSON array per module (the
# variant rows would repeat the module's facts: this is about half the values to decode).
_variants = (
    select(
        json_rows(
            ModuleVariant.version_id,
            ModuleVariant.language,
            ModuleVariant.title,
            _pages,
            _seen,
        )
    )
    .where(
        ModuleVariant.version_id.in_([Module.current_version_id, ModuleProgress.module_version_id])
    )
    .scalar_subquery()
)


# One row per module: the module's facts, the learner's, and the variants'.
_COLUMNS = (
    Module.id.label("module_id"),
    Module.slug,
    Module.source_language,
    Module.current_version_id,
    ModuleProgress.id.label("progress_id"),
    ModuleProgress.module_version_id.label("progress_version_id"),
    ModuleProgress.cycle,
    ModuleProgress.quiz_passed_cycle,
    ModuleProgress.last_activity_at,
    Completion.id.label("completion_id"),
    Completion.completed_at,
    Completion.score_percent,
    Completion.expires_at,
    _completed_version.number.label("completed_number"),
    Certificate.code.label("certificate_code"),
    ReadingPosition.version_id.label("position_version_id"),
    ReadingPosition.position,
    ReadingPosition.language.label("position_language"),
    _latest_major.label("latest_major"),
    _variants.label("variants"),
)


def learner_modules(assigned: Sequence[Select[Any]]) -> Select[Any]:
    """The statement, with `assigned` (SELECTs of the ids of the modules assigned to `user_id`)
    in it."""
    # The learner's modules are found from the learner's own rows and looked up by id: reading
    # every published module to test each one would grow with the library, not the learner.
    mine = union(
        select(ModuleProgress.module_id).where(ModuleProgress.user_id == _user),
        select(Completion.module_id).where(
            Completion.user_id == _user, Completion.is_current.is_(True)
        ),
        *assigned,
    )
    return (
        select(*_COLUMNS)
        .select_from(Module)
        .outerjoin(
            ModuleProgress,
            and_(ModuleProgress.user_id == _user, ModuleProgress.module_id == Module.id),
        )
        .outerjoin(
            Completion,
            and_(
                Completion.user_id == _user,
                Completion.module_id == Module.id,
                Completion.is_current.is_(True),
            ),
        )
        .outerjoin(_completed_version, _completed_version.id == Completion.module_version_id)
        .outerjoin(Certificate, Certificate.statement_id == Completion.statement_id)
        .outerjoin(
            ReadingPosition,
            and_(ReadingPosition.user_id == _user, ReadingPosition.module_id == Module.id),
        )
        .where(
            Module.id.in_(mine),
            Module.status == ModuleStatus.PUBLISHED,
            Module.current_version_id.is_not(None),
        )
        .order_by(Module.id)
    )
