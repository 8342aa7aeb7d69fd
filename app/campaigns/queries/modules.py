"""Modules as campaigns show them: slugs and titles by language, in one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Module, ModuleStatus, ModuleVariant, ModuleVersion
from app.i18n.languages import text_in


@dataclass(frozen=True)
class ModuleInfo:
    """A module's slug and its titles by language (of the current published version)."""

    id: int
    slug: str
    source_language: str
    titles: dict[str, str]
    refresher_of_id: int | None = None

    def title_in(self, language: str | None) -> str:
        """Return the title by the platform's fallback order (`app.i18n.languages`), else the
        slug."""
        return text_in(self.titles, language, self.source_language, default=self.slug)


def module_infos(session: Session, module_ids: Iterable[int]) -> dict[int, ModuleInfo]:
    """Slugs and titles of modules (one query)."""
    ids = sorted(set(module_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            Module.id,
            Module.slug,
            Module.source_language,
            Module.refresher_of_id,
            ModuleVariant.language,
            ModuleVariant.title,
        )
        .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .outerjoin(ModuleVariant, ModuleVariant.version_id == ModuleVersion.id)
        .where(Module.id.in_(ids))
    ).all()
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    base: dict[int, tuple[str, str, int | None]] = {}
    for module_id, slug, source, refresher_of, language, title in rows:
        base[module_id] = (slug, source, refresher_of)
        if language and title:
            titles[module_id][language] = title
    return {
        module_id: ModuleInfo(module_id, slug, source, dict(titles[module_id]), refresher_of)
        for module_id, (slug, source, refresher_of) in base.items()
    }


def published_modules(session: Session, language: str) -> list[ModuleInfo]:
    """Published modules for the module picker, by title in `language`."""
    ids = session.scalars(
        select(Module.id).where(
            Module.status == ModuleStatus.PUBLISHED, Module.current_version_id.is_not(None)
        )
    ).all()
    infos = module_infos(session, ids)
    return sorted(infos.values(), key=lambda m: m.title_in(language).lower())
