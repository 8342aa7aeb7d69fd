"""Attestation pages: confirm, the signed record and its public check, who has not confirmed.

The feature plugs itself in with `register(app)`: routes, the reader's confirmation panel
(a Jinja global), the learner's home panel and the managers' navigation entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from joserfc.errors import JoseError
from sqlalchemy import select

from app.attestations.forms import ConfirmForm, ConfirmTargetForm
from app.attestations.operations import (
    ConfirmResult,
    confirm_after_sso,
    confirm_with_password,
    sso_proof_problem,
)
from app.attestations.queries import (
    LearnerState,
    attestation_summaries,
    attestation_title,
    learner_state,
    people_in_scope,
    published_attestation,
    signed_record,
)
from app.content.models import Module, ModuleKind, ModuleStatus, ModuleVersion
from app.content.queries import page_in_version
from app.content.views import LANGUAGE_LABELS
from app.db import write_lock_up_front
from app.extensions import db
from app.i18n.request_language import select_language
from app.people import sso
from app.people.models import Role, User
from app.people.signin_throttle import throttled, too_many_attempts_message
from app.people.sso_models import UserIdentity
from app.permissions import ensure, public, roles_required, signed_in
from app.platform.audit import record_event
from app.platform.hooks import HOME_PANELS, NAV_ENTRIES, PAGE_READ
from app.timekeeping import clock
from app.tracking.certificates import format_code, normalise_code
from app.tracking.views import VIEW_CERTIFICATE

bp = Blueprint("attestations", __name__, url_prefix="/attestations")


def _confirm_page(
    module: Module, version: ModuleVersion, form: ConfirmForm, status: int = 200
) -> tuple[str, int]:
    """The stand-alone confirmation page (shown again, with the error, after a refusal)."""
    variant = next((v for v in version.variants if v.language == form.language.data), None)
    if variant is None:
        abort(404)
    return render_template(
        "attestations/confirm.html",
        module=module,
        version=version,
        title=variant.title,
        language=variant.language,
        form=form,
    ), status


@bp.post("/<slug>/confirm")
@signed_in
def confirm(slug: str):
    """Confirm the version just read by typing one's password; a wrong one records nothing."""
    module = published_attestation(db.session, slug)
    if module is None:
        abort(404)
    form = ConfirmForm()
    is_valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        abort(400)
    version = _target(form, module)
    if not is_valid:
        return _confirm_page(module, version, form, 400)
    page = page_in_version(db.session, module.id, version.id, form.language.data, form.page.data)
    if page is None:
        abort(404)
    outcome = confirm_with_password(
        db.session,
        current_user,
        module,
        version,
        password=form.password.data,
        language=form.language.data,
        now=clock.now(),
        ip_address=request.remote_addr,
        form_page=page,
        listeners=PAGE_READ.receivers(),
    )
    if outcome.result == ConfirmResult.WRONG_PASSWORD:
        form.password.errors = [_("This password is not correct. Nothing was recorded.")]
        return _confirm_page(module, version, form, 400)
    if outcome.result == ConfirmResult.THROTTLED:
        form.password.errors = [too_many_attempts_message(outcome.wait_seconds)]
        body, _status = _confirm_page(module, version, form, 429)
        return throttled(body, outcome.wait_seconds)
    return _after_confirmation(slug, module, outcome.result)


# --- confirming by signing in again at the identity provider -----------------------------------

# The confirmation waiting for the provider's answer (one at a time, in the signed session).
SSO_PENDING = "attestation_sso"


def _sso_client() -> Any:
    """The OpenID Connect client of the sign-in feature (404 when single sign-on is off)."""
    if not sso.is_enabled():
        abort(404)
    return current_app.extensions["authlib.integrations.flask_client"].create_client(sso.CLIENT)


def _target(form: ConfirmTargetForm, module: Module) -> ModuleVersion:
    """The version a confirmation form names, if it belongs to the module (else 404)."""
    version_id = form.version_id.data
    version = db.session.get(ModuleVersion, version_id) if isinstance(version_id, int) else None
    if version is None or version.module_id != module.id:
        abort(404)
    return version


def _not_current(slug: str) -> Response:
    flash(
        _(
            "This text has a new version since you opened it. Please read the current "
            "version and confirm that one."
        ),
        "warning",
    )
    return redirect(url_for("content.reader", slug=slug, number=1), 303)


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
    version = _target(form, module)
    if version.id != module.current_version_id:
        return _not_current(slug)
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
    back = url_for("content.reader", slug=slug, number=pending["page"])
    module = published_attestation(db.session, slug)
    if module is None:
        abort(404)
    client = _sso_client()
    claims: dict[str, Any] = {}
    if request.args.get("code") and not request.args.get("error"):
        try:
            token = client.authorize_access_token()
            claims = dict(token.get("userinfo") or {})
        except (AuthlibBaseError, JoseError, ValueError, requests.RequestException) as exc:
            current_app.logger.warning("attestation sign-in refused: %s", type(exc).__name__)
    linked = db.session.execute(
        select(UserIdentity.issuer, UserIdentity.subject).where(
            UserIdentity.user_id == current_user.id
        )
    ).all()
    started_at = datetime.fromtimestamp(pending["started_at"], UTC)
    problem = (
        sso_proof_problem(claims, linked=[tuple(row) for row in linked], started_at=started_at)
        if claims
        else "provider"
    )
    # A GET that writes: end the read transaction, then take the write lock up front.
    db.session.rollback()
    with write_lock_up_front():
        if problem is not None:
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
            return redirect(back, 303)
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
        return _after_confirmation(slug, module, outcome.result)


def _after_confirmation(slug: str, module: Module, result: ConfirmResult) -> Response:
    """Commit a confirmation (or not) and say what happened: the record, or why not."""
    if result == ConfirmResult.NOT_CURRENT:
        db.session.rollback()
        return _not_current(slug)
    if result == ConfirmResult.UNREAD:
        db.session.rollback()
        flash(_("Please read every page of the text before you confirm it."), "warning")
        return redirect(url_for("content.reader", slug=slug, number=1), 303)
    if result not in (ConfirmResult.CONFIRMED, ConfirmResult.ALREADY):
        db.session.rollback()
        abort(404)
    db.session.commit()
    if result == ConfirmResult.ALREADY:
        flash(_("You have already confirmed this version."), "success")
    else:
        flash(_("Thank you. Your confirmation has been recorded."), "success")
    state = learner_state(db.session, current_user.id, module, now=clock.now())
    if state.code is None:
        return redirect(url_for("content.module_page", slug=slug), 303)
    return redirect(url_for(".record", code=format_code(state.code)), 303)


@bp.get("/records/<code>")
@signed_in
def record(code: str):
    """The printable signed record: who confirmed which version of which text, when and how."""
    found = signed_record(db.session, code[:40], language=select_language(), now=clock.now())
    ensure(VIEW_CERTIFICATE, found.cert if found else None)
    assert found is not None
    code = format_code(found.cert.code)
    return render_template(
        "attestations/record.html",
        record=found,
        language_name=LANGUAGE_LABELS.get(found.language, found.language),
        code=code,
        verify_url=url_for(".verify", code=code, _external=True),
    )


@bp.get("/verify")
@public
def verify_form():
    """Let anyone type the code printed on a signed record (GET form, no sign-in)."""
    typed = request.args.get("code")
    if typed is not None:
        normalised = normalise_code(typed)
        if normalised is not None:
            return redirect(url_for(".verify", code=format_code(normalised)), 303)
        return _verification_page(None, typed=typed[:40], status=404)
    return _verification_page(None, typed="")


@bp.get("/verify/<code>")
@public
def verify(code: str):
    """Public check of a signed record: name, text, version, date, fingerprint, still valid."""
    found = signed_record(db.session, code[:40], language=select_language(), now=clock.now())
    return _verification_page(found, typed=code[:40], status=200 if found else 404)


def _verification_page(found: Any, *, typed: str, status: int = 200) -> Response:
    response = current_app.make_response(
        (
            render_template(
                "attestations/verify.html",
                record=found,
                typed=typed,
                code=format_code(found.cert.code) if found else None,
                checked_at=clock.now(),
            ),
            status,
        )
    )
    # Like the certificate check: never indexed, never leaking the code in a Referer.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
@roles_required(Role.MANAGER, Role.ADMIN)
def overview():
    """Managers: every attestation with how many people in their scope have (not) confirmed."""
    summaries = attestation_summaries(
        db.session, current_user, language=select_language(), now=clock.now()
    )
    return render_template("attestations/overview.html", summaries=summaries)


@bp.get("/<slug>/people")
@roles_required(Role.MANAGER, Role.ADMIN)
def people(slug: str):
    """Managers: who in their scope has not confirmed the current version (listed first)."""
    module = published_attestation(db.session, slug)
    if module is None:
        abort(404)
    rows = people_in_scope(db.session, current_user, module, now=clock.now())
    return render_template(
        "attestations/people.html",
        module=module,
        title=attestation_title(module, select_language()),
        rows=rows,
        pending=sum(1 for row in rows if row.state != "confirmed"),
    )


# --- the reader's panel and the home panel ----------------------------------------------------


def attestation_panel(page: Any) -> dict[str, Any] | None:
    """For the reader's last page: the confirmation form or the learner's confirmation."""
    # Plain modules (nearly every page) cost no query.
    if page.kind != ModuleKind.ATTESTATION or not getattr(current_user, "is_authenticated", False):
        return None
    module = db.session.get(Module, page.module_id)
    if module is None or module.kind != ModuleKind.ATTESTATION:
        return None
    state: LearnerState = learner_state(db.session, current_user.id, module, now=clock.now())
    target = {"version_id": page.version_id, "language": page.language, "page": page.number}
    uses_password = bool(current_user.password_hash) and current_app.config.get(
        "LOCAL_PASSWORDS", True
    )
    return {
        "module": module,
        "state": state,
        "form": ConfirmForm(formdata=None, **target),
        "sso_form": ConfirmTargetForm(formdata=None, **target),
        "is_current_version": page.version_id == module.current_version_id,
        "has_password": uses_password,
        "sso_provider": current_app.config.get("OIDC_PROVIDER_NAME") if sso.is_enabled() else None,
        "code": format_code(state.code) if state.code else None,
    }


def _home_panel(user: User) -> dict[str, Any] | None:
    """Home panel for learners: the attestations they have not confirmed (or must again)."""
    if Role.LEARNER not in user.role_set:
        return None
    modules = db.session.scalars(
        select(Module).where(
            Module.kind == ModuleKind.ATTESTATION,
            Module.status == ModuleStatus.PUBLISHED,
            Module.current_version_id.is_not(None),
        )
    ).all()
    now = clock.now()
    language = select_language()
    due = [
        {"slug": module.slug, "title": attestation_title(module, language)}
        for module in modules
        if not learner_state(db.session, user.id, module, now=now).is_confirmed
    ]
    if not due:
        return None
    return {"template": "attestations/_home_panel.html", "due": due}


def register(app: Flask) -> None:
    """Plug attestations in: routes, the reader's panel, the home panel and navigation."""
    app.register_blueprint(bp)
    app.jinja_env.globals["attestation_panel"] = attestation_panel
    HOME_PANELS.connect(app, _home_panel)
    NAV_ENTRIES.connect(
        app, ("attestations.overview", _l("Attestations"), {Role.MANAGER, Role.ADMIN})
    )
