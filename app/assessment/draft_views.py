"""The quiz editor's whole-quiz pages: settings, preview, publish, discard and export of a draft.

Same shape as `editor_views`: load, check the provider (404 otherwise), one operation, one commit.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessment import draft_forms, drafts, presenters, quiz_dump
from app.assessment.draft_check import DraftIssue
from app.assessment.editor_views import (
    conflict_redirect,
    draft_state,
    form_lock,
    issue_message,
    render_draft,
)
from app.assessment.models import Quiz
from app.assessment.questions import LAYOUTS, REVIEW_POLICIES, SCORE_POLICIES
from app.assessment.questions import Quiz as QuizDefinition
from app.assessment.trainer_common import TRAINERS, download, load_quiz, preview_questions
from app.assessment.views import bp, language
from app.extensions import db
from app.permissions import roles_required
from app.platform.audit import record_event
from app.timekeeping import clock

# -- settings ---------------------------------------------------------------------------------


def _render_settings(
    quiz: Quiz,
    definition: QuizDefinition,
    values: dict[str, str],
    lock: int,
    issues: list[DraftIssue] | None = None,
    status: int = 200,
) -> Any:
    errors: dict[str, list[str]] = {}
    for issue in issues or []:
        key = f"pools-{issue.pool}" if issue.pool else (issue.field or "form")
        errors.setdefault(key, []).append(issue_message(issue))
    return (
        render_template(
            "assessment/trainer_settings.html",
            quiz=quiz,
            definition=definition,
            values=values,
            errors=errors,
            messages=[issue_message(i) for i in issues or [] if drafts.blocks_settings(i)],
            lock=lock,
            languages=[
                (lang, _(draft_forms.LANGUAGE_LABELS[lang])) for lang in draft_forms.TEXT_LANGUAGES
            ],
            policies={"score": SCORE_POLICIES, "layout": LAYOUTS, "review": REVIEW_POLICIES},
        ),
        status,
    )


@bp.get("/trainer/quizzes/<quiz_slug>/draft/settings")
@roles_required(*TRAINERS)
def draft_settings(quiz_slug: str):
    """The quiz settings: title in each language, pass mark, attempts, time, review."""
    quiz = load_quiz(quiz_slug)
    draft, definition = draft_state(quiz)
    values = draft_forms.settings_values(definition)
    return _render_settings(quiz, definition, values, drafts.lock_of(draft))


@bp.post("/trainer/quizzes/<quiz_slug>/draft/settings/save")
@roles_required(*TRAINERS)
def draft_settings_save(quiz_slug: str):
    """Save the settings in the draft, or show what breaks the rules (nothing saved)."""
    quiz = load_quiz(quiz_slug)
    _draft, definition = draft_state(quiz)
    settings, draws = draft_forms.read_settings(request.form, len(definition.pools))
    try:
        issues = drafts.save_settings(
            db.session,
            quiz,
            settings,
            draws,
            lock=form_lock(),
            now=clock.now(),
            actor_id=current_user.id,
        )
    except drafts.DraftConflict:
        db.session.rollback()
        return conflict_redirect()
    if any(drafts.blocks_settings(i) for i in issues):
        db.session.rollback()
        return _render_settings(
            quiz, definition, request.form.to_dict(), form_lock(), issues, status=400
        )
    db.session.commit()
    flash(_("The settings were saved in the draft."), "success")
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)


# -- preview, publish, discard, export ------------------------------------------------------------


@bp.get("/trainer/quizzes/<quiz_slug>/draft/preview")
@roles_required(*TRAINERS)
def draft_preview(quiz_slug: str):
    """The draft as learners will see it; with `?key=1`, the answer key beside each question."""
    quiz = load_quiz(quiz_slug)
    _draft, definition = draft_state(quiz)
    questions = [question for question, _pool in drafts.all_questions(definition)]
    with_key = request.args.get("key") == "1"
    if with_key:
        shown = preview_questions(questions)
    else:
        lang = language()
        shown = []
        for number, question in enumerate(questions, start=1):
            view = presenters.learner_question(question, lang, None, None)
            view["number"] = number
            shown.append(view)
    return render_template(
        "assessment/trainer_preview.html",
        quiz=quiz,
        title=presenters.title_in(definition.title, language()),
        preview=shown,
        with_key=with_key,
    )


@bp.post("/trainer/quizzes/<quiz_slug>/draft/publish")
@roles_required(*TRAINERS)
def draft_publish(quiz_slug: str):
    """Check the whole draft and make it the next version learners get."""
    quiz = load_quiz(quiz_slug)
    try:
        version, issues = drafts.publish_draft(
            db.session, quiz, lock=form_lock(), now=clock.now(), actor_id=current_user.id
        )
    except drafts.DraftConflict:
        db.session.rollback()
        return conflict_redirect()
    except drafts.DraftError as error:
        db.session.rollback()
        flash(_(error.template, **error.params), "error")
        return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)
    if any(i.is_error for i in issues):
        db.session.rollback()
        return render_draft(quiz, issues, status=400)
    db.session.commit()
    if version is None:
        flash(_("Nothing changed: the published version stays as it was."), "success")
    else:
        flash(_("Published as version %(number)s.", number=version.number), "success")
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)


@bp.post("/trainer/quizzes/<quiz_slug>/draft/discard")
@roles_required(*TRAINERS)
def draft_discard(quiz_slug: str):
    """Throw the draft away and go back to the published version."""
    quiz = load_quiz(quiz_slug)
    try:
        drafts.discard_draft(
            db.session, quiz, lock=form_lock(), now=clock.now(), actor_id=current_user.id
        )
    except drafts.DraftConflict:
        db.session.rollback()
        return conflict_redirect()
    except drafts.DraftError as error:
        db.session.rollback()
        flash(_(error.template, **error.params), "error")
        return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)
    db.session.commit()
    flash(_("The draft was discarded: the published version is unchanged."), "success")
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)


@bp.post("/trainer/quizzes/<quiz_slug>/draft/export")
@roles_required(*TRAINERS)
def draft_export(quiz_slug: str):
    """Download the draft as YAML (written to the audit log, as every export is)."""
    quiz = load_quiz(quiz_slug)
    _draft, definition = draft_state(quiz)
    record_event(
        db.session,
        "quiz.exported",
        actor_id=current_user.id,
        object_type="quiz",
        object_id=quiz.id,
        ip_address=request.remote_addr,
        format="yaml-draft",
    )
    db.session.commit()
    return download(quiz_dump.dump_quiz(definition), f"{quiz.slug}.draft.yaml", "application/yaml")
