"""Reads for attestations: the learner's state, the signed record, who in a scope has not confirmed.

Whether a confirmation still counts is the completion rule's answer
(`app.tracking.completion.completion_status`): a confirmation is the completion of an
attestation, so a new major version or the end of its validity asks for a new one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from app.content.models import (
    Module,
    ModuleKind,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
)
from app.i18n.languages import pick_language
from app.people.models import Role, RoleAssignment, Unit, User
from app.permissions import unit_scope_clause
from app.tracking.completion import CompletionStatus, completion_status
from app.tracking.models import Certificate, Completion, Statement
from app.tracking.queries import CertificateRow, certificate_by_code
from app.tracking.statements import Verb


def published_attestation(session: Session, slug: str) -> Module | None:
    """Return the published attestation with this id, or None (also for a plain module)."""
    return session.scalar(
        select(Module).where(
            Module.slug == slug,
            Module.kind == ModuleKind.ATTESTATION,
            Module.status == ModuleStatus.PUBLISHED,
            Module.current_version_id.is_not(None),
        )
    )


def latest_major_number(session: Session, module_id: int) -> int | None:
    """Return the number of the module's latest major version (None: there is none)."""
    return session.scalar(
        select(func.max(ModuleVersion.number)).where(
            ModuleVersion.module_id == module_id, ModuleVersion.is_major.is_(True)
        )
    )


@dataclass(frozen=True)
class LearnerState:
    """Where a learner stands with an attestation: confirmed (which version, its record) or not."""

    status: CompletionStatus | None  # None: never confirmed
    version_number: int | None
    confirmed_at: datetime | None
    code: str | None  # the verification code of the signed record

    @property
    def is_confirmed(self) -> bool:
        """Tell whether the learner's confirmation counts now."""
        return self.status is not None and self.status.counts


def learner_state(session: Session, user_id: int, module: Module, *, now: datetime) -> LearnerState:
    """Return the learner's current confirmation of the attestation and whether it counts."""
    row = session.execute(
        select(Completion, ModuleVersion.number, Certificate.code)
        .join(ModuleVersion, ModuleVersion.id == Completion.module_version_id)
        .outerjoin(Certificate, Certificate.statement_id == Completion.statement_id)
        .where(
            Completion.user_id == user_id,
            Completion.module_id == module.id,
            Completion.is_current.is_(True),
        )
    ).first()
    if row is None:
        return LearnerState(None, None, None, None)
    completion, number, code = row
    status = completion_status(
        version_number=number,
        expires_at=completion.expires_at,
        latest_major_number=latest_major_number(session, module.id),
        now=now,
    )
    return LearnerState(status, number, completion.completed_at, code)


@dataclass(frozen=True)
class RecordPage:
    """One page of the text that was confirmed (sanitised HTML, rendered at publication)."""

    title: str
    html: str


@dataclass(frozen=True)
class SignedRecord:
    """A printed confirmation: the certificate facts plus what exactly was confirmed and how."""

    cert: CertificateRow
    statement_uuid: str
    language: str
    content_hash: str
    method: str  # "password" or "sso"
    pages: list[RecordPage]


def signed_record(
    session: Session, code: str, *, language: str, now: datetime
) -> SignedRecord | None:
    """Return the signed record with this verification code (None: no such attestation record)."""
    cert = certificate_by_code(session, code, language=language, now=now)
    if cert is None:
        return None
    completed = session.scalar(
        select(Statement)
        .join(Certificate, Certificate.statement_id == Statement.id)
        .where(Certificate.code == cert.code)
    )
    if completed is None or completed.module_version_id is None:
        return None
    # The confirmation recorded in the same transaction, just before the completion it caused.
    attested = session.scalar(
        select(Statement)
        .where(
            Statement.user_id == completed.user_id,
            Statement.verb == Verb.ATTESTED,
            Statement.module_version_id == completed.module_version_id,
            Statement.id < completed.id,
        )
        .order_by(Statement.id.desc())
        .limit(1)
    )
    if attested is None:
        return None  # a certificate of a plain module: not an attestation record
    context = attested.payload.get("context") or {}
    extensions = context.get("extensions") or {}
    content_hash = next((v for k, v in extensions.items() if k.endswith("/content-hash")), "")
    method = next((v for k, v in extensions.items() if k.endswith("/authentication")), "")
    confirmed_language = context.get("language") or language
    variant = session.scalar(
        select(ModuleVariant).where(
            ModuleVariant.version_id == completed.module_version_id,
            ModuleVariant.language == confirmed_language,
        )
    )
    pages = []
    if variant is not None:
        pages = [
            RecordPage(title, html)
            for title, html in session.execute(
                select(ModulePage.title, ModulePage.html)
                .where(ModulePage.variant_id == variant.id)
                .order_by(ModulePage.position)
            )
        ]
    return SignedRecord(
        cert=cert,
        statement_uuid=attested.uuid,
        language=confirmed_language,
        content_hash=str(content_hash),
        method=str(method),
        pages=pages,
    )


class PersonState(enum.StrEnum):
    """Where a person in a manager's scope stands with an attestation."""

    CONFIRMED = "confirmed"
    CONFIRM_AGAIN = "confirm_again"  # an older major version, or the confirmation expired
    NOT_CONFIRMED = "not_confirmed"


@dataclass(frozen=True)
class PersonRow:
    """One person in the viewer's scope and their confirmation of an attestation."""

    user_id: int
    name: str
    unit_name: str
    state: PersonState
    version_number: int | None
    confirmed_at: datetime | None


def people_in_scope(
    session: Session, viewer: User, module: Module, *, now: datetime
) -> list[PersonRow]:
    """Every active learner in the viewer's scope and their confirmation; pending ones first."""
    version = aliased(ModuleVersion)
    learner = (
        select(RoleAssignment.id)
        .where(RoleAssignment.user_id == User.id, RoleAssignment.role == Role.LEARNER)
        .exists()
    )
    rows = session.execute(
        select(
            User.id,
            User.first_name,
            User.last_name,
            Unit.name,
            Completion.completed_at,
            Completion.expires_at,
            version.number,
        )
        .join(Unit, Unit.id == User.unit_id)
        .outerjoin(
            Completion,
            and_(
                Completion.user_id == User.id,
                Completion.module_id == module.id,
                Completion.is_current.is_(True),
            ),
        )
        .outerjoin(version, version.id == Completion.module_version_id)
        .where(User.is_active.is_(True), learner, unit_scope_clause(viewer, Unit.path))
        .order_by(User.last_name, User.first_name, User.id)
    ).all()
    major = latest_major_number(session, module.id)
    people = []
    for user_id, first, last, unit_name, completed_at, expires_at, number in rows:
        if number is None:
            state = PersonState.NOT_CONFIRMED
        else:
            status = completion_status(
                version_number=number,
                expires_at=expires_at,
                latest_major_number=major,
                now=now,
            )
            state = PersonState.CONFIRMED if status.counts else PersonState.CONFIRM_AGAIN
        people.append(
            PersonRow(user_id, f"{first} {last}".strip(), unit_name, state, number, completed_at)
        )
    order = {PersonState.NOT_CONFIRMED: 0, PersonState.CONFIRM_AGAIN: 1, PersonState.CONFIRMED: 2}
    return sorted(people, key=lambda person: order[person.state])


@dataclass(frozen=True)
class AttestationSummary:
    """One attestation and how many people in the viewer's scope have (not) confirmed it."""

    slug: str
    title: str
    version_number: int
    confirmed: int
    pending: int


def attestation_summaries(
    session: Session, viewer: User, *, language: str, now: datetime
) -> list[AttestationSummary]:
    """Every published attestation with the confirmed and pending counts in the viewer's scope."""
    modules = session.scalars(
        select(Module)
        .where(
            Module.kind == ModuleKind.ATTESTATION,
            Module.status == ModuleStatus.PUBLISHED,
            Module.current_version_id.is_not(None),
        )
        .order_by(Module.slug)
    ).all()
    summaries = []
    for module in modules:
        version = module.current_version
        assert version is not None
        people = people_in_scope(session, viewer, module, now=now)
        confirmed = sum(1 for person in people if person.state == PersonState.CONFIRMED)
        summaries.append(
            AttestationSummary(
                slug=module.slug,
                title=attestation_title(module, language),
                version_number=version.number,
                confirmed=confirmed,
                pending=len(people) - confirmed,
            )
        )
    return summaries


def attestation_title(module: Module, language: str) -> str:
    """The title of the module's current version in the language closest to `language`."""
    version = module.current_version
    if version is None:
        return module.slug
    titles = {variant.language: variant.title for variant in version.variants}
    return titles.get(pick_language(titles, language, module.source_language), module.slug)
