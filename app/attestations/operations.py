"""Confirming an attestation: prove who you are again, then record the confirmation.

The password is checked exactly like signing in, through the sign-in throttle (a wrong one
counts as a failed sign-in; too many make the learner wait). Only a good password leads to
the tracking statement (`attested`, naming the version and its content hash) and the completion
it makes; anything else records nothing. The view commits once after a confirmation.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.attestations.queries import learner_state
from app.content.models import Module, ModuleKind, ModulePage, ModuleVersion
from app.content.reading import PageViewListener, record_page_view
from app.people.models import User
from app.people.signin_throttle import check_current_password
from app.platform.audit import record_event
from app.tracking.attesting import NOT_CURRENT_VERSION, PAGES_NOT_READ, record_attestation
from app.tracking.certificates import format_code
from app.tracking.models import Certificate
from app.tracking.operations import Outcome, registration_for

PASSWORD = "password"
SSO = "sso"


class ConfirmResult(enum.StrEnum):
    """What became of a confirmation."""

    CONFIRMED = "confirmed"
    ALREADY = "already"  # this version was confirmed already (a double submit)
    WRONG_PASSWORD = "wrong_password"
    THROTTLED = "throttled"
    NOT_CURRENT = "not_current"  # a newer version was published while the learner read
    UNREAD = "unread"  # not every page of the text was read in this round
    REFUSED = "refused"  # not an attestation, inactive learner


@dataclass(frozen=True)
class Confirmation:
    """The outcome, the record's verification code when there is one, and any wait."""

    result: ConfirmResult
    code: str | None = None
    wait_seconds: int = 0


def confirm_with_password(
    session: Session,
    user: User,
    module: Module,
    version: ModuleVersion,
    *,
    password: str,
    language: str,
    now: datetime,
    ip_address: str | None,
    form_page: ModulePage | None = None,
    listeners: Iterable[PageViewListener] = (),
) -> Confirmation:
    """Check the learner's password (throttled), then confirm the version; nothing on failure.

    `form_page` is the page the form was on (the last one): confirming there reads it, so its
    view is recorded (telling `listeners`, i.e. tracking) just before the confirmation.
    """
    if version.module_id != module.id:
        return Confirmation(ConfirmResult.REFUSED)
    # Before the password: a stale form must say "new version", not look like a wrong password.
    if version.id != module.current_version_id:
        return Confirmation(ConfirmResult.NOT_CURRENT)
    check = check_current_password(user, password, now=now, purpose="attestation")
    if check.refusal is not None:
        return Confirmation(ConfirmResult.THROTTLED, wait_seconds=check.refusal.wait_seconds)
    if not check.is_good:
        return Confirmation(ConfirmResult.WRONG_PASSWORD)
    _read_form_page(session, user, module, version, form_page, now=now, listeners=listeners)
    return record_confirmation(
        session, user, module, version, language=language, method=PASSWORD, now=now, ip=ip_address
    )


def _read_form_page(
    session: Session,
    user: User,
    module: Module,
    version: ModuleVersion,
    page: ModulePage | None,
    *,
    now: datetime,
    listeners: Iterable[PageViewListener],
) -> None:
    """Record the view of the page the form was on (the learner read it before confirming)."""
    if page is None or page.variant.version_id != version.id:
        return
    record_page_view(
        session,
        user,
        module,
        page,
        version_id=version.id,
        language=page.variant.language,
        resume_at=page.position,
        now=now,
        listeners=listeners,
    )


# The provider's clock and ours may differ a little; a sign-in older than this is not fresh.
SSO_CLOCK_SKEW = timedelta(seconds=60)


def sso_proof_problem(
    claims: Mapping[str, Any], *, linked: Iterable[tuple[str, str]], started_at: datetime
) -> str | None:
    """Why a verified ID token does not prove the learner signed in again just now, or None.

    "identity": the token names another account than one linked to the learner;
    "stale": no sign-in at the provider since the confirmation was started (`auth_time`,
    which the provider must send because we ask with `max_age=0`).
    """
    if (claims.get("iss"), claims.get("sub")) not in set(linked):
        return "identity"
    auth_time = claims.get("auth_time")
    if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
        return "stale"
    if auth_time < (started_at - SSO_CLOCK_SKEW).timestamp():
        return "stale"
    return None


def confirm_after_sso(
    session: Session,
    user: User,
    module: Module,
    version: ModuleVersion,
    *,
    language: str,
    now: datetime,
    ip_address: str | None,
    form_page: ModulePage | None = None,
    listeners: Iterable[PageViewListener] = (),
) -> Confirmation:
    """Confirm the version after a fresh sign-in at the identity provider (already checked)."""
    if version.module_id != module.id:
        return Confirmation(ConfirmResult.REFUSED)
    if version.id != module.current_version_id:
        return Confirmation(ConfirmResult.NOT_CURRENT)
    _read_form_page(session, user, module, version, form_page, now=now, listeners=listeners)
    return record_confirmation(
        session, user, module, version, language=language, method=SSO, now=now, ip=ip_address
    )


def record_confirmation(
    session: Session,
    user: User,
    module: Module,
    version: ModuleVersion,
    *,
    language: str,
    method: str,
    now: datetime,
    ip: str | None,
) -> Confirmation:
    """Record a confirmation whose re-authentication (`method`) has succeeded; audit it."""
    if module.kind != ModuleKind.ATTESTATION or version.module_id != module.id:
        return Confirmation(ConfirmResult.REFUSED)
    # A double submit finds the confirmation made by the first one (a new cycle has begun).
    state = learner_state(session, user.id, module, now=now)
    if state.is_confirmed and state.version_number == version.number:
        return Confirmation(ConfirmResult.ALREADY, code=state.code)
    registration = registration_for(session, user.id, module.id, now)
    recorded = record_attestation(
        session,
        user,
        version,
        language=language,
        method=method,
        now=now,
        registration=registration,
    )
    if recorded.outcome == Outcome.DUPLICATE:
        return Confirmation(ConfirmResult.ALREADY)
    if recorded.outcome == Outcome.REFUSED:
        result = {
            NOT_CURRENT_VERSION: ConfirmResult.NOT_CURRENT,
            PAGES_NOT_READ: ConfirmResult.UNREAD,
        }.get(recorded.reason, ConfirmResult.REFUSED)
        return Confirmation(result)
    completion = recorded.completion
    code = None
    if completion is not None:
        raw = session.scalar(
            select(Certificate.code).where(Certificate.statement_id == completion.statement_id)
        )
        code = format_code(raw) if raw else None
    record_event(
        session,
        "attestation.confirmed",
        actor_id=user.id,
        object_type="module",
        object_id=module.id,
        ip_address=ip,
        now=now,
        version=version.number,
        method=method,
    )
    return Confirmation(ConfirmResult.CONFIRMED, code=code)
