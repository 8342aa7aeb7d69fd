"""Out-of-date translations, as learners, trainers and campaigns are told about them.

A translation is out of date (`ModuleVariant.is_outdated`, set when a version is made) when it
translates an older revision of the source text. Reads only, returned as plain rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Module, ModuleVariant


@dataclass(frozen=True)
class StaleTranslation:
    """The language shown is an out-of-date translation; `source_language` is up to date."""

    language: str
    source_language: str


def stale_translation(
    *, language: str, source_language: str, is_outdated: bool
) -> StaleTranslation | None:
    """The warning a learner gets when the language shown is an out-of-date translation."""
    if not is_outdated or language == source_language:
        return None
    return StaleTranslation(language, source_language)


def stale_languages(session: Session, module_ids: Iterable[int]) -> dict[int, list[str]]:
    """The out-of-date translations of each module's current version (modules without any are
    left out), in one query."""
    ids = list(module_ids)
    if not ids:
        return {}
    found: dict[int, list[str]] = {}
    for module_id, language in session.execute(
        select(Module.id, ModuleVariant.language)
        .join(ModuleVariant, ModuleVariant.version_id == Module.current_version_id)
        .where(Module.id.in_(ids), ModuleVariant.is_outdated.is_(True))
        .order_by(Module.id, ModuleVariant.language)
    ):
        found.setdefault(module_id, []).append(language)
    return found
