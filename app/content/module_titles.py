"""Modules' titles in a reader's language, for lists in other features (one query)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.content.models import Module, ModuleVariant, ModuleVersion
from app.i18n.languages import text_in


@dataclass(frozen=True)
class ModuleTitle:
    """A module's slug and title in the reader's language."""

    id: int
    slug: str
    title: str


def titles_statement(module_ids: Any) -> Select[Any]:
    """The rows `titles_from_rows` reads, for the modules in `module_ids` (a list bound at
    execution, or a subquery of another feature's ids); build it once."""
    return (
        select(
            Module.id,
            Module.slug,
            Module.source_language,
            ModuleVariant.language,
            ModuleVariant.title,
        )
        .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .outerjoin(ModuleVariant, ModuleVariant.version_id == ModuleVersion.id)
        .where(Module.id.in_(module_ids))
    )


_TITLES = titles_statement(bindparam("module_ids", expanding=True))


def module_titles(
    session: Session, module_ids: Iterable[int], language: str
) -> dict[int, ModuleTitle]:
    """Titles of modules (their current version) by the platform's fallback order
    (`app.i18n.languages`), else their slug (one query)."""
    ids = sorted(set(module_ids))
    if not ids:
        return {}
    return titles_from_rows(session.execute(_TITLES, {"module_ids": ids}), language)


def titles_from_rows(rows: Iterable[Any], language: str) -> dict[int, ModuleTitle]:
    """The titles in `language` from the rows of a `titles_statement`."""
    modules: dict[int, tuple[str, str]] = {}
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    for module_id, slug, source, variant_language, title in rows:
        modules[module_id] = (slug, source)
        if variant_language and title:
            titles[module_id][variant_language] = title
    return {
        module_id: ModuleTitle(
            module_id, slug, text_in(titles[module_id], language, source, default=slug)
        )
        for module_id, (slug, source) in modules.items()
    }
