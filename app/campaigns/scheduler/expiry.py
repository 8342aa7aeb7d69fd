"""Expiry notices: people whose completion stops counting within 30 days hear it once."""

from __future__ import annotations

from datetime import timedelta

from app.campaigns.notices import Message
from app.campaigns.phrases import Kind
from app.campaigns.scheduler.context import TickContext
from app.people.models import User
from app.timekeeping.days import local_date
from app.tracking.completion_sql import expiring_completions_select

EXPIRY_WINDOW = timedelta(days=30)


def send_expiry_notices(ctx: TickContext) -> None:
    """Tell people whose completion stops counting within 30 days (once per completion)."""
    query = expiring_completions_select(ctx.now, ctx.now + EXPIRY_WINDOW)
    rows = ctx.session.execute(
        query.join(User, User.id == query.selected_columns[0]).where(User.is_active.is_(True))
    ).all()
    if not rows:
        return
    recipients = ctx.recipients({r[0] for r in rows})
    infos = ctx.modules({r[1] for r in rows})
    messages = []
    for user_id, module_id, expires_at in rows:
        recipient = recipients.get(user_id)
        info = infos.get(module_id)
        if recipient is None or info is None:
            continue
        expires = local_date(expires_at, ctx.tz).isoformat()
        title = info.title_in(recipient.language)
        messages.append(
            Message(
                user_id=user_id,
                kind=Kind.EXPIRY,
                params={"module": title, "module_id": module_id, "expires": expires},
                url=ctx.links.url("content.module_page", slug=info.slug),
                dedupe_key=f"campaigns:expiry:{user_id}:{module_id}:{expires}",
                email_lines=[],
            )
        )
    before = ctx.counts.notices
    ctx.send(messages, recipients, claimed=False)
    ctx.counts.expiry_notices += ctx.counts.notices - before
