"""Single sign-on rules: which person an OpenID identity is, the link, just-in-time creation.

Pure of Flask: the views hand in claims already verified by the OpenID client (signature,
issuer, audience, nonce) and the rules from the settings; these functions flush, the caller
commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.i18n.languages import LANGUAGES
from app.i18n.markers import N_
from app.people.field_rules import PeopleError
from app.people.models import Unit, User
from app.people.operations import find_user_by_email
from app.people.sso_models import UserIdentity
from app.platform.audit import record_event

MATCH_BY_EMAIL = "email"
MATCH_BY_HR_NUMBER = "hr_number"
MATCHED_BY_CREATION = "created"

# Why a sign-in was refused (the audit row's reason) and what the person reads.
REFUSALS: dict[str, str] = {
    "deactivated": N_(
        "Your account is deactivated. Please ask your manager or an administrator to reactivate it."
    ),
    "unknown": N_(
        "No account here matches your identity at the provider. Please ask an administrator "
        "to add you."
    ),
    "email_unverified": N_(
        "The provider has not verified your e-mail address, so it cannot identify you here."
    ),
    "hr_number_missing": N_(
        "The provider did not send your HR number, which identifies you here. Please ask an "
        "administrator."
    ),
    "already_linked": N_(
        "Your account here is already linked to another identity at this provider. Please ask "
        "an administrator."
    ),
    "subject_mismatch": N_(
        "The provider's answers did not belong to the same person. Please sign in again."
    ),
    "creation_failed": N_(
        "Your account could not be created automatically. Please ask an administrator to add you."
    ),
    "setup": N_(
        "Single sign-on is not set up completely (the unit for new people does not exist). "
        "Please tell an administrator."
    ),
}


class SsoRefusal(Exception):
    """A sign-in through the provider was refused; `reason` is a key of REFUSALS."""

    def __init__(self, reason: str, *, user_id: int | None = None, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id
        self.detail = detail

    @property
    def message(self) -> str:
        """Return the untranslated message shown to the person."""
        return REFUSALS[self.reason]


@dataclass(frozen=True)
class IdentityClaims:
    """What the provider says about the person, after the client verified the ID token."""

    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    first_name: str | None = None
    last_name: str | None = None
    hr_number: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class MatchRules:
    """How a first sign-in finds its person, and where unknown people are created."""

    match_by: str = MATCH_BY_EMAIL
    jit_unit_code: str | None = None


@dataclass(frozen=True)
class Match:
    """The person an identity belongs to, and how that was decided this time."""

    user: User
    matched_by: str
    is_new_link: bool


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _is_true(value: Any) -> bool:
    # Some providers (older ADFS, some Keycloak mappers) send "true" as a string.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _language(locale: Any) -> str | None:
    text = _text(locale)
    if text is None:
        return None
    code = text.replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def claims_from(
    id_token: Mapping[str, Any], userinfo: Mapping[str, Any] | None, *, hr_claim: str
) -> IdentityClaims:
    """Combine the verified ID token with the userinfo answer, which must name the same subject."""
    subject = _text(id_token.get("sub"))
    issuer = _text(id_token.get("iss"))
    if subject is None or issuer is None:
        raise SsoRefusal("subject_mismatch", detail="id token without iss or sub")
    merged: dict[str, Any] = dict(id_token)
    if userinfo is not None:
        # OpenID Connect Core 5.3.2: userinfo for another subject must not be used.
        if _text(userinfo.get("sub")) != subject:
            raise SsoRefusal("subject_mismatch", detail="userinfo sub differs from id token")
        merged = {**userinfo, **id_token}
    return IdentityClaims(
        issuer=issuer,
        subject=subject,
        email=_text(merged.get("email")),
        email_verified=_is_true(merged.get("email_verified")),
        first_name=_text(merged.get("given_name")),
        last_name=_text(merged.get("family_name")),
        hr_number=_text(merged.get(hr_claim)),
        language=_language(merged.get("locale")),
    )


def find_identity(session: Session, issuer: str, subject: str) -> UserIdentity | None:
    """Return the stored link for this (issuer, subject), if any."""
    return session.scalar(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    )


def _person_by_claims(session: Session, claims: IdentityClaims, rules: MatchRules) -> User | None:
    """Find the person a first sign-in names, by the one claim the settings trust."""
    if rules.match_by == MATCH_BY_HR_NUMBER:
        if claims.hr_number is None:
            raise SsoRefusal("hr_number_missing")
        return session.scalar(select(User).where(User.hr_number == claims.hr_number))
    if claims.email is None or not claims.email_verified:
        # An unverified address may belong to someone else: it never identifies anybody.
        raise SsoRefusal("email_unverified")
    return find_user_by_email(session, claims.email)


def _create_person(
    session: Session, claims: IdentityClaims, unit_code: str, *, ip: str | None, now: datetime
) -> User:
    """Create an unknown person in the configured unit (just-in-time provisioning)."""
    from app.people.operations import create_person

    if claims.email is None or not claims.email_verified:
        raise SsoRefusal("email_unverified")
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise SsoRefusal("setup", detail=f"unit {unit_code!r} does not exist")
    try:
        return create_person(
            session,
            email=claims.email,
            first_name=claims.first_name or "",
            last_name=claims.last_name or "",
            unit=unit,
            language=claims.language,
            hr_number=claims.hr_number,
            actor=None,
            ip=ip,
            now=now,
        )
    except PeopleError as exc:
        raise SsoRefusal("creation_failed", detail=str(exc)) from exc


def match_identity(
    session: Session,
    claims: IdentityClaims,
    rules: MatchRules,
    *,
    ip: str | None = None,
    now: datetime | None = None,
) -> Match:
    """Find the person of a verified identity, linking (or creating) them on first sign-in.

    Order: the stored (issuer, subject) link; else the configured claim (HR number, or a
    verified e-mail address), and the link is stored; else, when a unit for new people is
    configured, a new person there. Deactivated people are refused whichever way they match.
    """
    now = now or utcnow()
    link = find_identity(session, claims.issuer, claims.subject)
    if link is not None:
        if not link.user.is_active:
            raise SsoRefusal("deactivated", user_id=link.user_id)
        link.last_used_at = now
        return Match(user=link.user, matched_by=link.matched_by, is_new_link=False)

    person = _person_by_claims(session, claims, rules)
    matched_by = rules.match_by
    if person is None:
        if not rules.jit_unit_code:
            raise SsoRefusal("unknown")
        person = _create_person(session, claims, rules.jit_unit_code, ip=ip, now=now)
        matched_by = MATCHED_BY_CREATION
    elif not person.is_active:
        raise SsoRefusal("deactivated", user_id=person.id)

    _link(session, person, claims, matched_by, ip=ip, now=now)
    return Match(user=person, matched_by=matched_by, is_new_link=True)


def _link(
    session: Session,
    person: User,
    claims: IdentityClaims,
    matched_by: str,
    *,
    ip: str | None,
    now: datetime,
) -> None:
    """Store the (issuer, subject) link of a person matched for the first time, audited."""
    other = session.scalar(
        select(UserIdentity).where(
            UserIdentity.user_id == person.id, UserIdentity.issuer == claims.issuer
        )
    )
    if other is not None:
        # Someone else at the provider already signs in as this person: a second subject
        # carrying the same e-mail or HR number is not silently given the account too.
        raise SsoRefusal("already_linked", user_id=person.id)
    session.add(
        UserIdentity(
            user_id=person.id,
            issuer=claims.issuer,
            subject=claims.subject,
            matched_by=matched_by,
            created_at=now,
            last_used_at=now,
        )
    )
    session.flush()
    record_event(
        session,
        "sso.linked",
        actor_id=person.id,
        object_type="user",
        object_id=person.id,
        ip_address=ip,
        now=now,
        issuer=claims.issuer,
        subject=claims.subject,
        matched_by=matched_by,
    )


def identities_of(session: Session, user: User) -> list[UserIdentity]:
    """Return the person's links to provider identities, oldest first."""
    return list(
        session.scalars(
            select(UserIdentity).where(UserIdentity.user_id == user.id).order_by(UserIdentity.id)
        )
    )


def unlink_identities(
    session: Session,
    user: User,
    *,
    issuer: str | None = None,
    actor: User | None,
    ip: str | None,
    now: datetime | None = None,
) -> int:
    """Remove the person's links (at one issuer, or all); the next sign-in matches afresh."""
    removed = 0
    for link in identities_of(session, user):
        if issuer is not None and link.issuer != issuer:
            continue
        record_event(
            session,
            "sso.unlinked",
            actor_id=actor.id if actor else None,
            object_type="user",
            object_id=user.id,
            ip_address=ip,
            now=now,
            issuer=link.issuer,
            subject=link.subject,
        )
        session.delete(link)
        removed += 1
    session.flush()
    return removed
