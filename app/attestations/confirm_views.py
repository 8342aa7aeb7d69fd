"""Confirming an attestation by typing one's password, and what every confirmation ends with."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.attestations.blueprint import bp
from app.attestations.forms import ConfirmForm, ConfirmTargetForm
from app.attestations.operations import (
    ConfirmResult,
    confirm_with_password,
)
from app.attestations.queries import (
    learner_state,
    published_attestation,
)
from app.content.models import Module, ModuleVersion
from app.content.queries import page_in_version
from app.extensions import db
from app.people.signin_throttle import throttled, too_many_attempts_message
from app.permissions import signed_in
from app.platform.hooks import PAGE_READ
from app.timekeeping import clock
from app.tracking.certificates import format_code


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
    version = target_version(form, module)
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
    return after_confirmation(slug, module, outcome.result)


def target_version(form: ConfirmTargetForm, module: Module) -> ModuleVersion:
    """The version a confirmation form names, if it belongs to the module (else 404)."""
    version_id = form.version_id.data
    version = db.session.get(ModuleVersion, version_id) if isinstance(version_id, int) else None
    if version is None or version.module_id != module.id:
        abort(404)
    return version


def not_current(slug: str) -> Response:
    flash(
        _(
            "This text has a new version since you opened it. Please read the current "
            "version and confirm that one."
        ),
        "warning",
    )
    return redirect(url_for("content.reader", slug=slug, number=1), 303)


def after_confirmation(slug: str, module: Module, result: ConfirmResult) -> Response:
    """Commit a confirmation (or not) and say what happened: the record, or why not."""
    if result == ConfirmResult.NOT_CURRENT:
        db.session.rollback()
        return not_current(slug)
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
