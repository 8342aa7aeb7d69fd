"""Reads of the learning record, as plain rows: certificates, the API's statements and
completions, and the scope of what a viewer may see.

A learner's own page ("my learning") is `app.tracking.my_learning`; their personal data,
`app.tracking.personal_record`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from app.content.models import Module, ModuleVersion
from app.i18n.languages import pick_language
from app.people.models import Unit, User
from app.permissions import is_admin, managed_unit_paths, unit_scope_clause
from app.tracking.certificates import normalise_code
from app.tracking.completion import CompletionStatus, completion_status
from app.tracking.models import Certificate, Completion, Statement
from app.tracking.statements import Verb, with_stored


def latest_majors(session: Session, module_ids: Iterable[int]) -> dict[int, int]:
    """Return the number of each module's latest major version (modules without one: absent)."""
    return dict(
        session.execute(
            select(ModuleVersion.module_id, func.max(ModuleVersion.number))
            .where(ModuleVersion.module_id.in_(list(module_ids)), ModuleVersion.is_major.is_(True))
            .group_by(ModuleVersion.module_id)
        ).all()
    )


# --- certificates --------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateRow:
    """What a certificate shows (and, less of it, the public verification page)."""

    code: str
    user_id: int
    learner_name: str
    module_slug: str
    module_title: str
    version_number: int
    completed_at: datetime
    score_percent: float | None
    expires_at: datetime | None
    status: CompletionStatus | None  # None: the completion is not in the derived table

    @property
    def is_valid(self) -> bool:
        """Tell whether the completion still counts."""
        return self.status is not None and self.status.counts


def certificate_by_code(
    session: Session, code: str, *, language: str, now: datetime
) -> CertificateRow | None:
    """Return the certificate with this code (typed in any case, with or without dashes)."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    row = session.execute(
        select(Certificate, Statement, User, Module, Completion)
        .join(Statement, Statement.id == Certificate.statement_id)
        .join(User, User.id == Certificate.user_id)
        .join(Module, Module.id == Statement.module_id)
        .outerjoin(Completion, Completion.statement_id == Certificate.statement_id)
        .where(Certificate.code == normalised)
    ).first()
    if row is None:
        return None
    certificate, statement, user, module, completion = row
    version_id = statement.module_version_id
    version = session.get(ModuleVersion, version_id) if version_id else None
    if version is None:
        return None
    names = {variant.language: variant.title for variant in version.variants}
    title = names.get(pick_language(names, language, module.source_language), module.slug)
    status = None
    if completion is not None:
        major = latest_majors(session, [module.id]).get(module.id)
        status = completion_status(
            version_number=version.number,
            expires_at=completion.expires_at,
            latest_major_number=major,
            now=now,
        )
    return CertificateRow(
        code=certificate.code,
        user_id=user.id,
        learner_name=user.display_name,
        module_slug=module.slug,
        module_title=title,
        version_number=version.number,
        completed_at=statement.timestamp,
        score_percent=completion.score_percent if completion else None,
        expires_at=completion.expires_at if completion else None,
        status=status,
    )


# --- scope -------------------------------------------------------------------------------


def learner_scope_clause(viewer: Any, user_column: Any) -> ColumnElement[bool]:
    """SQL condition: the learner (`user_column`) is the viewer or someone they manage."""
    if is_admin(viewer):
        return true()
    own = user_column == viewer.id
    if not managed_unit_paths(viewer):
        return own
    managed = (
        select(User.id)
        .join(Unit, User.unit_id == Unit.id)
        .where(unit_scope_clause(viewer, Unit.path))
    )
    return or_(own, user_column.in_(managed))


# --- statements (API, personal data) -----------------------------------------------------------


@dataclass(frozen=True)
class StatementFilter:
    """The xAPI query filters the API accepts."""

    since: datetime | None = None
    until: datetime | None = None
    verb: Verb | None = None
    activity: str | None = None
    agent_email: str | None = None
    registration: str | None = None
    ascending: bool = False


def statements_page(
    session: Session, viewer: Any, filters: StatementFilter, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Return one page of the statements the viewer may see (xAPI JSON) and whether more follow.

    As an LRS does (xAPI 1.0.3, Communication 2.1.4), a voided statement is left out; the
    statement that voids it is listed. A StatementResult has no total, so none is counted:
    one row past the page says whether there is a next one (counting a region's statements
    cost as much as reading the page).
    """
    voiding = aliased(Statement)
    conditions: list[ColumnElement[bool]] = [
        learner_scope_clause(viewer, Statement.user_id),
        ~select(voiding.id)
        .where(voiding.verb == Verb.VOIDED, voiding.object_iri == Statement.uuid)
        .exists(),
    ]
    if filters.since is not None:
        conditions.append(Statement.stored_at > filters.since)
    if filters.until is not None:
        conditions.append(Statement.stored_at <= filters.until)
    if filters.verb is not None:
        conditions.append(Statement.verb == filters.verb)
    if filters.activity is not None:
        conditions.append(Statement.object_iri == filters.activity)
    if filters.registration is not None:
        conditions.append(Statement.registration == filters.registration)
    if filters.agent_email is not None:
        conditions.append(
            Statement.user_id.in_(
                select(User.id).where(func.lower(User.email) == filters.agent_email.lower())
            )
        )
    order = (
        (Statement.stored_at.asc(), Statement.id.asc())
        if filters.ascending
        else (Statement.stored_at.desc(), Statement.id.desc())
    )
    rows = session.execute(
        select(Statement.payload, Statement.stored_at)
        .where(*conditions)
        .order_by(*order)
        .offset(offset)
        .limit(limit + 1)
    ).all()
    page = [with_stored(payload, stored_at) for payload, stored_at in rows[:limit]]
    return page, len(rows) > limit


@dataclass(frozen=True)
class CompletionRow:
    """A completion as the API and the exports list it."""

    user_id: int
    user_name: str
    user_email: str
    module_id: int
    module_slug: str
    version_number: int
    number: int
    completed_at: datetime
    score_percent: float | None
    expires_at: datetime | None
    is_current: bool
    status: CompletionStatus
    certificate_code: str | None


def _completion_conditions(
    viewer: Any,
    *,
    since: datetime | None,
    until: datetime | None,
    module_slug: str | None,
    current_only: bool,
    user_id: int | None,
) -> list[ColumnElement[bool]]:
    """The filters of `completions_page`, within what the viewer may see."""
    conditions: list[ColumnElement[bool]] = [learner_scope_clause(viewer, Completion.user_id)]
    if user_id is not None:
        conditions.append(Completion.user_id == user_id)
    if since is not None:
        conditions.append(Completion.completed_at > since)
    if until is not None:
        conditions.append(Completion.completed_at <= until)
    if current_only:
        conditions.append(Completion.is_current.is_(True))
    if module_slug is not None:
        module_ids = select(Module.id).where(Module.slug == module_slug)
        conditions.append(Completion.module_id.in_(module_ids))
    return conditions


def completions_page(
    session: Session,
    viewer: Any,
    *,
    now: datetime,
    offset: int,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    module_slug: str | None = None,
    current_only: bool = True,
    user_id: int | None = None,
) -> tuple[list[CompletionRow], int]:
    """Return one page of the completions the viewer may see (newest first) and the total."""
    conditions = _completion_conditions(
        viewer,
        since=since,
        until=until,
        module_slug=module_slug,
        current_only=current_only,
        user_id=user_id,
    )
    total = session.scalar(select(func.count(Completion.id)).where(*conditions)) or 0
    rows = session.execute(
        select(
            Completion,
            User.first_name,
            User.last_name,
            User.email,
            Module.slug,
            ModuleVersion.number,
            Certificate.code,
        )
        .join(User, User.id == Completion.user_id)
        .join(Module, Module.id == Completion.module_id)
        .join(ModuleVersion, ModuleVersion.id == Completion.module_version_id)
        .outerjoin(Certificate, Certificate.statement_id == Completion.statement_id)
        .where(*conditions)
        .order_by(Completion.completed_at.desc(), Completion.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    majors = latest_majors(session, {row.Completion.module_id for row in rows}) if rows else {}
    return [_completion_row(row, majors, now) for row in rows], total


def _completion_row(row: Any, majors: dict[int, int], now: datetime) -> CompletionRow:
    done, first, last, email, slug, number, code = row
    return CompletionRow(
        user_id=done.user_id,
        user_name=f"{first} {last}".strip(),
        user_email=email,
        module_id=done.module_id,
        module_slug=slug,
        version_number=number,
        number=done.number,
        completed_at=done.completed_at,
        score_percent=done.score_percent,
        expires_at=done.expires_at,
        is_current=done.is_current,
        status=completion_status(
            version_number=number,
            expires_at=done.expires_at,
            latest_major_number=majors.get(done.module_id),
            now=now,
        ),
        certificate_code=code,
    )
