"""Trainer pages moving questions in and out: Moodle GIFT import, and YAML and GIFT exports.

An import goes into the draft; every export is a POST, because it is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from app.assessment import drafts, gift_convert, gift_reader
from app.assessment.forms import MAX_GIFT_BYTES, GiftUploadForm
from app.assessment.library import (
    as_problem,
    check_definition,
    export_quiz,
    export_quiz_gift,
    merge_questions,
)
from app.assessment.models import Quiz
from app.assessment.trainer_common import (
    TRAINERS,
    download,
    load_quiz,
    preview_questions,
    problem_rows,
)
from app.assessment.views import bp
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.i18n.markers import N_
from app.permissions import roles_required
from app.platform.audit import record_event
from app.timekeeping import clock
from app.web.problems import make_problem

# -- GIFT upload ---------------------------------------------------------------------------


def _read_upload(form: GiftUploadForm) -> str | None:
    if form.gift_file.data:
        raw = form.gift_file.data.read(MAX_GIFT_BYTES + 1)
        if len(raw) > MAX_GIFT_BYTES:
            form.gift_file.errors = [_("The GIFT file may be at most 512 KB.")]
            return None
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.gift_file.errors = [_("The file is not UTF-8 text. Save it as UTF-8 and retry.")]
            return None
    if form.gift_text.data:
        return form.gift_text.data
    form.gift_file.errors = [_("Choose a GIFT file.")]
    return None


def _render_gift(quiz: Quiz, form: GiftUploadForm, status: int = 200, **context: Any):
    return (
        render_template("assessment/trainer_gift.html", quiz=quiz, form=form, **context),
        status,
    )


@bp.get("/trainer/quizzes/<quiz_slug>/gift")
@roles_required(*TRAINERS)
def gift_upload(quiz_slug: str):
    """Choose a Moodle GIFT file to add its questions to the quiz."""
    return _render_gift(load_quiz(quiz_slug), GiftUploadForm(formdata=None))


@bp.post("/trainer/quizzes/<quiz_slug>/gift/import")
@roles_required(*TRAINERS)
def gift_import(quiz_slug: str):
    """Preview a GIFT file (problems by line, questions as learners see them), or import it."""
    quiz = load_quiz(quiz_slug)
    form = GiftUploadForm()
    if not form.validate_on_submit():
        return _render_gift(quiz, form, status=400)
    text = _read_upload(form)
    if text is None:
        return _render_gift(quiz, form, status=400)
    filename = (form.gift_file.data.filename if form.gift_file.data else "") or "upload.gift"
    result = gift_reader.read_gift(text, filename)
    lang = form.language.data or None
    questions, converted = gift_convert.gift_to_questions(result.questions, filename, lang)
    problems = [as_problem(p) for p in [*result.problems, *converted]]
    definition = None
    # The questions go into the draft (started from the published version if there is none).
    base = drafts.working_definition(quiz, drafts.draft_of(db.session, quiz))
    if questions and base is not None:
        definition, found = check_definition(merge_questions(base, questions), filename)
        problems += found
    errors = [p for p in problems if p.is_error]
    if not questions:
        problems.append(make_problem(filename, 0, N_("no questions to import")))
    blocked = not questions or definition is None or (errors and not form.skip_invalid.data)
    form.gift_text.data = text
    context = {
        "problems": problem_rows(problems, text),
        "preview": preview_questions(questions),
        "blocked": blocked,
        "count": len(questions),
    }
    if request.form.get("action") != "import" or blocked:
        status = 400 if request.form.get("action") == "import" else 200
        return _render_gift(quiz, form, status=status, **context)
    drafts.replace_draft(
        db.session, quiz, definition, lock=None, now=clock.now(), actor_id=current_user.id
    )
    db.session.commit()
    flash(
        ngettext(
            "%(num)s question imported into the draft: check it, then publish it.",
            "%(num)s questions imported into the draft: check them, then publish them.",
            len(questions),
        ),
        "success",
    )
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)


# -- export ---------------------------------------------------------------------------------


@bp.post("/trainer/quizzes/<quiz_slug>/export/yaml")
@roles_required(*TRAINERS)
def export_yaml(quiz_slug: str):
    """Download the quiz file (YAML); a POST, because every export is written to the audit log."""
    quiz = load_quiz(quiz_slug)
    if quiz.current_version is None or not FlaskForm().validate_on_submit():
        return redirect(url_for(".quiz_edit", quiz_slug=quiz.slug), 303)
    text = export_quiz(db.session, quiz)
    record_event(
        db.session,
        "quiz.exported",
        actor_id=current_user.id,
        object_type="quiz",
        object_id=quiz.id,
        ip_address=request.remote_addr,
        format="yaml",
    )
    db.session.commit()
    return download(text, f"{quiz.slug}.yaml", "application/yaml")


@bp.post("/trainer/quizzes/<quiz_slug>/export/gift")
@roles_required(*TRAINERS)
def export_gift(quiz_slug: str):
    """Download the quiz's questions as Moodle GIFT, in one language."""
    quiz = load_quiz(quiz_slug)
    if quiz.current_version is None or not FlaskForm().validate_on_submit():
        return redirect(url_for(".quiz_edit", quiz_slug=quiz.slug), 303)
    lang = request.form.get("language") or None
    if lang not in (None, *LANGUAGES):
        lang = None
    text, _losses = export_quiz_gift(quiz, lang)
    record_event(
        db.session,
        "quiz.exported",
        actor_id=current_user.id,
        object_type="quiz",
        object_id=quiz.id,
        ip_address=request.remote_addr,
        format="gift",
        language=lang or "",
    )
    db.session.commit()
    suffix = f".{lang}" if lang else ""
    return download(text, f"{quiz.slug}{suffix}.gift", "text/plain")
