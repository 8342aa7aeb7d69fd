"""Reads of the glossary: the terms that apply to a provider's modules, entries a user sees."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from app.permissions import is_admin, trainer_provider_ids
from app.plain_language.glossary_file import shipped_glossary
from app.plain_language.models import AcceptedTerm, GlossaryEntry
from app.plain_language.terms import GlossaryTerm


def glossary_terms(session: Session, language: str, provider_id: int | None) -> list[GlossaryTerm]:
    """The shared glossary plus the provider's own entries, which replace shared ones."""
    owners = GlossaryEntry.provider_id.is_(None)
    if provider_id is not None:
        owners = or_(owners, GlossaryEntry.provider_id == provider_id)
    entries = session.scalars(
        select(GlossaryEntry).where(GlossaryEntry.language == language, owners)
    ).all()
    by_key: dict[str, GlossaryEntry] = {}
    for entry in sorted(entries, key=lambda e: e.provider_id is not None):
        by_key[entry.term_key] = entry  # the provider's entry comes last and wins
    return [GlossaryTerm(e.term, e.suggestion) for e in by_key.values()]


def has_glossary_tables(session: Session) -> bool:
    """True when the database has been migrated this far (the check can use the glossary)."""
    return inspect(session.connection()).has_table(GlossaryEntry.__tablename__)


def glossary_for_check(
    session: Session, language: str, provider_slug: str | None
) -> list[GlossaryTerm]:
    """The glossary for `flask content check`: the database's, or the shipped one before that.

    A library can be checked before the platform's database exists (in the library's own CI,
    say); then the shipped glossary is used.
    """
    from app.people.models import Provider

    if not has_glossary_tables(session):
        return [GlossaryTerm(row.term, row.suggestion) for row in shipped_glossary(language)]
    provider_id = None
    if provider_slug:
        provider_id = session.scalar(select(Provider.id).where(Provider.slug == provider_slug))
    return glossary_terms(session, language, provider_id)


def visible_entries(session: Session, user: Any, language: str) -> list[GlossaryEntry]:
    """Entries a user sees for a language: shared ones and their providers' (all for admins)."""
    query = select(GlossaryEntry).where(GlossaryEntry.language == language)
    if not is_admin(user):
        providers = trainer_provider_ids(user)
        query = query.where(
            or_(GlossaryEntry.provider_id.is_(None), GlossaryEntry.provider_id.in_(providers))
        )
    return list(
        session.scalars(
            query.order_by(GlossaryEntry.term_key, GlossaryEntry.provider_id.is_(None))
        ).all()
    )


def entry_count(session: Session, language: str) -> int:
    """How many entries a language has in all (shared and providers')."""
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count(GlossaryEntry.id)).where(GlossaryEntry.language == language)
        )
        or 0
    )


def accepted_terms(session: Session, module_id: int) -> list[AcceptedTerm]:
    """The terms accepted for a module, by language and term."""
    return list(
        session.scalars(
            select(AcceptedTerm)
            .where(AcceptedTerm.module_id == module_id)
            .order_by(AcceptedTerm.language, AcceptedTerm.term_key)
        ).all()
    )


def accepted_keys(session: Session, module_id: int, language: str) -> set[str]:
    """Comparison keys of the terms accepted for one language of a module."""
    return set(
        session.scalars(
            select(AcceptedTerm.term_key).where(
                AcceptedTerm.module_id == module_id, AcceptedTerm.language == language
            )
        ).all()
    )


def accepted_keys_by_slug(session: Session) -> dict[tuple[str, str], set[str]]:
    """Accepted term keys by (module slug, language), for checking a library of files."""
    from app.content.models import Module

    rows = session.execute(
        select(Module.slug, AcceptedTerm.language, AcceptedTerm.term_key).join(
            Module, Module.id == AcceptedTerm.module_id
        )
    ).all()
    found: dict[tuple[str, str], set[str]] = {}
    for slug, language, key in rows:
        found.setdefault((slug, language), set()).add(key)
    return found
