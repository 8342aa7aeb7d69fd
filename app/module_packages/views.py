"""Trainers share modules: download a module as a package, upload one, preview it, confirm."""

from __future__ import annotations

import io
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.content.authoring_queries import editable_providers, module_for_editor
from app.content.media_files import media_folder
from app.extensions import db
from app.module_packages.forms import ExportForm, ImportChoicesForm, PackageUploadForm
from app.module_packages.package_export import (
    ExportRefused,
    choose_licence,
    export_package,
    module_licence,
)
from app.module_packages.package_format.manifest import PackageLimits, PackageRefused
from app.module_packages.package_import import SlugRefused, import_package, quiz_slugs, suggest_slug
from app.module_packages.package_reading import PackageReading, limits_from_config, read_package
from app.module_packages.pending_uploads import (
    discard_pending,
    discard_stale_pending,
    keep_pending,
    pending_folder,
    pending_path,
)
from app.module_packages.queries import origin_by_module_id, origin_of
from app.people.models import Provider, Role
from app.permissions import Action, ensure, roles_required
from app.platform.hooks import TICK_TASKS
from app.timekeeping import clock
from app.web.problems import Problem

bp = Blueprint("module_packages", __name__, url_prefix="/authoring/packages")

AUTHORS = (Role.TRAINER, Role.ADMIN)
SESSION_KEY = "module_package"


def package_limits() -> PackageLimits:
    """The package limits of this installation (an upload is also capped by MAX_CONTENT_LENGTH)."""
    return limits_from_config(current_app.config)


def installation_url() -> str:
    """This installation's public address, named as the origin of what it exports."""
    return current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")


def problem_text(problem: Problem) -> str:
    """A package problem for people: the file inside the archive, then the translated message."""
    message = _(problem.template, **problem.params) if problem.template else problem.message
    return f"{problem.file}: {message}"


def _pending() -> tuple[dict, Path] | tuple[None, None]:
    """The package this person uploaded and has not confirmed yet."""
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None, None
    path = pending_path(pending_folder(current_app.config["UPLOAD_PATH"]), state.get("token", ""))
    if path is None:
        session.pop(SESSION_KEY, None)
        return None, None
    return state, path


def _filename(raw: str | None) -> str:
    """The uploaded file's own name (its last part, printable), to name it in messages."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or "package.zip"


def _forget_pending() -> None:
    state = session.pop(SESSION_KEY, None)
    if isinstance(state, dict):
        discard_pending(pending_folder(current_app.config["UPLOAD_PATH"]), state.get("token"))


# --- Export ----------------------------------------------------------------------------------


@bp.post("/export/<int:module_id>")
@roles_required(*AUTHORS)
def export(module_id: int):
    """Download the module's published version, media and quiz as one package file."""
    module = module_for_editor(db.session, module_id)
    ensure(Action.EDIT_CONTENT, module)
    assert module is not None
    form = ExportForm()
    if not form.validate_on_submit():
        errors = [str(e) for field in form for e in field.errors] or [_("Please try again.")]
        flash(" ".join(errors), "error")
        return redirect(url_for("authoring.module", module_id=module.id, _anchor="share"), 303)
    work = tempfile.TemporaryDirectory(prefix="package-download-")
    target = Path(work.name) / f"{module.slug}.zip"
    try:
        licence = choose_licence(
            module, form.licence.data, form.licence_url.data, form.licence_text.data
        )
        export_package(
            db.session,
            module,
            target,
            licence=licence,
            installation=installation_url(),
            media_folder=media_folder(),
            actor=current_user,
            now=clock.now(),
        )
    except ExportRefused as exc:
        db.session.rollback()
        work.cleanup()
        flash(_(str(exc)), "error")
        return redirect(url_for("authoring.module", module_id=module_id, _anchor="share"), 303)
    db.session.commit()  # the audit row of the export
    data = target.read_bytes()
    work.cleanup()
    number = module.current_version.number if module.current_version else 0
    return send_file(
        io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{module.slug}-v{number}.zip",
    )


# --- Import ----------------------------------------------------------------------------------


def _providers() -> list[tuple[int, str]]:
    return editable_providers(db.session, current_user)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*AUTHORS)
def upload():
    """Upload a package; it is checked at once and waits for the trainer's confirmation."""
    if not _providers():
        flash(_("You are not a trainer of any content provider."), "error")
        return redirect(url_for("authoring.modules"))
    form = PackageUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        _forget_pending()
        folder = pending_folder(current_app.config["UPLOAD_PATH"])
        limits = package_limits()
        filename = _filename(form.package.data.filename)
        try:
            token = keep_pending(
                folder,
                form.package.data.stream,
                limit=limits.max_archive_bytes,
                now=clock.now(),
                label=filename,
            )
            with tempfile.TemporaryDirectory(prefix="package-check-") as work:
                path = pending_path(folder, token)
                assert path is not None
                try:
                    read_package(path, Path(work), limits, label=filename)
                except PackageRefused:
                    discard_pending(folder, token)
                    raise
        except PackageRefused as refused:
            problems = [problem_text(p) for p in refused.problems]
        else:
            session[SESSION_KEY] = {"token": token, "filename": filename}
            return redirect(url_for(".preview"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("module_packages/upload.html", form=form, problems=problems), status


def _choices_form(reading: PackageReading, *, formdata: bool) -> ImportChoicesForm:
    form = ImportChoicesForm() if formdata else ImportChoicesForm(formdata=None)
    providers = _providers()
    form.provider.choices = [SelectChoice(pid, name) for pid, name in providers]
    if not formdata:
        first = db.session.get(Provider, providers[0][0])
        assert first is not None
        form.provider.data = first.id
        form.slug.data = suggest_slug(db.session, reading.manifest.slug, first)
    return form


def _preview_page(reading: PackageReading, form: ImportChoicesForm, state: dict, status: int = 200):
    slug = form.slug.data or reading.manifest.slug
    try:
        quiz_ids = quiz_slugs(db.session, [q.id for q in reading.quizzes.values()], slug)
    except PackageRefused:
        quiz_ids = {}
    module = reading.module
    return (
        render_template(
            "module_packages/preview.html",
            reading=reading,
            manifest=reading.manifest,
            module=module,
            pages={lang: len(v.pages) for lang, v in module.variants.items()},
            quizzes=[
                {
                    "id": definition.id,
                    "new_id": quiz_ids.get(definition.id, "?"),
                    "title": next(iter(definition.title.values()), definition.id),
                    "questions": len(definition.all_questions()),
                }
                for definition in reading.quizzes.values()
            ],
            warnings=[problem_text(p) for p in reading.warnings],
            form=form,
            cancel_form=FlaskForm(),
            filename=state.get("filename", ""),
        ),
        status,
    )


@bp.get("/import/preview")
@roles_required(*AUTHORS)
def preview():
    """What the package holds and what importing it will create, with the confirm form."""
    state, path = _pending()
    if state is None or path is None or not _providers():
        flash(_("Upload a package first."), "error")
        return redirect(url_for(".upload"))
    with tempfile.TemporaryDirectory(prefix="package-preview-") as work:
        try:
            reading = read_package(path, Path(work), package_limits(), label=state.get("filename"))
        except PackageRefused as refused:
            _forget_pending()
            for problem in refused.problems:
                flash(problem_text(problem), "error")
            return redirect(url_for(".upload"))
        return _preview_page(reading, _choices_form(reading, formdata=False), state)


@bp.post("/import/confirm")
@roles_required(*AUTHORS)
def confirm():
    """Import the waiting package as a copy owned by one of the trainer's providers."""
    state, path = _pending()
    if state is None or path is None or not _providers():
        flash(_("Upload a package first."), "error")
        return redirect(url_for(".upload"), 303)
    with tempfile.TemporaryDirectory(prefix="package-confirm-") as work:
        try:
            reading = read_package(path, Path(work), package_limits(), label=state.get("filename"))
        except PackageRefused as refused:
            _forget_pending()
            for problem in refused.problems:
                flash(problem_text(problem), "error")
            return redirect(url_for(".upload"), 303)
        form = _choices_form(reading, formdata=True)
        if not form.validate_on_submit():
            return _preview_page(reading, form, state, 422)
        provider = db.session.get(Provider, form.provider.data)
        # Into one's own provider only: the choices are the trainer's providers, and the
        # rule is asked again here for the id that came back.
        ensure(Action.EDIT_CONTENT, provider.id if provider else None)
        assert provider is not None
        try:
            module = import_package(
                db.session,
                path,
                provider=provider,
                slug=form.slug.data,
                actor=current_user,
                now=clock.now(),
                limits=package_limits(),
                media_store=media_folder(),
                label=state.get("filename"),
            )
        except SlugRefused as refused:
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, _(refused.template, slug=refused.slug)]
            return _preview_page(reading, form, state, 422)
        except PackageRefused as refused:
            db.session.rollback()
            _forget_pending()
            problems = [problem_text(p) for p in refused.problems]
            return render_template(
                "module_packages/upload.html", form=PackageUploadForm(), problems=problems
            ), 422
    module_id = module.id
    db.session.commit()
    _forget_pending()
    flash(
        _("The module has been imported as your own copy. You can now adapt and publish it."),
        "success",
    )
    return redirect(url_for("authoring.module", module_id=module_id), 303)


@bp.post("/import/cancel")
@roles_required(*AUTHORS)
def cancel():
    """Throw the waiting package away."""
    if FlaskForm().validate_on_submit():
        _forget_pending()
        flash(_("The package has been discarded; nothing was imported."), "success")
    return redirect(url_for(".upload"), 303)


def _export_context(module) -> dict:
    """What the module's authoring page shows about sharing: origin, licence, export form."""
    form = ExportForm(formdata=None)
    return {"origin": origin_of(module), "licence": module_licence(module), "form": form}


def discard_stale_uploads(session: Any, now: datetime) -> None:
    """Tick task: delete uploaded packages nobody confirmed within a day."""
    discard_stale_pending(pending_folder(current_app.config["UPLOAD_PATH"]), now=now)


def register(app: Flask) -> None:
    """Register the blueprint, template helpers, `flask content package` and the tick task."""
    from app.content.cli import content_cli
    from app.module_packages.cli import package_cli

    app.register_blueprint(bp)
    if "package" not in content_cli.commands:
        content_cli.add_command(package_cli)

    def module_origin(module_id: int):
        return origin_by_module_id(db.session, module_id)

    app.jinja_env.globals.update(module_origin=module_origin, package_sharing=_export_context)
    TICK_TASKS.connect(app, discard_stale_uploads)
