"""HR import in the browser (upload → dry run → confirm → result), invitations resent by
admins and managers, and a person's data exported or erased by admins."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta

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
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.config import ConfigError
from app.db import utcnow
from app.extensions import db
from app.people.field_rules import PeopleError
from app.people.hr_file import HrFileError, Limits
from app.people.hr_forms import EraseForm, ImportApplyForm, ImportUploadForm
from app.people.hr_models import ImportUpload
from app.people.hr_plan import Plan
from app.people.hr_sync import ImportRefused, apply_plan, paused_gc, plan_import
from app.people.invitations import InvitationError, send_invitation, send_invitations
from app.people.models import Role, User
from app.people.personal_data import (
    erase_person,
    export_person_data,
    is_erased,
    record_data_export,
)
from app.permissions import Action, ensure, roles_required
from app.platform.hooks import NAV_ENTRIES, TICK_TASKS

bp = Blueprint("hr_import", __name__)

# The dry-run page lists this many rows per category; the counts are always complete.
SHOWN_PER_CATEGORY = 200
SHOWN_ERRORS = 1000
# Uploads that were never applied are dropped after this long (they hold personal data).
UPLOAD_KEPT = timedelta(days=1)


def import_limits() -> Limits:
    """Return the import limits: the upload limit of the app and HR_IMPORT_MAX_ROWS."""
    cfg = current_app.config
    max_bytes = min(cfg.get("MAX_CONTENT_LENGTH") or Limits.max_bytes, Limits.max_bytes)
    return Limits(max_bytes=max_bytes, max_rows=int(cfg.get("HR_IMPORT_MAX_ROWS", 100_000)))


def _own_upload(upload_id: int) -> ImportUpload:
    """Return an upload of the current user that is not applied yet, else 404."""
    upload = db.session.get(ImportUpload, upload_id)
    if upload is None or upload.uploaded_by_id != current_user.id or upload.content is None:
        abort(404)
    return upload


def _plan_of(upload: ImportUpload) -> Plan:
    # Always recomputed from the stored file and today's directory: the browser never
    # sends a plan, so what is applied is exactly what the rules allow now.
    return plan_import(
        db.session,
        upload.content or b"",
        filename=upload.filename,
        importer=current_user,
        is_full_export=upload.is_full_export,
        limits=import_limits(),
    )


@bp.route("/people/import", methods=["GET", "POST"])
@roles_required(Role.MANAGER, Role.ADMIN)
def upload():
    """Upload an HR file; it is checked, then shown as a dry run."""
    form = ImportUploadForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("people/import_upload.html", form=form), status
    limits = import_limits()
    data = form.file.data.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        form.file.errors = [
            _("The file is larger than %(mb)s MB.", mb=limits.max_bytes // (1024 * 1024))
        ]
        return render_template("people/import_upload.html", form=form), 413
    stored = ImportUpload(
        uploaded_by_id=current_user.id,
        filename=(form.file.data.filename or "upload")[-255:],
        content=data,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        is_full_export=bool(form.is_full_export.data),
        created_at=utcnow(),
    )
    db.session.add(stored)
    db.session.commit()
    return redirect(url_for("hr_import.preview", upload_id=stored.id), 303)


def _field_labels() -> dict[str, str]:
    return {
        "hr_number": _("HR number"),
        "first_name": _("First name"),
        "last_name": _("Last name"),
        "email": _("E-mail address"),
        "preferred_language": _("Language"),
        "roles": _("Roles"),
        "is_active": _("Active"),
    }


def _render_preview(upload: ImportUpload, form: ImportApplyForm, status: int = 200):
    try:
        plan = _plan_of(upload)
    except HrFileError as exc:
        db.session.rollback()
        message = _(exc.problem.message, **exc.problem.params)
        return render_template("people/import_preview.html", upload=upload, file_error=message), 400
    return (
        render_template(
            "people/import_preview.html",
            upload=upload,
            plan=plan,
            form=form,
            shown=SHOWN_PER_CATEGORY,
            shown_errors=SHOWN_ERRORS,
            file_error=None,
            field_labels=_field_labels(),
        ),
        status,
    )


@bp.get("/people/import/<int:upload_id>")
@roles_required(Role.MANAGER, Role.ADMIN)
def preview(upload_id: int):
    """Show the dry run of an uploaded file: counts, each category, every bad row."""
    upload = _own_upload(upload_id)
    return _render_preview(upload, ImportApplyForm(formdata=None))


@bp.post("/people/import/<int:upload_id>/apply")
@roles_required(Role.MANAGER, Role.ADMIN)
def apply(upload_id: int):
    """Apply an uploaded file, all of it in one transaction, after recomputing its plan."""
    upload = _own_upload(upload_id)
    form = ImportApplyForm()
    if not form.validate_on_submit():
        return _render_preview(upload, form, 400)
    try:
        plan = _plan_of(upload)
    except HrFileError:
        db.session.rollback()
        return _render_preview(upload, form, 400)
    skip = bool(form.skip_errors.data)
    if plan.has_errors and not skip:
        flash(
            _(
                "Nothing was imported: %(count)s rows have errors. Correct the file, or choose "
                "to leave the bad rows out.",
                count=len(plan.bad_rows),
            ),
            "error",
        )
        return _render_preview(upload, form, 400)
    try:
        result = apply_plan(
            db.session,
            plan,
            actor=current_user,
            ip=request.remote_addr,
            skip_errors=skip,
            filename=upload.filename,
        )
        with paused_gc():
            send_invitations(
                db.session, result.created_people, actor=current_user, ip=request.remote_addr
            )
        upload.applied_at = utcnow()
        upload.content = None  # the file holds personal data: keep only the counts
        invited = len(result.created_people)
        upload.result = {**result.as_dict(), "invited": invited}
        db.session.commit()
    except (ImportRefused, PeopleError, InvitationError) as exc:
        db.session.rollback()
        flash(_("Nothing was imported: %(reason)s", reason=str(exc)), "error")
        return _render_preview(_own_upload(upload_id), form, 409)
    # Nothing of the committed objects is read from here on: on SQLite a read would open a
    # write transaction that the mail delivery (its own session) would then wait for.
    if invited:
        from app.notifications.delivery import deliver_after_request

        deliver_after_request()
    return redirect(url_for("hr_import.result", upload_id=upload_id), 303)


@bp.get("/people/import/<int:upload_id>/result")
@roles_required(Role.MANAGER, Role.ADMIN)
def result(upload_id: int):
    """Show what an applied import did."""
    upload = db.session.get(ImportUpload, upload_id)
    if upload is None or upload.uploaded_by_id != current_user.id or upload.result is None:
        abort(404)
    return render_template("people/import_result.html", upload=upload, result=upload.result)


# --- invitations ------------------------------------------------------------------------------


@bp.post("/people/<int:user_id>/invite")
@roles_required(Role.MANAGER, Role.ADMIN)
def invite(user_id: int):
    """(Re)send a person the e-mail with their link to choose a password."""
    person = db.session.get(User, user_id)
    ensure(Action.MANAGE_PERSON, person)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        send_invitation(db.session, person, actor=current_user, ip=request.remote_addr)
    except InvitationError as exc:
        db.session.rollback()
        messages = {
            "inactive": _(
                "%(name)s is deactivated: reactivate them first.", name=person.display_name
            ),
            "has_password": _(
                "%(name)s already has a password; they can choose a new one with "
                "\u201cForgot your password?\u201d on the sign-in page.",
                name=person.display_name,
            ),
        }
        flash(messages.get(exc.reason, _("The invitation could not be sent.")), "error")
        return redirect(url_for("people.person", user_id=person.id), 303)
    db.session.commit()
    from app.notifications.delivery import deliver_after_request

    deliver_after_request()
    flash(
        _("An invitation has been sent to %(email)s.", email=person.email),
        "success",
    )
    return redirect(url_for("people.person", user_id=person.id), 303)


# --- personal data ----------------------------------------------------------------------------


@bp.post("/people/<int:user_id>/personal-data")
@roles_required(Role.ADMIN)
def personal_data(user_id: int):
    """Download everything stored about one person as JSON (audited)."""
    person = db.session.get(User, user_id)
    ensure(Action.ADMINISTER, person)
    if not FlaskForm().validate_on_submit():
        abort(400)
    data = export_person_data(db.session, person)
    record_data_export(db.session, person, actor=current_user, ip=request.remote_addr)
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="person-{person.id}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/people/<int:user_id>/erase", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def erase(user_id: int):
    """Erase a person on request, after typing their e-mail address (cannot be undone)."""
    person = db.session.get(User, user_id)
    ensure(Action.ADMINISTER, person)
    if is_erased(person):
        flash(_("This person has already been erased."), "info")
        return redirect(url_for("people.person", user_id=person.id), 303)
    form = EraseForm()
    status = 200
    if form.validate_on_submit():
        try:
            erase_person(
                db.session,
                person,
                confirm_email=form.confirm_email.data,
                actor=current_user,
                ip=request.remote_addr,
            )
        except PeopleError as exc:
            db.session.rollback()
            if str(exc).startswith("confirmation"):
                form.confirm_email.errors = [_("This is not the person's e-mail address.")]
            else:
                flash(_("The person cannot be erased: %(reason)s", reason=str(exc)), "error")
            status = 400
        else:
            db.session.commit()
            flash(_("The person has been erased."), "success")
            return redirect(url_for("people.person", user_id=person.id), 303)
    elif request.method == "POST":
        status = 400
    return render_template("people/erase.html", person=person, form=form), status


def purge_old_uploads(session: Session, now: datetime) -> None:
    """Tick task: drop unapplied uploads after a day (they hold a whole HR file)."""
    session.execute(
        delete(ImportUpload).where(
            ImportUpload.applied_at.is_(None), ImportUpload.created_at < now - UPLOAD_KEPT
        )
    )
    session.execute(
        update(ImportUpload)
        .where(ImportUpload.content.is_not(None), ImportUpload.applied_at.is_not(None))
        .values(content=None)
    )


def _positive_int_setting(name: str, default: int) -> int:
    """Read a whole-number setting from the environment, refusing nonsense at start-up."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def register(app: Flask) -> None:
    """Install the HR import pages, the invitation pages and the tick task."""
    from app.people.invitation_views import bp as invitations_bp

    app.register_blueprint(bp)
    app.register_blueprint(invitations_bp)
    for name, default in (("HR_IMPORT_MAX_ROWS", 100_000), ("INVITATION_VALID_DAYS", 7)):
        app.config.setdefault(name, _positive_int_setting(name, default))
    app.jinja_env.globals["is_erased"] = is_erased
    NAV_ENTRIES.connect(app, ("hr_import.upload", _l("HR import"), {Role.MANAGER, Role.ADMIN}))
    TICK_TASKS.connect(app, purge_old_uploads)
