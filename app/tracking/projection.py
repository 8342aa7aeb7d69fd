"""How statements turn into the derived tables: one function, used live and by the rebuild.

`apply_fact` reads and changes derived rows through a `ProgressStore`. Live, the store is the
database session (the rows of one learner, inside the statement's transaction); for a rebuild
it is a set of dictionaries filled by replaying every statement in recording order. Because
both paths run the same code on the same facts, a rebuild must give the very same rows: any
difference means the derived tables drifted, and `flask tracking rebuild --check` says where.

Decisions are statements: the completion rule is applied live, and when it is met a
`completed` statement is recorded; the projection only follows the statements (it never
re-applies the rule), so a rebuild is not fooled by content that changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.tracking.completion import expiry_of
from app.tracking.models import Completion, ModuleProgress, PageProgress, Statement
from app.tracking.statements import ObjectKind, Verb


@dataclass(frozen=True)
class Fact:
    """What the derived tables need from one statement."""

    statement_id: int
    user_id: int
    verb: Verb
    object_kind: ObjectKind
    module_id: int | None
    module_version_id: int | None
    page_id: int | None
    attempt_id: int | None
    timestamp: datetime
    score_percent: float | None

    @classmethod
    def of(cls, statement: Statement) -> Fact:
        """Read the fact from a stored statement (the score from its xAPI result)."""
        return cls(
            statement_id=statement.id,
            user_id=statement.user_id,
            verb=Verb(statement.verb),
            object_kind=ObjectKind(statement.object_kind),
            module_id=statement.module_id,
            module_version_id=statement.module_version_id,
            page_id=statement.page_id,
            attempt_id=statement.attempt_id,
            timestamp=statement.timestamp,
            score_percent=score_percent_of(statement.payload),
        )


def score_percent_of(payload: dict[str, Any]) -> float | None:
    """Return a statement's score out of 100 (raw / max, else scaled), if it has one."""
    score = (payload.get("result") or {}).get("score") or {}
    raw, maximum, scaled = score.get("raw"), score.get("max"), score.get("scaled")
    if raw is not None and maximum:
        return round(float(raw) * 100 / float(maximum), 4)
    if scaled is not None:
        return round(float(scaled) * 100, 4)
    return None


class ContentFacts(Protocol):
    """The immutable content facts the projection needs (a published version never changes)."""

    def variant_of_page(self, page_id: int) -> int | None:
        """Return the language variant of a page (None: the page no longer exists)."""

    def version_valid_days(self, version_id: int) -> tuple[bool, int | None]:
        """Return (the version exists, its validity in days)."""

    def module_exists(self, module_id: int) -> bool:
        """Tell whether the module still exists."""


class ProgressStore(Protocol):
    """Where the derived rows of the learners live while facts are applied."""

    def module(self, user_id: int, module_id: int) -> ModuleProgress | None:
        """Return the learner's row for a module, if any."""

    def page(self, user_id: int, page_id: int) -> PageProgress | None:
        """Return the learner's row for a page, if any."""

    def current_completion(self, user_id: int, module_id: int) -> Completion | None:
        """Return the learner's current completion of a module, if any."""

    def add(self, row: ModuleProgress | PageProgress | Completion) -> None:
        """Keep a new row."""


def _touch(store: ProgressStore, fact: Fact, module_id: int) -> ModuleProgress:
    """Return the learner's module row (new if needed), with the activity times moved on."""
    row = store.module(fact.user_id, module_id)
    if row is None:
        row = ModuleProgress(
            user_id=fact.user_id,
            module_id=module_id,
            module_version_id=None,
            cycle=0,
            started_at=fact.timestamp,
            last_activity_at=fact.timestamp,
            quiz_passed_cycle=None,
            quiz_score_percent=None,
            quiz_attempt_id=None,
        )
        store.add(row)
        return row
    row.started_at = min(row.started_at, fact.timestamp)
    row.last_activity_at = max(row.last_activity_at, fact.timestamp)
    return row


def apply_fact(store: ProgressStore, content: ContentFacts, fact: Fact) -> bool:
    """Apply one statement to the derived rows; False when it changes nothing there.

    Statements of standalone quizzes (no module) and about content deleted since are kept in
    the record but feed no derived table.
    """
    module_id = fact.module_id
    if module_id is None or not content.module_exists(module_id):
        return False
    if fact.verb == Verb.EXPERIENCED and fact.object_kind == ObjectKind.PAGE:
        return _page_seen(store, content, fact, module_id)
    if fact.verb == Verb.COMPLETED and fact.object_kind == ObjectKind.MODULE:
        return _completed(store, content, fact, module_id)
    if fact.verb == Verb.LAUNCHED and fact.object_kind == ObjectKind.MODULE:
        exists, _days = content.version_valid_days(fact.module_version_id or 0)
        if not exists:
            return False
        row = _touch(store, fact, module_id)
        row.module_version_id = fact.module_version_id
        return True
    if fact.verb == Verb.PASSED and fact.object_kind == ObjectKind.QUIZ:
        row = _touch(store, fact, module_id)
        row.quiz_passed_cycle = row.cycle
        row.quiz_score_percent = fact.score_percent
        row.quiz_attempt_id = fact.attempt_id
        return True
    if fact.verb in (Verb.ATTEMPTED, Verb.ANSWERED, Verb.FAILED):
        _touch(store, fact, module_id)
        return True
    return False


def _page_seen(store: ProgressStore, content: ContentFacts, fact: Fact, module_id: int) -> bool:
    if fact.page_id is None or fact.module_version_id is None:
        return False
    variant_id = content.variant_of_page(fact.page_id)
    if variant_id is None:
        return False
    row = _touch(store, fact, module_id)
    row.module_version_id = fact.module_version_id
    page = store.page(fact.user_id, fact.page_id)
    if page is None:
        store.add(
            PageProgress(
                user_id=fact.user_id,
                page_id=fact.page_id,
                module_id=module_id,
                module_version_id=fact.module_version_id,
                variant_id=variant_id,
                cycle=row.cycle,
                seen_at=fact.timestamp,
            )
        )
    else:
        page.cycle = row.cycle
        page.seen_at = fact.timestamp
    return True


def _completed(store: ProgressStore, content: ContentFacts, fact: Fact, module_id: int) -> bool:
    if fact.module_version_id is None:
        return False
    exists, valid_days = content.version_valid_days(fact.module_version_id)
    if not exists:
        return False
    row = _touch(store, fact, module_id)
    previous = store.current_completion(fact.user_id, module_id)
    if previous is not None:
        previous.is_current = False
    row.cycle += 1
    store.add(
        Completion(
            user_id=fact.user_id,
            module_id=module_id,
            module_version_id=fact.module_version_id,
            number=row.cycle,
            completed_at=fact.timestamp,
            score_percent=fact.score_percent,
            attempt_id=fact.attempt_id,
            expires_at=expiry_of(fact.timestamp, valid_days),
            is_current=True,
            statement_id=fact.statement_id,
        )
    )
    return True


# --- the in-memory store and the comparison of tables, for the rebuild ----------------------


class MemoryStore:
    """Derived rows kept in dictionaries (transient objects, never added to a session)."""

    def __init__(self) -> None:
        self.modules: dict[tuple[int, int], ModuleProgress] = {}
        self.pages: dict[tuple[int, int], PageProgress] = {}
        self.completions: dict[tuple[int, int, int], Completion] = {}
        self._current: dict[tuple[int, int], Completion] = {}

    def module(self, user_id: int, module_id: int) -> ModuleProgress | None:
        """Return the learner's row for a module, if any."""
        return self.modules.get((user_id, module_id))

    def page(self, user_id: int, page_id: int) -> PageProgress | None:
        """Return the learner's row for a page, if any."""
        return self.pages.get((user_id, page_id))

    def current_completion(self, user_id: int, module_id: int) -> Completion | None:
        """Return the learner's current completion of a module, if any."""
        return self._current.get((user_id, module_id))

    def add(self, row: ModuleProgress | PageProgress | Completion) -> None:
        """Keep a new row under its natural key."""
        if isinstance(row, ModuleProgress):
            self.modules[(row.user_id, row.module_id)] = row
        elif isinstance(row, PageProgress):
            self.pages[(row.user_id, row.page_id)] = row
        else:
            self.completions[(row.user_id, row.module_id, row.number)] = row
            self._current[(row.user_id, row.module_id)] = row


# The columns compared by the rebuild, and each table's natural key (surrogate ids differ).
DERIVED_COLUMNS: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {
    ModuleProgress: (
        ("user_id", "module_id"),
        (
            "module_version_id",
            "cycle",
            "started_at",
            "last_activity_at",
            "quiz_passed_cycle",
            "quiz_score_percent",
            "quiz_attempt_id",
        ),
    ),
    PageProgress: (
        ("user_id", "page_id"),
        ("module_id", "module_version_id", "variant_id", "cycle", "seen_at"),
    ),
    Completion: (
        ("user_id", "module_id", "number"),
        (
            "module_version_id",
            "completed_at",
            "score_percent",
            "attempt_id",
            "expires_at",
            "is_current",
            "statement_id",
        ),
    ),
}


def row_key(row: Any) -> tuple[Any, ...]:
    """Return the natural key of a derived row."""
    key_columns, _values = DERIVED_COLUMNS[type(row)]
    return tuple(getattr(row, name) for name in key_columns)


def row_values(row: Any) -> dict[str, Any]:
    """Return the compared values of a derived row."""
    _key, value_columns = DERIVED_COLUMNS[type(row)]
    return {name: getattr(row, name) for name in value_columns}


@dataclass(frozen=True)
class Difference:
    """One derived row that differs from what the statements say."""

    table: str
    key: tuple[Any, ...]
    kind: str  # "missing" (statements say it should exist), "extra", "changed"
    details: str

    def __str__(self) -> str:
        return f"{self.table} {self.key}: {self.kind}{' ' + self.details if self.details else ''}"


def compare_rows(
    table: str, expected: dict[tuple, Any], actual: dict[tuple, Any]
) -> list[Difference]:
    """Compare rows keyed by natural key; return what is missing, extra or changed."""
    differences: list[Difference] = []
    for key in sorted(expected.keys() - actual.keys()):
        differences.append(Difference(table, key, "missing", ""))
    for key in sorted(actual.keys() - expected.keys()):
        differences.append(Difference(table, key, "extra", ""))
    for key in sorted(expected.keys() & actual.keys()):
        want, have = row_values(expected[key]), row_values(actual[key])
        changed = [
            f"{name}: {have[name]!r} → {want[name]!r}" for name in want if want[name] != have[name]
        ]
        if changed:
            differences.append(Difference(table, key, "changed", "; ".join(changed)))
    return differences
