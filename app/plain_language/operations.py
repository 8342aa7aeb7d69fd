"""Writes of the glossary: entries, CSV imports, the shipped glossaries, accepted terms.

Each function adds and flushes; the view or command commits once (an import that is refused
leaves nothing behind because it raises before adding anything).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n.languages import LANGUAGES
from app.i18n.markers import N_
from app.plain_language.glossary_file import (
    GlossaryRow,
    check_entry,
    read_glossary,
    shipped_acceptances,
    shipped_glossary,
)
from app.plain_language.models import AcceptedTerm, GlossaryEntry
from app.plain_language.terms import normalise_term
from app.platform.audit import record_event


class GlossaryRefused(ValueError):
    """An entry cannot be saved; `template` and `params` say why (translated by the caller)."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params: Mapping[str, Any] = params


@dataclass
class ImportResult:
    """What an import did: terms added and terms whose plain wording changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def _existing(
    session: Session, language: str, provider_id: int | None, key: str
) -> GlossaryEntry | None:
    owner = (
        GlossaryEntry.provider_id.is_(None)
        if provider_id is None
        else GlossaryEntry.provider_id == provider_id
    )
    return session.scalar(
        select(GlossaryEntry).where(
            GlossaryEntry.language == language, GlossaryEntry.term_key == key, owner
        )
    )


def _check_fields(language: str, term: str, suggestion: str) -> tuple[str, str]:
    if language not in LANGUAGES:
        raise GlossaryRefused(N_("unknown language '%(language)s'"), language=language)
    term, suggestion = " ".join(term.split()), " ".join(suggestion.split())
    problems = check_entry("", 0, term, suggestion)
    if problems:
        raise GlossaryRefused(problems[0].template, **problems[0].params)
    return term, suggestion


def add_entry(
    session: Session,
    *,
    language: str,
    term: str,
    suggestion: str,
    provider_id: int | None,
    actor: Any,
    now: datetime,
) -> GlossaryEntry:
    """Add a term to a provider's glossary (or the shared one); a term is there only once."""
    term, suggestion = _check_fields(language, term, suggestion)
    key = normalise_term(term)
    if _existing(session, language, provider_id, key) is not None:
        raise GlossaryRefused(N_("'%(term)s' is already in this glossary"), term=term)
    entry = GlossaryEntry(
        language=language,
        term=term,
        term_key=key,
        suggestion=suggestion,
        provider_id=provider_id,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def update_entry(
    session: Session, entry: GlossaryEntry, *, term: str, suggestion: str, now: datetime
) -> GlossaryEntry:
    """Change an entry's term or plain wording; the new term must not be there already."""
    term, suggestion = _check_fields(entry.language, term, suggestion)
    key = normalise_term(term)
    other = _existing(session, entry.language, entry.provider_id, key)
    if other is not None and other.id != entry.id:
        raise GlossaryRefused(N_("'%(term)s' is already in this glossary"), term=term)
    entry.term, entry.term_key, entry.suggestion, entry.updated_at = term, key, suggestion, now
    session.flush()
    return entry


def delete_entry(session: Session, entry: GlossaryEntry) -> None:
    """Remove an entry from its glossary."""
    session.delete(entry)
    session.flush()


def _apply_rows(
    session: Session,
    rows: list[GlossaryRow],
    *,
    language: str,
    provider_id: int | None,
    actor_id: int | None,
    now: datetime,
) -> ImportResult:
    result = ImportResult()
    for row in rows:
        entry = _existing(session, language, provider_id, row.key)
        if entry is None:
            session.add(
                GlossaryEntry(
                    language=language,
                    term=row.term,
                    term_key=row.key,
                    suggestion=row.suggestion,
                    provider_id=provider_id,
                    created_by_id=actor_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            result.created.append(row.term)
        elif (entry.term, entry.suggestion) != (row.term, row.suggestion):
            entry.term, entry.suggestion, entry.updated_at = row.term, row.suggestion, now
            result.updated.append(row.term)
        else:
            result.unchanged += 1
    session.flush()
    return result


def import_glossary(
    session: Session,
    data: bytes,
    filename: str,
    *,
    language: str,
    provider_id: int | None,
    actor: Any,
    now: datetime,
    ip_address: str | None = None,
) -> ImportResult:
    """Import a CSV glossary: all rows or none (GlossaryFileError names the bad rows).

    A term already in the glossary takes the file's plain wording; new terms are added.
    """
    if language not in LANGUAGES:
        raise GlossaryRefused(N_("unknown language '%(language)s'"), language=language)
    rows = read_glossary(data, filename)
    result = _apply_rows(
        session,
        rows,
        language=language,
        provider_id=provider_id,
        actor_id=getattr(actor, "id", None),
        now=now,
    )
    record_event(
        session,
        "glossary.imported",
        actor_id=getattr(actor, "id", None),
        ip_address=ip_address,
        now=now,
        language=language,
        provider_id=provider_id,
        filename=filename,
        created=len(result.created),
        updated=len(result.updated),
    )
    return result


def load_shipped_glossaries(session: Session, *, now: datetime) -> dict[str, ImportResult]:
    """Bring the shared glossary up to the shipped files (add and update; trainers' stay)."""
    return {
        language: _apply_rows(
            session,
            shipped_glossary(language),
            language=language,
            provider_id=None,
            actor_id=None,
            now=now,
        )
        for language in LANGUAGES
    }


def accept_term(
    session: Session, module: Any, language: str, term: str, *, actor: Any, now: datetime
) -> AcceptedTerm:
    """Let one language of one module keep a glossary term (its warning is no longer shown)."""
    if language not in LANGUAGES:
        raise GlossaryRefused(N_("unknown language '%(language)s'"), language=language)
    term = " ".join(term.split())
    if not term or len(term) > 200:
        raise GlossaryRefused(N_("the term is empty"))
    key = normalise_term(term)
    existing = session.scalar(
        select(AcceptedTerm).where(
            AcceptedTerm.module_id == module.id,
            AcceptedTerm.language == language,
            AcceptedTerm.term_key == key,
        )
    )
    if existing is not None:
        return existing  # accepting twice (a double click) changes nothing
    accepted = AcceptedTerm(
        module_id=module.id,
        language=language,
        term=term,
        term_key=key,
        accepted_by_id=getattr(actor, "id", None),
        accepted_at=now,
    )
    session.add(accepted)
    session.flush()
    return accepted


def withdraw_acceptance(session: Session, accepted: AcceptedTerm) -> None:
    """Show the term's warning in that module again."""
    session.delete(accepted)
    session.flush()


def load_shipped_acceptances(session: Session, *, now: datetime) -> tuple[int, int]:
    """Keep the terms the shipped modules use on purpose; (kept, skipped: module not imported)."""
    from app.content.models import Module

    modules = {m.slug: m for m in session.scalars(select(Module))}
    kept = skipped = 0
    for row in shipped_acceptances():
        module = modules.get(row.module)
        if module is None:
            skipped += 1
            continue
        accept_term(session, module, row.language, row.term, actor=None, now=now)
        kept += 1
    return kept, skipped
