"""Confirming an attestation by signing in again at the identity provider (OpenID Connect)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError
from sqlalchemy import select

from app.attestations.blueprint import bp
from app.attestations.confirm_views import after_confirmation, not_current, target_version
from app.attestations.forms import ConfirmTargetForm
from app.attestations.operations import (
    confirm_after_sso,
    sso_proof_problem,
)
from app.attestations.queries import (
    published_attestation,
)
from app.content.models import Module, ModuleVersion
from app.content.queries import page_in_version
from app.db import write_lock_up_front
from app.extensions import db
from app.people import sso
from app.people.sso_models import UserIdentity
from app.permissions import signed_in
from app.platform.audit import record_event
from app.platform.hooks import PAGE_READ
from app.timekeeping import clock

SSO_PENDING = "attestation_sso"


def _sso_client() -> Any:
    """The OpenID Connect client of the sign-in feature (404 when single sign-on is off)."""
    if not sso.is_enabled():
        abort(404)
    return current_app.extensions["authlib.integrations.flask_client"].create_client(sso.CLIENT)


@bp.post("/<slug>/confirm-sso")
@signed_in
def confirm_sso(slug: str):
    """Send the learner to the identity provider to sign in again (`prompt=login`)."""
    module = published_attestation(db.session, slug)
    if module is None:
        abort(404)
    form = ConfirmTargetForm()
    if not form.validate_on_submit():
        abort(400)
    version = target_version(form, module)
    if version.id != module.current_version_id:
        return not_current(slug)
    client = _sso_client()
    session[SSO_PENDING] = {
        "user_id": current_user.id,
        "slug": slug,
        "version_id": version.id,
        "language": form.language.data,
        "page": form.page.data,
        "started_at": clock.now().timestamp(),
    }
    try:
        # max_age=0 makes the provider send auth_time, and prompt=login asks for the password
        # even when the learner still has a session there (OpenID Connect Core 1.0, 3.1.2.1).
        return client.authorize_redirect(
            url_for(".sso_callback", _external=True), prompt="login", max_age=0
        )
    except requests.RequestException:
        session.pop(SSO_PENDING, None)
        flash(_("The sign-in provider cannot be reached. Please try again later."), "error")
        return redirect(url_for("content.reader", slug=slug, number=form.page.data), 303)


@bp.get("/sso-callback")
@signed_in
def sso_callback():
    """Check the provider's answer: the learner's own account, signed in just now; confirm."""
    pending = session.pop(SSO_PENDING, None)
    if not isinstance(pending, dict) or pending.get("user_id") != current_user.id:
        abort(400)
    slug = pending["slug"]
    module = published_attestation(db.session, slug)
    if module is None:
        abort(404)
    problem = _proof_problem(_sso_client(), datetime.fromtimestamp(pending["started_at"], UTC))
    # A GET that writes: end the read transaction, then take the write lock up front.
    db.session.rollback()
    with write_lock_up_front():
        if problem is not None:
            _refuse_proof(module, problem)
            return redirect(url_for("content.reader", slug=slug, number=pending["page"]), 303)
        version = db.session.get(ModuleVersion, pending["version_id"])
        if version is None:
            abort(404)
        page = page_in_version(
            db.session, module.id, version.id, pending["language"], pending["page"]
        )
        outcome = confirm_after_sso(
            db.session,
            current_user,
            module,
            version,
            language=pending["language"],
            now=clock.now(),
            ip_address=request.remote_addr,
            form_page=page,
            listeners=PAGE_READ.receivers(),
        )
        return after_confirmation(slug, module, outcome.result)


def _proof_problem(client: Any, started_at: datetime) -> str | None:
    """Why the provider's answer does not prove the learner signed in just now (None: it does)."""
    claims: dict[str, Any] = {}
    if request.args.get("code") and not request.args.get("error"):
        try:
            token = client.authorize_access_token()
            claims = dict(token.get("userinfo") or {})
        except (AuthlibBaseError, JoseError, ValueError, requests.RequestException) as exc:
            current_app.logger.warning("attestation sign-in refused: %s", type(exc).__name__)
    if not claims:
        return "provider"
    linked = db.session.execute(
        select(UserIdentity.issuer, UserIdentity.subject).where(
            UserIdentity.user_id == current_user.id
        )
    ).all()
    return sso_proof_problem(claims, linked=[tuple(row) for row in linked], started_at=started_at)


def _refuse_proof(module: Module, problem: str) -> None:
    """Audit a refused sign-in (nothing confirmed) and tell the learner."""
    record_event(
        db.session,
        "attestation.sso_refused",
        actor_id=current_user.id,
        object_type="module",
        object_id=module.id,
        ip_address=request.remote_addr,
        now=clock.now(),
        reason=problem,
    )
    db.session.commit()
    flash(
        _(
            "The sign-in at your organisation did not confirm that it is you. "
            "Nothing was recorded; please try again."
        ),
        "error",
    )
