"""Campaigns, their modules and audience, the assignments they make, the reminders and notices
they send, people's notification choices and calendar-feed tokens.

"Once" rules are database rules: one assignment per (campaign, person, module), one reminder per
(campaign, person, step), one notice per dedupe key, so that two scheduler runs at the same
moment cannot send anything twice.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TZDateTime, str_enum, utcnow
from app.i18n.languages import text_in
from app.people.models import Provider, Unit, User


class CampaignState(enum.StrEnum):
    """The life cycle of a campaign: draft → scheduled → active → closed."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    CLOSED = "closed"


class RemovalReason(enum.StrEnum):
    """Why an assignment stopped counting (the row itself is kept as history)."""

    LEFT_AUDIENCE = "left_audience"  # deactivated, moved out, excluded or audience narrowed
    MODULE_REMOVED = "module_removed"


class Channel(enum.StrEnum):
    """How a person wants to hear from the platform: e-mail (and in-app) or in-app only."""

    EMAIL = "email"
    IN_APP = "in_app"


class FeedKind(enum.StrEnum):
    """Whose calendar a feed token opens: a person's due dates or one campaign's dates."""

    PERSONAL = "personal"
    CAMPAIGN = "campaign"


DEFAULT_REMINDER_DAYS = [21, 7, 2]
DEFAULT_LATE_JOINER_DAYS = 14


class Campaign(Base):
    """A themed period with an audience, modules, dates, a readiness rule and reminders.

    `name`, `theme` and `descriptions` map a language code to the text ({"fr": "Déclaration
    d'impôt 2027"}); "und" holds a description of unknown language (written before issue 12).
    `descriptions_html` is `descriptions` rendered and sanitised once, on save.
    Dates are timezone-aware UTC; a due date means "by the end of that day" in the platform's
    time zone.
    """

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(
            "(owner_unit_id IS NULL AND owner_provider_id IS NOT NULL)"
            " OR (owner_unit_id IS NOT NULL AND owner_provider_id IS NULL)",
            name="one_owner",
        ),
        CheckConstraint("due_at > assign_at", name="due_after_assign"),
        CheckConstraint(
            "readiness_percent IS NULL OR (readiness_percent >= 0 AND readiness_percent <= 100)",
            name="readiness_percent_range",
        ),
        Index("ix_campaigns_state_assign_at", "state", "assign_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    theme: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    descriptions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    descriptions_html: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    owner_unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    owner_provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[CampaignState] = mapped_column(
        str_enum(CampaignState), default=CampaignState.DRAFT, index=True
    )
    assign_at: Mapped[datetime] = mapped_column(TZDateTime())
    due_at: Mapped[datetime] = mapped_column(TZDateTime())
    starts_at: Mapped[datetime] = mapped_column(TZDateTime())
    ends_at: Mapped[datetime] = mapped_column(TZDateTime())
    # Readiness rule: a share of assigned people and/or a minimum of ready people per branch.
    readiness_percent: Mapped[int | None] = mapped_column(Integer)
    readiness_min_per_branch: Mapped[int | None] = mapped_column(Integer)
    # Reminder plan: days before the due date, then weekly while overdue; digests to managers.
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    remind_weekly_overdue: Mapped[bool] = mapped_column(Boolean, default=True)
    send_digests: Mapped[bool] = mapped_column(Boolean, default=True)
    # People who enter the audience after launch are due max(due date, joined + N days).
    late_joiner_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_LATE_JOINER_DAYS)
    # Roles that narrow the unit audience (empty: everyone in the units).
    audience_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_yearly: Mapped[bool] = mapped_column(Boolean, default=False)
    # The campaign this one was copied from (last year's); one copy per campaign.
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), unique=True
    )
    # The xAPI registration (a UUID) that learning statements of this campaign carry.
    registration: Mapped[str] = mapped_column(String(36), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    scheduled_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    owner_unit: Mapped[Unit | None] = relationship()
    owner_provider: Mapped[Provider | None] = relationship()
    previous: Mapped[Campaign | None] = relationship(remote_side=[id])
    modules: Mapped[list[CampaignModule]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignModule.position"
    )
    audience_units: Mapped[list[CampaignAudienceUnit]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )
    audience_people: Mapped[list[CampaignAudiencePerson]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    def name_in(self, language: str | None) -> str:
        """Return the name in `language`, else by the platform's fallback order."""
        return text_in(self.name, language)

    def theme_in(self, language: str | None) -> str:
        """Return the theme in `language`, else by the platform's fallback order."""
        return text_in(self.theme, language)

    def description_html_in(self, language: str | None) -> str:
        """Return the sanitised description in `language`, else by the fallback order."""
        return text_in(self.descriptions_html, language)

    @property
    def active_modules(self) -> list[CampaignModule]:
        """The modules still part of the campaign (removed ones are kept as history)."""
        return [m for m in self.modules if m.removed_at is None]


class CampaignModule(Base):
    """A module of a campaign, required or optional, with an optional refresher module that
    people who completed the full module before are given instead."""

    __tablename__ = "campaign_modules"
    __table_args__ = (UniqueConstraint("campaign_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    is_required: Mapped[bool] = mapped_column(Boolean, default=True)
    refresher_module_id: Mapped[int | None] = mapped_column(
        ForeignKey("modules.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    # Removed from an active campaign: kept so that assignments keep their history.
    removed_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    campaign: Mapped[Campaign] = relationship(back_populates="modules")


class CampaignAudienceUnit(Base):
    """A unit in a campaign's audience, with or without the units below it."""

    __tablename__ = "campaign_audience_units"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    include_subunits: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="audience_units")
    unit: Mapped[Unit] = relationship(lazy="joined")


class CampaignAudiencePerson(Base):
    """A person added to (or excluded from) a campaign's audience by hand."""

    __tablename__ = "campaign_audience_people"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="audience_people")
    user: Mapped[User] = relationship(lazy="joined")


class Assignment(Base):
    """A module a person must (or, for optional modules, may) complete for a campaign.

    Rows are never deleted when people leave or modules are removed: `removed_at` says since
    when the assignment no longer counts, so history and readiness over time stay true.
    `notified_at` records when the person was told: by the scheduler run that made (or
    revived) the row, the only run that got it back from its INSERT/UPDATE ... RETURNING.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "user_id", "module_id"),
        UniqueConstraint("campaign_module_id", "user_id"),
        Index("ix_assignments_campaign_id_removed_at", "campaign_id", "removed_at"),
        Index("ix_assignments_user_id_removed_at", "user_id", "removed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    campaign_module_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_modules.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The module to complete: the campaign module's, or its refresher.
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    is_required: Mapped[bool] = mapped_column(Boolean, default=True)
    is_refresher: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_at: Mapped[datetime] = mapped_column(TZDateTime())
    # None for optional modules (recommended, never overdue).
    due_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    removal_reason: Mapped[RemovalReason | None] = mapped_column(str_enum(RemovalReason))


class SentReminder(Base):
    """A reminder step sent to a person for a campaign ("before:7:2027-03-01", "overdue:2:...",
    "digest:..." for managers). The unique key makes "once per step" a database rule."""

    __tablename__ = "sent_reminders"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)


class Notice(Base):
    """An in-app notice (the bell). Its text is rendered from `kind` and `params` in the
    reader's language when shown."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class NotificationPreference(Base):
    """A person's choice: e-mail and in-app notices (the default), or in-app only."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.EMAIL)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    # Set when the choice came from an unsubscribe link (no sign-in).
    unsubscribed_at: Mapped[datetime | None] = mapped_column(TZDateTime())


class CalendarToken(Base):
    """An unguessable token in a calendar-feed URL; only its SHA-256 is stored."""

    __tablename__ = "calendar_tokens"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'personal' AND campaign_id IS NULL)"
            " OR (kind = 'campaign' AND campaign_id IS NOT NULL)",
            name="kind_matches_campaign",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedKind] = mapped_column(str_enum(FeedKind))
    # The person whose feed it is (personal) or who made it (campaign).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    token_prefix: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime())
