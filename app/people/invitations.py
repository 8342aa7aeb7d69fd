"""Invitations: a single-use link, sent by e-mail in the person's language, to set a password.

New people have no password. Their invitation link names an `Invitation` row and carries the
fingerprint of the person's password state (the same fingerprint as reset tokens), so it dies
as soon as a password is set; it also expires (INVITATION_VALID_DAYS, 7 by default) and only
the latest invitation of a person works. On a shared branch tablet, each person opens their
own link and chooses their own password: nobody ever knows another person's password.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.notifications.operations import enqueue_emails
from app.people.hr_models import Invitation
from app.people.models import User
from app.people.operations import set_password
from app.people.passwords import PolicyResult, check_password_policy
from app.people.reset_tokens import password_state_fingerprint
from app.platform.audit import record_event
from app.web.links import public_url

SALT = "invitation.v1"
DEFAULT_VALID_DAYS = 7
# A person asking again for an expired link gets at most one new e-mail in this time.
RENEW_INTERVAL = timedelta(minutes=10)


class InvitationError(ValueError):
    """An invitation cannot be sent or used; `reason` says why (for the message shown)."""

    def __init__(self, reason: str, invitation: Invitation | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


def valid_days() -> int:
    """Return how many days an invitation link works (INVITATION_VALID_DAYS)."""
    return int(current_app.config.get("INVITATION_VALID_DAYS", DEFAULT_VALID_DAYS))


def make_invitation_token(
    secret_key: str, invitation: Invitation, person: User | None = None
) -> str:
    """Return the signed token of an invitation link."""
    return _serializer(secret_key).dumps(
        {"i": invitation.id, "f": password_state_fingerprint(person or invitation.user)}
    )


@lru_cache(maxsize=4)
def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def can_be_invited(person: User) -> bool:
    """Tell whether a person may receive an invitation (active and without a password)."""
    return person.is_active and not person.password_hash


def latest_invitation(session: Session, person: User) -> Invitation | None:
    """Return the person's most recent invitation, if any."""
    return session.scalar(
        select(Invitation)
        .where(Invitation.user_id == person.id)
        .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
        .limit(1)
    )


def send_invitation(
    session: Session,
    person: User,
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> Invitation:
    """Record an invitation and put its e-mail in the outbox (in the caller's transaction)."""
    if not person.is_active:
        raise InvitationError("inactive")
    if person.password_hash:
        raise InvitationError("has_password")
    return send_invitations(session, [person], actor=actor, ip=ip, now=now)[0]


# Placeholders in a draft rendered once per language; each message only replaces them, so
# 10,000 invitations cost a few renderings, not 20,000.
_FIRST_NAME, _EMAIL, _LINK = "@@FIRST_NAME@@", "@@EMAIL@@", "@@LINK@@"
_PLACEHOLDERS = re.compile("@@(?:FIRST_NAME|EMAIL|LINK)@@")


@dataclass(frozen=True)
class _Draft:
    subject: str
    text: str
    html: str

    def personalise(self, person: User, link: str) -> dict[str, str]:
        """Return subject and bodies for one person (names escaped in the HTML body)."""
        values = {_FIRST_NAME: person.first_name, _EMAIL: person.email, _LINK: link}
        # One pass, so a name that happens to contain a placeholder is never expanded.
        text = _PLACEHOLDERS.sub(lambda m: values[m.group(0)], self.text)
        html = _PLACEHOLDERS.sub(lambda m: str(escape(values[m.group(0)])), self.html)
        return {"subject": self.subject, "body_text": text, "body_html": html}


def _draft(language: str) -> _Draft:
    """Render the invitation e-mail once for a language, with placeholders for the person."""
    # Straight from the Jinja environment: no request is needed (the shell sends these too),
    # and the page layout's context processors do not run.
    env = current_app.jinja_env
    person = SimpleNamespace(first_name=_FIRST_NAME, email=_EMAIL)
    context = {"user": person, "link": _LINK, "days": valid_days(), "language": language}
    with force_locale(f"{language}_CH"):
        return _Draft(
            subject=_("Your Counter Ready account: choose your password"),
            text=env.get_template("people/email/invitation.txt").render(**context),
            html=env.get_template("people/email/invitation.html").render(**context),
        )


def send_invitations(
    session: Session,
    people: Sequence[User],
    *,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> list[Invitation]:
    """Invite many people at once (after an HR import): one flush and one outbox insert.

    People who cannot be invited (deactivated, or with a password already) are skipped.
    """
    now = now or utcnow()
    invitees = [p for p in people if can_be_invited(p)]
    expires_at = now + timedelta(days=valid_days())
    # By id, not through the relationship: adding them then cascades into nobody's roles.
    invitations = [
        Invitation(
            user_id=person.id,
            sent_by_id=actor.id if actor is not None else None,
            sent_at=now,
            expires_at=expires_at,
        )
        for person in invitees
    ]
    session.add_all(invitations)
    session.flush()
    secret = current_app.config["SECRET_KEY"]
    drafts: dict[str, _Draft] = {}
    messages: list[dict[str, object]] = []
    for person, invitation in zip(invitees, invitations, strict=True):
        token = make_invitation_token(secret, invitation, person)
        link = public_url("invitations.accept", token=token)
        language = person.preferred_language or current_app.config["BABEL_DEFAULT_LOCALE"]
        if language not in drafts:
            drafts[language] = _draft(language)
        messages.append(
            {
                **drafts[language].personalise(person, link),
                "to_address": person.email,
                "user_id": person.id,
                "dedupe_key": f"invitation:{invitation.id}",
            }
        )
        record_event(
            session,
            "invitation.sent",
            actor_id=actor.id if actor is not None else None,
            object_type="user",
            object_id=person.id,
            ip_address=ip,
            now=now,
            invitation_id=invitation.id,
            expires_at=invitation.expires_at.isoformat(),
        )
    for start in range(0, len(messages), 1000):
        enqueue_emails(session, messages[start : start + 1000], now=now)
    return invitations


def read_invitation(
    session: Session, secret_key: str, token: str, now: datetime | None = None
) -> Invitation:
    """Return the invitation a link stands for, or raise InvitationError.

    Reasons: "invalid" (tampered or unknown), "used" (accepted, or a password was set since),
    "replaced" (a newer invitation was sent), "expired".
    """
    now = now or utcnow()
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature as exc:
        raise InvitationError("invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
        raise InvitationError("invalid")
    invitation = session.get(Invitation, payload["i"])
    if invitation is None or not invitation.user.is_active:
        raise InvitationError("invalid")
    if invitation.accepted_at is not None or payload.get("f") != password_state_fingerprint(
        invitation.user
    ):
        raise InvitationError("used", invitation)
    latest = latest_invitation(session, invitation.user)
    if latest is not None and latest.id != invitation.id:
        raise InvitationError("replaced", invitation)
    if now >= invitation.expires_at:
        raise InvitationError("expired", invitation)
    return invitation


def accept_invitation(
    session: Session,
    invitation: Invitation,
    password: str,
    *,
    ip: str | None,
    now: datetime | None = None,
) -> PolicyResult:
    """Set the person's first password under the password policy and close the invitation."""
    person = invitation.user
    policy = check_password_policy(
        password, personal=(person.email, person.first_name, person.last_name)
    )
    if not policy.ok:
        return policy
    now = now or utcnow()
    set_password(person, password, current_app.config["PASSWORD_HASH"])
    invitation.accepted_at = now
    person.last_login_at = now
    record_event(
        session,
        "invitation.accepted",
        actor_id=person.id,
        object_type="user",
        object_id=person.id,
        ip_address=ip,
        now=now,
        invitation_id=invitation.id,
    )
    return policy


def renew_invitation(
    session: Session, invitation: Invitation, *, ip: str | None, now: datetime | None = None
) -> Invitation | None:
    """Send a fresh invitation for an expired one (asked for by its holder).

    Returns None when nothing is sent: the person has a password by now, or a new invitation
    went out less than RENEW_INTERVAL ago (so the link cannot be used to flood a mailbox).
    """
    now = now or utcnow()
    person = invitation.user
    if not can_be_invited(person):
        return None
    latest = latest_invitation(session, person)
    if latest is not None and now - latest.sent_at < RENEW_INTERVAL:
        return None
    return send_invitation(session, person, actor=None, ip=ip, now=now)
