"""Recompute the derived tables from the statements and compare them with the stored ones.

The statements are replayed in recording order through the same `apply_fact` as the live
path, into memory; the result is compared row by row (by natural key) with the tables.
`check=True` only reports; otherwise the derived rows of every learner with a difference are
replaced by the recomputed ones, in the caller's transaction (the CLI commits).

Consistency while learners keep learning: on PostgreSQL a check reads one snapshot
(REPEATABLE READ) and a repair holds `SHARE` on the statements table, so no statement is
recorded half-way through; SQLite's write lock (taken by the command's transaction) does both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from app.content.models import Module, ModulePage, ModuleVersion
from app.tracking.models import Completion, ModuleProgress, PageProgress, Statement
from app.tracking.projection import (
    DERIVED_COLUMNS,
    Difference,
    Fact,
    MemoryStore,
    apply_fact,
    compare_rows,
    row_key,
    score_percent_of,
)
from app.tracking.statements import ObjectKind, Verb


@dataclass
class MemoryContent:
    """Content facts loaded once for a whole replay."""

    pages: dict[int, int] = field(default_factory=dict)
    versions: dict[int, int | None] = field(default_factory=dict)
    modules: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session) -> MemoryContent:
        """Load the page → variant map, version validities and module ids (three queries)."""
        referenced = select(Statement.page_id).where(Statement.page_id.is_not(None)).distinct()
        pages = select(ModulePage.id, ModulePage.variant_id).where(ModulePage.id.in_(referenced))
        versions = select(ModuleVersion.id, ModuleVersion.valid_days)
        return cls(
            pages=dict(session.execute(pages).all()),
            versions=dict(session.execute(versions).all()),
            modules=set(session.scalars(select(Module.id))),
        )

    def variant_of_page(self, page_id: int) -> int | None:
        """Return the language variant of a page (None: it no longer exists)."""
        return self.pages.get(page_id)

    def version_valid_days(self, version_id: int) -> tuple[bool, int | None]:
        """Return (the version exists, its validity in days)."""
        return (version_id in self.versions, self.versions.get(version_id))

    def module_exists(self, module_id: int) -> bool:
        """Tell whether the module exists."""
        return module_id in self.modules


def replay(session: Session) -> MemoryStore:
    """Replay every statement, in recording order, into fresh in-memory derived rows."""
    content = MemoryContent.load(session)
    store = MemoryStore()
    rows = session.execute(
        select(
            Statement.id,
            Statement.user_id,
            Statement.verb,
            Statement.object_kind,
            Statement.module_id,
            Statement.module_version_id,
            Statement.page_id,
            Statement.attempt_id,
            Statement.timestamp,
            Statement.payload,
        )
        .order_by(Statement.id)
        .execution_options(yield_per=1000)
    )
    for row in rows:
        fact = Fact(
            statement_id=row.id,
            user_id=row.user_id,
            verb=Verb(row.verb),
            object_kind=ObjectKind(row.object_kind),
            module_id=row.module_id,
            module_version_id=row.module_version_id,
            page_id=row.page_id,
            attempt_id=row.attempt_id,
            timestamp=row.timestamp,
            score_percent=score_percent_of(row.payload)
            if row.verb in (Verb.PASSED, Verb.COMPLETED)
            else None,
        )
        apply_fact(store, content, fact)
    return store


_TABLES: tuple[tuple[str, type], ...] = (
    ("module_progress", ModuleProgress),
    ("page_progress", PageProgress),
    ("completions", Completion),
)


def _expected(store: MemoryStore, model: type) -> dict[tuple, Any]:
    rows = {
        ModuleProgress: store.modules,
        PageProgress: store.pages,
        Completion: store.completions,
    }[model]
    return {row_key(row): row for row in rows.values()}


def _stored(session: Session, model: type) -> dict[tuple, Any]:
    return {row_key(row): row for row in session.scalars(select(model))}


@dataclass
class RebuildReport:
    """What a rebuild found (and, unless checking, repaired)."""

    statements: int
    differences: list[Difference]
    repaired_users: set[int] = field(default_factory=set)


def _differences(session: Session) -> tuple[MemoryStore, int, list[Difference]]:
    store = replay(session)
    count = session.scalar(select(func.count(Statement.id))) or 0
    differences: list[Difference] = []
    for name, model in _TABLES:
        differences.extend(compare_rows(name, _expected(store, model), _stored(session, model)))
    return store, count, differences


def rebuild_derived(session: Session, *, check: bool) -> RebuildReport:
    """Compare the derived tables with a replay of the statements; repair unless `check`."""
    bind = session.get_bind()
    if check:
        if bind.dialect.name == "postgresql":
            # One snapshot for the statements and the tables, whatever the caller began.
            snapshot_engine = bind.execution_options(isolation_level="REPEATABLE READ")
            with Session(snapshot_engine) as snapshot:
                _store, count, differences = _differences(snapshot)
                snapshot.rollback()
        else:
            _store, count, differences = _differences(session)
        return RebuildReport(statements=count, differences=differences)
    if bind.dialect.name == "postgresql":
        session.execute(text("LOCK TABLE statements IN SHARE MODE"))
    store, count, differences = _differences(session)
    report = RebuildReport(statements=count, differences=differences)
    if not differences:
        return report
    users = {difference.key[0] for difference in differences}
    # Completions go first: other rows do not point at them, and their statement ids are unique.
    for _name, model in reversed(_TABLES):
        session.execute(delete(model).where(model.user_id.in_(users)))
    session.flush()
    for _name, model in _TABLES:
        key_columns, value_columns = DERIVED_COLUMNS[model]
        for row in _expected(store, model).values():
            if row.user_id in users:
                session.add(model(**{c: getattr(row, c) for c in (*key_columns, *value_columns)}))
    session.flush()
    report.repaired_users = users
    return report
