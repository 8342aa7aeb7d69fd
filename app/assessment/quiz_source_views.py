"""Trainer pages for the quiz file (YAML): edit a quiz's draft in the format, or write a new quiz.

Saving goes into the draft (learners see no change until it is published); a new quiz starts
as a draft of its own.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.assessment import drafts, quiz_dump, quiz_format
from app.assessment.forms import NewQuizForm, QuizSourceForm
from app.assessment.library import as_problem, key_line
from app.assessment.models import Quiz
from app.assessment.queries import quiz_by_slug
from app.assessment.trainer_common import (
    TRAINERS,
    load_quiz,
    owner_problems,
    preview_questions,
    problem_rows,
)
from app.assessment.trainer_queries import editable_providers
from app.assessment.views import bp
from app.extensions import db
from app.i18n.markers import N_
from app.permissions import Action, may, roles_required
from app.timekeeping import clock
from app.web.problems import Problem, make_problem

# -- editor -----------------------------------------------------------------------------------


def _render_editor(
    quiz: Quiz | None,
    form: QuizSourceForm,
    *,
    problems: list[Problem] | None = None,
    preview: list[dict[str, Any]] | None = None,
    status: int = 200,
):
    return (
        render_template(
            "assessment/trainer_edit.html",
            quiz=quiz,
            form=form,
            problems=problem_rows(problems or [], form.source.data or ""),
            has_errors=any(p.is_error for p in problems or []),
            preview=preview,
            export_form=FlaskForm(),
            draft=drafts.draft_of(db.session, quiz) if quiz is not None else None,
        ),
        status,
    )


@bp.get("/trainer/quizzes/<quiz_slug>/edit")
@roles_required(*TRAINERS)
def quiz_edit(quiz_slug: str):
    """The draft (or the published version) in the quiz file format, to edit or replace."""
    quiz = load_quiz(quiz_slug)
    draft = drafts.draft_of(db.session, quiz)
    definition = drafts.working_definition(quiz, draft)
    form = QuizSourceForm(formdata=None)
    if definition is not None:
        form.source.data = quiz_dump.dump_quiz(definition)
    form.base_version.data = str(drafts.lock_of(draft))
    preview = preview_questions(definition.all_questions()) if definition else None
    return _render_editor(quiz, form, preview=preview)


@bp.post("/trainer/quizzes/<quiz_slug>/save")
@roles_required(*TRAINERS)
def quiz_edit_save(quiz_slug: str):
    """Check the quiz file; preview it, or import it as the draft (learners see no change)."""
    quiz = load_quiz(quiz_slug)
    form = QuizSourceForm()
    if not form.validate_on_submit():
        return _render_editor(quiz, form, status=400)
    text = form.source.data.replace("\r\n", "\n")
    definition, problems = quiz_format.parse_quiz_text(text, f"{quiz.slug}.yaml")
    problems = [as_problem(p) for p in problems]
    if definition is not None:
        if definition.id != quiz.slug:
            problems.append(
                make_problem(
                    "",
                    key_line(text, "id"),
                    N_("the quiz id cannot change: it must stay '%(id)s'"),
                    id=quiz.slug,
                )
            )
        _module_id, found = owner_problems(definition, text, quiz.provider_id)
        problems += found
    has_errors = any(p.is_error for p in problems)
    preview = preview_questions(definition.all_questions()) if definition is not None else None
    if has_errors or request.form.get("action") != "save":
        return _render_editor(
            quiz, form, problems=problems, preview=preview, status=400 if has_errors else 200
        )
    try:
        lock = int(form.base_version.data or "0")
    except ValueError:
        lock = -1
    try:
        drafts.replace_draft(
            db.session, quiz, definition, lock=lock, now=clock.now(), actor_id=current_user.id
        )
    except drafts.DraftConflict:
        db.session.rollback()
        flash(
            _(
                "Someone changed the draft while you were editing. Copy your changes, "
                "reload the page and apply them again."
            ),
            "error",
        )
        return _render_editor(quiz, form, problems=problems, preview=preview, status=409)
    db.session.commit()
    flash(_("Imported into the draft: check it, then publish it."), "success")
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)


NEW_QUIZ_TEMPLATE = """id: my-new-quiz
title: My new quiz
pass_mark: 80
attempts: 3
cooldown_minutes: 10
questions:
  - id: first-question
    type: single
    stem: Write the question here.
    options:
      - id: right
        text: The right answer
        correct: true
      - id: wrong
        text: A wrong answer
"""


def _new_form(formdata: Any = None) -> NewQuizForm:
    form = NewQuizForm(formdata=formdata) if formdata is not None else NewQuizForm(formdata=None)
    form.provider.choices = [
        SelectChoice(p.id, p.name) for p in editable_providers(db.session, current_user)
    ]
    return form


@bp.get("/trainer/quizzes/new")
@roles_required(*TRAINERS)
def quiz_new():
    """A new quiz, written in the quiz file format."""
    form = _new_form()
    form.source.data = NEW_QUIZ_TEMPLATE
    return _render_editor(None, form)


@bp.post("/trainer/quizzes/create")
@roles_required(*TRAINERS)
def quiz_create():
    """Check and preview a new quiz, or create it (version 1)."""
    form = _new_form(request.form)
    if not form.validate_on_submit():
        return _render_editor(None, form, status=400)
    if not may(current_user, Action.EDIT_CONTENT, form.provider.data):
        return _render_editor(None, form, status=400)
    text = form.source.data.replace("\r\n", "\n")
    definition, problems = quiz_format.parse_quiz_text(text, "new.yaml")
    problems = [as_problem(p) for p in problems]
    module_id = None
    if definition is not None:
        if quiz_by_slug(db.session, definition.id) is not None:
            problems.append(
                make_problem(
                    "",
                    key_line(text, "id"),
                    N_("there is already a quiz with the id '%(id)s'"),
                    id=definition.id,
                )
            )
        module_id, found = owner_problems(definition, text, form.provider.data)
        problems += found
    has_errors = any(p.is_error for p in problems)
    preview = preview_questions(definition.all_questions()) if definition is not None else None
    if has_errors or request.form.get("action") != "save":
        return _render_editor(
            None, form, problems=problems, preview=preview, status=400 if has_errors else 200
        )
    quiz = drafts.create_quiz(
        db.session,
        definition,
        provider_id=form.provider.data,
        module_id=module_id,
        now=clock.now(),
        actor_id=current_user.id,
    )
    db.session.commit()
    flash(_("The quiz has been created as a draft: publish it when it is ready."), "success")
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)
