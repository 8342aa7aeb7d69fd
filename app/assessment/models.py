"""Quizzes, their immutable versions, attempts and saved answers."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TZDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from app.content.models import Module
    from app.people.models import User


# Answers sent while the timer reached zero are still on the wire: accept them for a moment.
DEADLINE_GRACE = timedelta(seconds=10)


class AttemptState(enum.StrEnum):
    """An attempt is open until it is submitted (by the learner or by its deadline)."""

    OPEN = "open"
    SUBMITTED = "submitted"


class Quiz(Base):
    """A quiz, identified by the slug of its file; its content lives in versions."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    module_id: Mapped[int | None] = mapped_column(
        ForeignKey("modules.id", ondelete="SET NULL"), index=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    # The two tables point at each other; the constraint is added after both exist.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "quiz_versions.id",
            ondelete="SET NULL",
            use_alter=True,
            name="fk_quizzes_current_version_id_quiz_versions",
        )
    )
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    current_version: Mapped[QuizVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    module: Mapped[Module | None] = relationship("Module")


class QuizVersion(Base):
    """One immutable state of a quiz: the whole definition as `questions.Quiz.to_dict()`."""

    __tablename__ = "quiz_versions"
    __table_args__ = (UniqueConstraint("quiz_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    pass_mark: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    quiz: Mapped[Quiz] = relationship(foreign_keys=[quiz_id])


class Attempt(Base):
    """One learner's attempt at a quiz version; graded exactly once, when submitted.

    `question_ids` and `option_orders` are stored as drawn (not only the seed), so that a
    change of Python's random module cannot change an attempt in progress.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "quiz_id", "number"),
        Index("ix_attempts_quiz_id_state", "quiz_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    quiz_version_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_versions.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[AttemptState] = mapped_column(str_enum(AttemptState), default=AttemptState.OPEN)
    seed: Mapped[int] = mapped_column(BigInteger)
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    option_orders: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(TZDateTime())
    deadline_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    score_percent: Mapped[float | None] = mapped_column(Float)
    is_passed: Mapped[bool | None] = mapped_column(Boolean)
    # Who or what submitted: the key of the submitting request, or "deadline".
    submit_key: Mapped[str | None] = mapped_column(String(64))

    version: Mapped[QuizVersion] = relationship()
    quiz: Mapped[Quiz] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="AttemptAnswer.id"
    )

    @property
    def is_open(self) -> bool:
        """Tell whether the learner may still change answers (deadline aside)."""
        return self.state == AttemptState.OPEN

    def is_past_deadline(self, now: datetime) -> bool:
        """Tell whether the time is up (after the short grace for requests in flight)."""
        return self.deadline_at is not None and now > self.deadline_at + DEADLINE_GRACE


class AttemptAnswer(Base):
    """The learner's response to one question of an attempt; graded when the attempt is.

    Unanswered questions get a row (response None) at submission, so that statistics count
    every question asked.
    """

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    response: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    saved_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    fraction: Mapped[float | None] = mapped_column(Float)
    points: Mapped[float | None] = mapped_column(Float)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")


class QuizDraft(Base):
    """The one working copy of a quiz being edited in forms; learners never see it.

    `definition` is `questions.Quiz.to_dict()` of the draft; publishing checks it with the quiz
    file rules and turns it into the next QuizVersion. `lock_version` guards concurrent edits.
    """

    __tablename__ = "quiz_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The published version the draft started from (None for a quiz not yet published).
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_versions.id", ondelete="SET NULL")
    )
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    quiz: Mapped[Quiz] = relationship()
    updated_by: Mapped[User | None] = relationship("User")

    # SQLAlchemy adds "AND lock_version = <loaded>" to every UPDATE and raises StaleDataError
    # when another request changed the draft first.
    __mapper_args__: dict[str, Any] = {"version_id_col": lock_version}
