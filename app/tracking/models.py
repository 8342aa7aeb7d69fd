"""The learning record: xAPI statements (append-only), the tables derived from them,
certificates and the outbox of statements waiting for an external LRS.

Primary records (never rebuilt): `Statement`, `Certificate`, `StatementOutbox`.
Derived (rebuilt by `flask tracking rebuild` from the statements alone, in statement order):
`ModuleProgress`, `PageProgress`, `Completion`.

Content ids in statements are plain integers, not foreign keys: the record keeps saying what
happened even if a module is deleted later. Derived rows reference content with cascading
foreign keys (they go with the content, and a rebuild skips statements about deleted content).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, str_enum, utcnow
from app.tracking.statements import ObjectKind, Verb


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a statement (a correction is a new one)."""


class Statement(Base):
    """One learning event in xAPI form: the full JSON plus indexed columns to query it by.

    `id` orders statements as they were recorded (the derived tables are replayed in that
    order); `uuid` is the xAPI statement id, derived from the event's natural key.
    """

    __tablename__ = "statements"
    __table_args__ = (
        Index("ix_statements_user_id_id", "user_id", "id"),
        Index("ix_statements_stored_at_id", "stored_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique and set by us: the sentinel that lets one INSERT store several statements and
    # match the ids it returns to them, on SQLite too (insertmanyvalues); no schema change.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, insert_sentinel=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    verb: Mapped[Verb] = mapped_column(str_enum(Verb, 16), index=True)
    object_kind: Mapped[ObjectKind] = mapped_column(str_enum(ObjectKind, 16))
    object_iri: Mapped[str] = mapped_column(String(500), index=True)
    module_id: Mapped[int | None] = mapped_column(Integer, index=True)
    module_version_id: Mapped[int | None] = mapped_column(Integer)
    page_id: Mapped[int | None] = mapped_column(Integer)
    quiz_id: Mapped[int | None] = mapped_column(Integer)
    attempt_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The xAPI registration (a UUID) of the campaign the event belongs to, when there is one.
    registration: Mapped[str | None] = mapped_column(String(36), index=True)
    timestamp: Mapped[datetime] = mapped_column(TZDateTime())
    stored_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


@event.listens_for(Statement, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, target: Statement) -> None:
    raise AppendOnlyError(f"statement {target.uuid} cannot be changed; record a new one")


@event.listens_for(Statement, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, target: Statement) -> None:
    raise AppendOnlyError(f"statement {target.uuid} cannot be deleted")


class ModuleProgress(Base):
    """Derived: where a learner stands with a module (one row per learner and module).

    `cycle` counts the learner's completions of the module; pages seen and quizzes passed
    count towards the next completion only within the current cycle.
    """

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    # The version the learner last read (None if they only took the quiz so far).
    module_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_versions.id", ondelete="CASCADE")
    )
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(TZDateTime())
    last_activity_at: Mapped[datetime] = mapped_column(TZDateTime())
    quiz_passed_cycle: Mapped[int | None] = mapped_column(Integer)
    quiz_score_percent: Mapped[float | None] = mapped_column(Float)
    quiz_attempt_id: Mapped[int | None] = mapped_column(Integer)


class PageProgress(Base):
    """Derived: a page a learner has seen, and in which cycle (one row per learner and page)."""

    __tablename__ = "page_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "page_id"),
        # Every equality of "pages seen in this version, variant and cycle" (my learning, the
        # reader's progress): the planner finds it with or without table statistics.
        Index(
            "ix_page_progress_user_version_variant_cycle",
            "user_id",
            "module_version_id",
            "variant_id",
            "cycle",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    page_id: Mapped[int] = mapped_column(
        ForeignKey("module_pages.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    module_version_id: Mapped[int] = mapped_column(
        ForeignKey("module_versions.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("module_variants.id", ondelete="CASCADE"), index=True
    )
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    seen_at: Mapped[datetime] = mapped_column(TZDateTime())


class Completion(Base):
    """Derived: one completion of a module by a learner (the n-th; the latest is current).

    Whether it still counts depends on time (`expires_at`) and on later major versions of the
    module; both are answered at read time (`app.tracking.completion.completion_status`), so
    publishing a version or the passing of time never leaves a stale flag behind.
    """

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "number"),
        Index("ix_completions_user_id_is_current", "user_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    module_version_id: Mapped[int] = mapped_column(
        ForeignKey("module_versions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(TZDateTime())
    score_percent: Mapped[float | None] = mapped_column(Float)
    attempt_id: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(TZDateTime(), index=True)
    # The learner's latest completion of the module (earlier ones are kept as history).
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), unique=True
    )


class Certificate(Base):
    """The verification code of a completion's certificate (checked by anyone at /verify/...).

    Keyed by the `completed` statement, not the derived completion row, so that rebuilding the
    derived tables never changes a code that was printed on paper.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(TZDateTime())


class StatementOutbox(Base):
    """A statement waiting to be forwarded to the external LRS (or a record that it was).

    Written in the transaction that records the statement; `flask tracking forward` claims
    rows for a short lease, sends them and marks them sent after a 2xx answer.
    """

    __tablename__ = "statement_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(TZDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(TZDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime(), index=True)
    failed_at: Mapped[datetime | None] = mapped_column(TZDateTime())
