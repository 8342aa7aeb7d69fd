"""Sending campaign messages: an in-app notice always, an e-mail through the outbox unless the
person chose in-app only. Set-based: one INSERT for the notices, one for the e-mails.

The notice's dedupe key is unique in the database and the e-mail reuses it as its outbox
dedupe key, so a message repeated by a second scheduler run is dropped by the database twice
over. Only notices this run actually inserted (RETURNING) produce e-mails.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.campaigns import phrases
from app.campaigns.links import LinkBuilder
from app.campaigns.models import Channel, Notice, NotificationPreference
from app.campaigns.sql import chunks, insert_ignoring_conflicts
from app.i18n.languages import LANGUAGES
from app.notifications.bulk import JsonTexts, json_text_bind, stored_datetime
from app.notifications.operations import enqueue_emails
from app.people.models import User


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to, in which language, and whether by e-mail too."""

    id: int
    email: str
    first_name: str
    last_name: str
    language: str
    wants_email: bool

    @property
    def name(self) -> str:
        """Return the name shown in greetings and digests."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class Message:
    """One message to one person: a notice, and an e-mail if they want e-mail."""

    user_id: int
    kind: str
    params: dict[str, Any]
    url: str | None
    dedupe_key: str
    email_lines: list[str] = field(default_factory=list)


def load_recipients(
    session: Session, user_ids: Iterable[int], default_language: str
) -> dict[int, Recipient]:
    """Load the active people among `user_ids` with their language and channel (chunked IN)."""
    wanted = sorted(set(user_ids))
    result: dict[int, Recipient] = {}
    for part in chunks(wanted, 5000):
        rows = session.execute(
            select(
                User.id,
                User.email,
                User.first_name,
                User.last_name,
                User.preferred_language,
                NotificationPreference.channel,
            )
            .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
            .where(User.id.in_(part), User.is_active.is_(True))
        )
        for user_id, email, first, last, language, channel in rows:
            result[user_id] = Recipient(
                id=user_id,
                email=email,
                first_name=first,
                last_name=last,
                language=language if language in LANGUAGES else default_language,
                wants_email=channel != Channel.IN_APP and bool(email),
            )
    return result


def _insert_notices(
    session: Session, messages: Sequence[Message], now: datetime, *, returning: bool
) -> set[str]:
    """Insert the notices (one executemany, ON CONFLICT DO NOTHING on the dedupe key).

    With `returning`, return the dedupe keys this call inserted (the others existed);
    without, return them all (the caller already claimed the messages in the database).
    """
    table = Notice.__table__
    # What every row shares is converted once, and each distinct `params` encoded once: a
    # launch writes 50,000 notices from a handful of different texts.
    statement = (
        insert_ignoring_conflicts(session, table)
        .rows()
        .values(
            params=json_text_bind(session, "params_json", table.c.params),
            created_at=stored_datetime(session, "shared_created_at", now),
        )
    )
    as_json = JsonTexts()
    rows = [
        {
            "user_id": m.user_id,
            "kind": m.kind,
            "params_json": as_json(m.params),
            "url": m.url,
            "read_at": None,
            "dedupe_key": m.dedupe_key,
        }
        for m in messages
    ]
    if returning:
        return set(session.execute(statement.returning(table.c.dedupe_key), rows).scalars())
    session.execute(statement, rows)
    return {m.dedupe_key for m in messages}


# Stand-ins for what differs between recipients of the same message. They contain nothing
# that HTML escaping changes, so they survive the template and are replaced afterwards.
_NAME = "@@recipient-name@@"
_UNSUBSCRIBE = "@@unsubscribe-url@@"


@dataclass(frozen=True)
class EmailDraft:
    """An e-mail written once for every recipient of the same message in the same language
    (a mail merge): `personalise` fills in the name and the unsubscribe link."""

    subject: str
    text: str
    html: str

    def personalise(self, recipient: Recipient, unsubscribe_url: str) -> tuple[str, str]:
        """Return (text, html) for one recipient; the name is escaped for the HTML part."""
        name = recipient.first_name or recipient.name
        text = self.text.replace(_UNSUBSCRIBE, unsubscribe_url).replace(_NAME, name)
        html = self.html.replace(_UNSUBSCRIBE, escape(unsubscribe_url)).replace(_NAME, escape(name))
        return text, html


def render_draft(message: Message, language: str, links: LinkBuilder) -> EmailDraft:
    """Write a message's e-mail (plain text and HTML) in the active locale, once per group.

    Straight from the Jinja environment: the layout's context processors need a request, and
    the scheduler has none (the .html template autoescapes, the .txt one need not).
    """
    subject = phrases.summary(message.kind, message.params)
    context = {
        "subject": subject,
        "greeting": gettext("Hello %(name)s,", name=_NAME),
        "intro": phrases.intro(message.kind, message.params),
        "lines": message.email_lines,
        "link": message.url,
        "link_label": phrases.link_label(message.kind, message.params),
        "unsubscribe_url": _UNSUBSCRIBE,
        "settings_url": links.url("campaigns.settings"),
        "html_lang": f"{language}-CH",
    }
    env = current_app.jinja_env
    return EmailDraft(
        subject=subject,
        text=env.get_template("campaigns/email/message.txt").render(**context),
        html=env.get_template("campaigns/email/message.html").render(**context),
    )


def _group_key(message: Message) -> str:
    # The scheduler builds params in a fixed order, so repr() is a stable (and cheap) key.
    return repr((message.kind, message.params, message.url, message.email_lines))


def send_messages(
    session: Session,
    messages: Sequence[Message],
    recipients: dict[int, Recipient],
    now: datetime,
    links: LinkBuilder,
    *,
    claimed: bool = True,
) -> tuple[int, int]:
    """Insert the notices and queue the e-mails of the new ones; returns (notices, e-mails).

    `claimed`: the caller made these messages its own with a database rule first (a
    conditional UPDATE, an INSERT ... RETURNING of the reminder step), so they are all new.
    Otherwise (expiry notices) the notice's unique dedupe key decides which are new. Either
    way the outbox's unique dedupe key stops a duplicate e-mail.

    E-mails are written once per group of identical messages in the same language and then
    personalised, so 50,000 reminders cost a handful of template renderings, not 100,000.
    """
    messages = [m for m in messages if m.user_id in recipients]
    if not messages:
        return 0, 0
    inserted = _insert_notices(session, messages, now, returning=not claimed)
    groups: dict[tuple[str, str], list[Message]] = defaultdict(list)
    for message in messages:
        recipient = recipients[message.user_id]
        if message.dedupe_key in inserted and recipient.wants_email:
            groups[(recipient.language, _group_key(message))].append(message)
    emails: list[dict[str, Any]] = []
    for (language, _key), group in sorted(groups.items(), key=lambda item: item[0]):
        with force_locale(f"{language}_CH"):
            draft = render_draft(group[0], language, links)
        for message in group:
            recipient = recipients[message.user_id]
            text, html = draft.personalise(recipient, links.unsubscribe_url(recipient.id))
            emails.append(
                {
                    "to_address": recipient.email,
                    "subject": draft.subject,
                    "body_text": text,
                    "body_html": html,
                    "user_id": recipient.id,
                    "dedupe_key": message.dedupe_key,
                }
            )
    enqueue_emails(session, emails, now=now)
    return len(inserted), len(emails)
