"""A person's notices, notification channel and calendar feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from app.campaigns.models import (
    Assignment,
    CalendarToken,
    Campaign,
    CampaignModule,
    CampaignState,
    Channel,
    FeedKind,
    Notice,
    NotificationPreference,
)
from app.campaigns.queries.modules import module_infos
from app.i18n.languages import text_in
from app.people.models import User
from app.tracking.completion_sql import assignment_done_clause

# The bell counts on every signed-in page: the statement is built once, with the person bound
# per call, and from the table's columns, so it runs as a plain Core statement (its cache key
# memoised, no ORM compile step) instead of being built, coerced and keyed on each page.
_NOTICES = Notice.__table__
_UNREAD_COUNT = select(func.count()).where(
    _NOTICES.c.user_id == bindparam("user_id"), _NOTICES.c.read_at.is_(None)
)


def unread_notice_count(session: Session, user_id: int) -> int:
    """How many notices the person has not read (one indexed count)."""
    return session.scalar(_UNREAD_COUNT, {"user_id": user_id}) or 0


def notices_page(
    session: Session, user_id: int, *, page: int = 1, per_page: int = 30
) -> tuple[list[Notice], int]:
    """One page of a person's notices, newest first, and the total."""
    page = max(1, min(page, 10_000))
    total = session.scalar(select(func.count(Notice.id)).where(Notice.user_id == user_id)) or 0
    rows = session.scalars(
        select(Notice)
        .where(Notice.user_id == user_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def notice_of(session: Session, user_id: int, notice_id: int) -> Notice | None:
    """A notice of this person (another person's notice is None, for a 404)."""
    return session.scalar(select(Notice).where(Notice.id == notice_id, Notice.user_id == user_id))


def notification_channel(session: Session, user_id: int) -> Channel:
    """How the person wants to hear from us (e-mail unless they chose in-app only)."""
    channel = session.scalar(
        select(NotificationPreference.channel).where(NotificationPreference.user_id == user_id)
    )
    return channel or Channel.EMAIL


def active_feed_tokens(
    session: Session, *, user_id: int | None = None, campaign_id: int | None = None
) -> list[CalendarToken]:
    """Unrevoked feed tokens of a person (personal) or of a campaign."""
    query = select(CalendarToken).where(CalendarToken.revoked_at.is_(None))
    if campaign_id is not None:
        query = query.where(
            CalendarToken.kind == FeedKind.CAMPAIGN, CalendarToken.campaign_id == campaign_id
        )
    else:
        query = query.where(
            CalendarToken.kind == FeedKind.PERSONAL, CalendarToken.user_id == user_id
        )
    return list(session.scalars(query.order_by(CalendarToken.created_at.desc())))


def token_by_hash(session: Session, token_hash: str, kind: FeedKind) -> CalendarToken | None:
    """The unrevoked token with this hash and kind, if any."""
    return session.scalar(
        select(CalendarToken).where(
            CalendarToken.token_hash == token_hash,
            CalendarToken.kind == kind,
            CalendarToken.revoked_at.is_(None),
        )
    )


@dataclass(frozen=True)
class FeedItem:
    """A due date in a personal calendar feed."""

    campaign_id: int
    module_id: int
    user_id: int
    campaign: str
    module: str
    slug: str
    due_at: datetime


def personal_feed_items(session: Session, user_id: int, now: datetime) -> list[FeedItem]:
    """My open, dated assignments in active campaigns that are not done yet (two queries):
    a completed module is no deadline any more."""
    cm = aliased(CampaignModule)
    done = assignment_done_clause(Assignment, cm, Campaign.assign_at, now)
    rows = session.execute(
        select(
            Assignment.campaign_id,
            Assignment.module_id,
            Assignment.due_at,
            Campaign.name,
            User.preferred_language,
        )
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .join(cm, cm.id == Assignment.campaign_module_id)
        .join(User, User.id == Assignment.user_id)
        .where(
            Assignment.user_id == user_id,
            Assignment.removed_at.is_(None),
            Assignment.due_at.is_not(None),
            Campaign.state == CampaignState.ACTIVE,
            ~done,
        )
        .order_by(Assignment.due_at, Assignment.id)
    ).all()
    infos = module_infos(session, {r[1] for r in rows})
    items = []
    for campaign_id, module_id, due_at, name, language in rows:
        info = infos.get(module_id)
        items.append(
            FeedItem(
                campaign_id,
                module_id,
                user_id,
                text_in(name, language),
                info.title_in(language) if info else "",
                info.slug if info else "",
                due_at,
            )
        )
    return items
