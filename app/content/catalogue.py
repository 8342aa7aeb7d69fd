"""The learners' catalogue: every published module once, in the language shown to the reader,
by title, a page at a time.

The language is chosen in SQL with `pick_language`'s order as a rank, so a page reads only
the rows it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.orm import Session

from app.content.models import Module, ModuleStatus, ModuleVariant
from app.content.search import match_clause
from app.i18n.languages import LANGUAGES, UNDETERMINED


@dataclass(frozen=True)
class CatalogueRow:
    """A published module in the catalogue, in the language chosen for the learner."""

    slug: str
    title: str
    summary: str
    tags: tuple[str, ...]
    minutes: int
    language: str
    is_fallback: bool


# `pick_language`'s fallback order as a rank (other languages tie: alphabetical, second key).
_FALLBACK_RANK = case(
    (ModuleVariant.language == bindparam("wanted"), 0),
    (ModuleVariant.language == UNDETERMINED, 1),
    (ModuleVariant.language == Module.source_language, 2),
    *((ModuleVariant.language == code, 3 + n) for n, code in enumerate(LANGUAGES)),
    else_=3 + len(LANGUAGES),
)


def _catalogue_query(*where: Any) -> Select:
    """One row per published module (matching `where`) in the language shown, chosen in SQL."""
    ranked = (
        select(
            Module.slug,
            ModuleVariant.language,
            ModuleVariant.title,
            ModuleVariant.summary,
            ModuleVariant.tags,
            ModuleVariant.minutes,
            func.row_number()
            .over(partition_by=Module.id, order_by=(_FALLBACK_RANK, ModuleVariant.language))
            .label("choice"),
        )
        .join(ModuleVariant, ModuleVariant.version_id == Module.current_version_id)
        .where(Module.status == ModuleStatus.PUBLISHED, *where)
        .subquery()
    )
    shown = ("slug", "language", "title", "summary", "tags", "minutes")
    return (
        select(*(ranked.c[name] for name in shown), func.count().over().label("total"))
        .where(ranked.c.choice == 1)
        # The catalogue's one order, by title whatever its case (then slug, so pages are stable).
        .order_by(func.lower(ranked.c.title), ranked.c.slug)
    )


# Built once (their compiled SQL and cache keys reused); a search builds its own.
_CATALOGUE = _catalogue_query()
_CATALOGUE_PAGE = _catalogue_query().limit(bindparam("limit")).offset(bindparam("offset"))


@dataclass(frozen=True)
class CataloguePage:
    """One page of the catalogue and how many modules it has in all."""

    rows: list[CatalogueRow]
    total: int


def _catalogue_rows(
    session: Session, query: Select, language: str, **params: int
) -> tuple[list[CatalogueRow], int]:
    """The rows of a catalogue query and the count of every module it matches (0 if none)."""
    result = session.execute(query, {"wanted": language, **params}).all()
    rows = [
        CatalogueRow(
            slug=row.slug,
            title=row.title,
            summary=row.summary,
            tags=tuple(row.tags or ()),
            minutes=row.minutes,
            language=row.language,
            is_fallback=row.language != language,
        )
        for row in result
    ]
    return rows, result[0].total if result else 0


def _search_query(session: Session, search: str) -> Select:
    matching = select(ModuleVariant.version_id).where(
        match_clause(search, session.get_bind().dialect.name)
    )
    return _catalogue_query(ModuleVariant.version_id.in_(matching))


def catalogue(session: Session, *, language: str, search: str = "") -> list[CatalogueRow]:
    """Published modules (matching `search`, if any), each in the learner's language if it has
    it, else in another with `is_fallback` set, by title (one query)."""
    query = _search_query(session, search) if search.strip() else _CATALOGUE
    return _catalogue_rows(session, query, language)[0]


def paged_catalogue(
    session: Session, *, language: str, search: str = "", page: int, per_page: int
) -> tuple[CataloguePage, int]:
    """One page of `catalogue` (the same modules, in the same order) and the page number shown:
    a page past the end shows the last one. Only that page's rows are read (one query; a
    second only for a page past the end)."""
    if search.strip():
        query = _search_query(session, search).limit(bindparam("limit"))
        query = query.offset(bindparam("offset"))
    else:
        query = _CATALOGUE_PAGE
    page = max(page, 1)
    rows, total = _catalogue_rows(
        session, query, language, limit=per_page, offset=(page - 1) * per_page
    )
    if not rows and page > 1:
        count = _catalogue_rows(session, query, language, limit=1, offset=0)[1]
        page = max(1, -(-count // per_page))
        rows, total = _catalogue_rows(
            session, query, language, limit=per_page, offset=(page - 1) * per_page
        )
    return CataloguePage(rows, total), page
