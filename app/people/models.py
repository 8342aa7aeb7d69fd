"""Organisation tree, content providers, users and their scoped roles."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TZDateTime, str_enum, utcnow


class UnitKind(enum.StrEnum):
    """Levels of the organisation tree."""

    NETWORK = "network"
    REGION = "region"
    BRANCH = "branch"


class Role(enum.StrEnum):
    """What a person may do; trainer and manager roles carry a scope."""

    LEARNER = "learner"
    TRAINER = "trainer"
    MANAGER = "manager"
    ADMIN = "admin"


class Unit(Base):
    """A node of the organisation tree (network, region or branch).

    `path` is the materialised chain of ids ("/1/4/17/") so that "this unit and everything
    below it" is one indexed prefix comparison instead of a recursive walk.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    # Closing keeps the unit, its people and their history; a closed unit only gets no new
    # people or campaign assignments and is left out of pickers.
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    parent: Mapped[Unit | None] = relationship(remote_side=[id])

    @property
    def is_closed(self) -> bool:
        """Tell whether the unit (branch, region) has been closed."""
        return self.closed_at is not None


class Provider(Base):
    """An organisation that publishes content, such as a canton's IT service."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)


class User(Base):
    """A person who signs in: learner, trainer, manager or admin (or several)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "extra_time_percent >= 0 AND extra_time_percent <= 300", name="extra_time_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    hr_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    preferred_language: Mapped[str | None] = mapped_column(String(5))
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised on log-out, deactivation and password change; sessions carrying an older
    # number are refused, so a replayed cookie dies on the server.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # A personal accommodation (WCAG 2.2.1): timed quizzes give this person this much more
    # time. Set by a manager or admin, shown only on the person page and the quiz start page.
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_login_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    unit: Mapped[Unit | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def display_name(self) -> str:
        """Return the name shown in lists and greetings."""
        return f"{self.first_name} {self.last_name}".strip()

    # Flask-Login protocol. The id carries the session version: when the version changes,
    # every cookie that names the old one no longer loads a user.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def has_role(self, role: Role) -> bool:
        """Tell whether the user holds the role in any scope."""
        return any(a.role == role for a in self.roles)

    @property
    def role_set(self) -> frozenset[Role]:
        """Return the roles the user holds, whatever their scope."""
        return frozenset(a.role for a in self.roles)


class RoleAssignment(Base):
    """A role held by a user, with its scope: a provider for trainers, a unit for managers."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint(
            "(role <> 'trainer' OR provider_id IS NOT NULL)"
            " AND (role <> 'manager' OR unit_id IS NOT NULL)",
            name="scope_required",
        ),
        Index("ix_role_assignments_user_role", "user_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    provider: Mapped[Provider | None] = relationship(lazy="joined")
