"""Authoring for trainers (their providers' modules) and admins: list, module, publish, history.

The editor of one language (edit, preview, media) adds its routes to the same blueprint from
`editor_views`.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.content.authoring_queries import (
    authoring_modules,
    drafts_of,
    editable_providers,
    module_for_editor,
)
from app.content.forms import NewModuleForm, PublishForm
from app.content.models import Module
from app.content.operations import ContentError, create_module, set_archived
from app.content.publishing import PublishRefused, publish_drafts
from app.content.version_queries import version_diff, version_history
from app.content.views import LANGUAGE_LABELS
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.people.forms import LANGUAGE_NAMES
from app.people.models import Provider, Role
from app.permissions import Action, ensure, roles_required
from app.timekeeping import clock
from app.web.problems import Problem

bp = Blueprint("authoring", __name__, url_prefix="/authoring")

AUTHORS = (Role.TRAINER, Role.ADMIN)


def module_or_404(module_id: int) -> Module:
    """Load a module the current user may edit; anything else is a 404."""
    module = module_for_editor(db.session, module_id)
    ensure(Action.EDIT_CONTENT, module)
    assert module is not None
    return module


def language_or_404(language: str) -> str:
    """A language the platform speaks, else a 404."""
    if language not in LANGUAGES:
        abort(404)
    return language


def _problem_text(problem: Problem, body_lines: dict[str, int]) -> str:
    """A publishing problem for the trainer: the language, and the line in the text box."""
    message = _(problem.template, **problem.params) if problem.template else problem.message
    match = re.match(r"^index\.([a-z]{2})\.md$", problem.file)
    if match is None or match.group(1) not in LANGUAGE_NAMES:
        return message
    language = str(LANGUAGE_LABELS[match.group(1)])
    body_line = body_lines.get(problem.file)
    if body_line is not None and problem.line >= body_line:
        return _(
            "%(language)s, line %(line)d of the text: %(message)s",
            language=language,
            line=problem.line - body_line + 1,
            message=message,
        )
    return _("%(language)s: %(message)s", language=language, message=message)


@bp.get("/modules")
@roles_required(*AUTHORS)
def modules():
    """The modules of the trainer's providers (all of them for admins)."""
    return render_template(
        "content/authoring/modules.html", rows=authoring_modules(db.session, current_user)
    )


@bp.route("/modules/new", methods=["GET", "POST"])
@roles_required(*AUTHORS)
def new_module():
    """Start a new module: id, provider, source language and title."""
    form = NewModuleForm()
    form.provider.choices = [
        SelectChoice(*provider) for provider in editable_providers(db.session, current_user)
    ]
    if not form.provider.choices:
        flash(_("You are not a trainer of any content provider."), "error")
        return redirect(url_for(".modules"))
    if form.validate_on_submit():
        provider = db.session.get(Provider, form.provider.data)
        ensure(Action.EDIT_CONTENT, provider.id if provider else None)
        try:
            module = create_module(
                db.session,
                slug=form.slug.data,
                provider=provider,
                source_language=form.source_language.data,
                title=form.title.data.strip(),
                actor=current_user,
                now=clock.now(),
            )
        except ContentError as exc:
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The module has been created. Write its first pages."), "success")
            return redirect(url_for(".edit", module_id=module.id, language=module.source_language))
    return render_template("content/authoring/new.html", form=form)


@bp.get("/modules/<int:module_id>")
@roles_required(*AUTHORS)
def module(module_id: int):
    """A module's languages, drafts, publishing and archiving."""
    return _module_page_with(module_or_404(module_id), PublishForm(formdata=None), [], 200)


@bp.post("/modules/<int:module_id>/publish")
@roles_required(*AUTHORS)
def publish(module_id: int):
    """Publish the drafts as a new immutable version (pages are rendered now, once)."""
    module = module_or_404(module_id)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            version = publish_drafts(
                db.session,
                module,
                change_note=form.change_note.data.strip(),
                is_major=form.change_kind.data == "major",
                actor=current_user,
                now=clock.now(),
            )
        except PublishRefused as refused:
            db.session.rollback()
            module = module_or_404(module_id)
            problems = [_problem_text(p, refused.body_lines) for p in refused.problems] or [
                str(refused)
            ]
            return _module_page_with(module, form, problems, 422)
        db.session.commit()
        flash(_("Version %(number)d has been published.", number=version.number), "success")
        return redirect(url_for(".module", module_id=module.id), 303)
    return _module_page_with(module, form, [], 422)


def _module_page_with(module: Module, form: PublishForm, problems: list[str], status: int):
    drafts = drafts_of(db.session, module.id)
    published = (
        {v.language: v for v in module.current_version.variants} if module.current_version else {}
    )
    languages = [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "draft": drafts.get(code),
            "variant": published.get(code),
            "is_source": code == module.source_language,
        }
        for code in LANGUAGES
    ]
    title = published.get(module.source_language) or drafts.get(module.source_language)
    return (
        render_template(
            "content/authoring/module.html",
            module=module,
            title=title.title if title else module.slug,
            languages=languages,
            has_drafts=bool(drafts),
            publish_form=form,
            form=FlaskForm(),
            problems=problems,
        ),
        status,
    )


@bp.post("/modules/<int:module_id>/archive")
@roles_required(*AUTHORS)
def archive(module_id: int):
    """Withdraw the module from learners (its versions are kept)."""
    module = module_or_404(module_id)
    if FlaskForm().validate_on_submit():
        set_archived(db.session, module, archived=True, now=clock.now(), actor=current_user)
        db.session.commit()
        flash(_("The module has been archived: learners no longer see it."), "success")
    return redirect(url_for(".module", module_id=module.id), 303)


@bp.post("/modules/<int:module_id>/unarchive")
@roles_required(*AUTHORS)
def unarchive(module_id: int):
    """Bring an archived module back."""
    module = module_or_404(module_id)
    if FlaskForm().validate_on_submit():
        set_archived(db.session, module, archived=False, now=clock.now(), actor=current_user)
        db.session.commit()
        flash(_("The module is back in the catalogue."), "success")
    return redirect(url_for(".module", module_id=module.id), 303)


@bp.get("/modules/<int:module_id>/versions")
@roles_required(*AUTHORS)
def versions(module_id: int):
    """Every version of the module, with a form to compare two of them."""
    module = module_or_404(module_id)
    rows = version_history(db.session, module)
    return render_template(
        "content/authoring/versions.html",
        module=module,
        rows=rows,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )


@bp.get("/modules/<int:module_id>/diff")
@roles_required(*AUTHORS)
def diff(module_id: int):
    """A readable diff of one language between two versions."""
    module = module_or_404(module_id)
    try:
        old = int(request.args.get("old", ""))
        new = int(request.args.get("new", ""))
    except ValueError:
        abort(404)
    language = language_or_404(request.args.get("lang", module.source_language))
    result = version_diff(db.session, module, old, new, language)
    if result is None:
        abort(404)
    return render_template(
        "content/authoring/diff.html",
        module=module,
        diff=result,
        language_name=LANGUAGE_NAMES[language],
        rows=version_history(db.session, module),
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )
