"""What comes after a quiz result: the certificate, or what to re-read before the next attempt.

Reads only, returned as plain rows. Quiz questions carry no link to module pages (the quiz
format has none), so "what to re-read" is the module's pages, with a link to start reading
again from the first page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Module
from app.content.queries import PageLink, module_overview
from app.tracking.models import Certificate, Completion


@dataclass(frozen=True)
class ModuleToReread:
    """The module a quiz ends, in the learner's language: its pages to read again."""

    slug: str
    title: str
    language: str
    is_fallback: bool
    pages: list[PageLink]


@dataclass(frozen=True)
class NextSteps:
    """Where a learner goes from a result page."""

    module: ModuleToReread | None
    certificate_code: str | None
    # Passed, but pages of the module are still unread: no completion (and no certificate) yet.
    is_module_unfinished: bool


def current_certificate_code(session: Session, user_id: int, module_id: int) -> str | None:
    """The verification code of the learner's current completion of a module, if any."""
    return session.scalar(
        select(Certificate.code)
        .join(Completion, Completion.statement_id == Certificate.statement_id)
        .where(
            Completion.user_id == user_id,
            Completion.module_id == module_id,
            Completion.is_current.is_(True),
        )
        .limit(1)
    )


def next_steps(
    session: Session, *, user_id: int, module_id: int | None, language: str, has_passed: bool
) -> NextSteps:
    """The certificate (once passed and complete) and the module's pages (to re-read)."""
    if module_id is None:
        return NextSteps(module=None, certificate_code=None, is_module_unfinished=False)
    slug = session.scalar(select(Module.slug).where(Module.id == module_id))
    overview = module_overview(session, slug, language=language, user_id=user_id) if slug else None
    module = (
        ModuleToReread(
            slug=overview.slug,
            title=overview.title,
            language=overview.language,
            is_fallback=overview.is_fallback,
            pages=overview.pages,
        )
        if overview is not None
        else None
    )
    code = current_certificate_code(session, user_id, module_id) if has_passed else None
    return NextSteps(
        module=module,
        certificate_code=code,
        is_module_unfinished=has_passed and code is None and module is not None,
    )
