"""The quiz editor in forms: the draft's questions, one form per question, settings, publish.

Every route loads the quiz, checks that the trainer edits its provider's content (another
provider's quiz is a 404), then calls one operation of `drafts` and commits once. GET never
writes: the draft is started by the first change. A form carries the draft's `lock`, so a
change made meanwhile by someone else is refused instead of overwritten.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessment import draft_forms, drafts, presenters
from app.assessment.draft_check import TYPE_LABELS, DraftIssue
from app.assessment.models import Quiz, QuizDraft
from app.assessment.questions import QUESTION_TYPES, Question
from app.assessment.questions import Quiz as QuizDefinition
from app.assessment.trainer_common import TRAINERS, load_quiz
from app.assessment.views import bp, language
from app.extensions import db
from app.i18n.languages import text_in
from app.permissions import roles_required
from app.timekeeping import clock

QUESTION_TEMPLATE = "assessment/trainer_question.html"
# The parts of a row that have their own input (a problem of the row's id stays on the row).
ROW_INPUTS = frozenset(
    ("text", "feedback", "weight", "value", "tolerance", "min", "max", "prompt", "match")
)


def issue_message(issue: DraftIssue) -> str:
    """A problem in the trainer's language, naming the question (or the settings) it is in."""
    problem = issue.problem
    message = _(problem.template, **problem.params) if problem.template else problem.message
    if issue.number is not None:
        kind = TYPE_LABELS.get(issue.question_type or "", issue.question_type or "?")
        return _(
            "Question %(number)s (%(type)s): %(message)s",
            number=issue.number,
            type=_(kind),
            message=message,
        )
    if issue.pool is not None:
        return _("Pool %(number)s: %(message)s", number=issue.pool, message=message)
    return _("Quiz settings: %(message)s", message=message)


def form_lock() -> int:
    """The draft lock the posted form was shown with (-1 when it is missing or garbled)."""
    try:
        return int(request.form.get("lock", ""))
    except ValueError:
        return -1


def conflict_redirect() -> Any:
    """Tell the trainer someone else changed the draft first, and show the draft again."""
    flash(
        _(
            "Someone changed this draft while you were editing it, so your change was not "
            "saved. Here is the draft as it is now: apply your change again."
        ),
        "error",
    )
    return redirect(url_for(".quiz_draft", quiz_slug=request.view_args["quiz_slug"]), 303)


def draft_state(quiz: Quiz) -> tuple[QuizDraft | None, QuizDefinition]:
    """The quiz's draft (if any) and what the editor shows: the draft, else the published one."""
    draft = drafts.draft_of(db.session, quiz)
    definition = drafts.working_definition(quiz, draft)
    if definition is None:
        abort(404)
    return draft, definition


# -- the list of questions --------------------------------------------------------------------


def render_draft(quiz: Quiz, issues: list[DraftIssue] | None = None, status: int = 200) -> Any:
    """The editor's page: the questions with their actions, and any problems found."""
    draft, definition = draft_state(quiz)
    lang = language()
    rows = []
    for question, pool in drafts.all_questions(definition):
        rows.append(
            {
                "id": question.id,
                "stem": presenters.plain(text_in(question.stem, lang))[:140],
                "type": _(TYPE_LABELS.get(question.type, question.type)),
                "points": question.points,
                "pool": definition.pools[pool].id if pool is not None else None,
            }
        )
    return (
        render_template(
            "assessment/trainer_draft.html",
            quiz=quiz,
            draft=draft,
            lock=drafts.lock_of(draft),
            title=presenters.title_in(definition.title, lang),
            definition=definition,
            rows=rows,
            types=[(kind, _(TYPE_LABELS[kind])) for kind in QUESTION_TYPES],
            issues=[
                {"text": issue_message(i), "is_error": i.is_error, "id": i.question_id}
                for i in issues or []
            ],
            has_errors=any(i.is_error for i in issues or []),
        ),
        status,
    )


@bp.get("/trainer/quizzes/<quiz_slug>/draft")
@roles_required(*TRAINERS)
def quiz_draft(quiz_slug: str):
    """The quiz editor: the draft's questions (or the published ones) with their actions."""
    return render_draft(load_quiz(quiz_slug))[0]


@bp.post("/trainer/quizzes/<quiz_slug>/draft/questions/<question_id>/move")
@roles_required(*TRAINERS)
def question_move(quiz_slug: str, question_id: str):
    """Move a question one place up or down."""
    quiz = load_quiz(quiz_slug)
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""), 0)
    try:
        drafts.move_question(
            db.session,
            quiz,
            question_id,
            offset,
            lock=form_lock(),
            now=clock.now(),
            actor_id=current_user.id,
        )
    except drafts.DraftConflict:
        db.session.rollback()
        return conflict_redirect()
    except drafts.DraftError:
        abort(404)
    db.session.commit()
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug, _anchor=f"row-{question_id}"), 303)


@bp.post("/trainer/quizzes/<quiz_slug>/draft/questions/<question_id>/delete")
@roles_required(*TRAINERS)
def question_delete(quiz_slug: str, question_id: str):
    """Take a question out of the draft."""
    quiz = load_quiz(quiz_slug)
    try:
        drafts.delete_question(
            db.session,
            quiz,
            question_id,
            lock=form_lock(),
            now=clock.now(),
            actor_id=current_user.id,
        )
    except drafts.DraftConflict:
        db.session.rollback()
        return conflict_redirect()
    except drafts.DraftError:
        abort(404)
    db.session.commit()
    flash(_("The question was removed from the draft."), "success")
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)


# -- one question -------------------------------------------------------------------------------


def _render_question(
    quiz: Quiz,
    definition: QuizDefinition,
    qtype: str,
    values: dict[str, str],
    *,
    question_id: str | None,
    lock: int,
    issues: list[DraftIssue] | None = None,
    row_map: draft_forms.RowMap | None = None,
    status: int = 200,
    original: Question | None = None,
) -> Any:
    errors: dict[str, list[str]] = {}
    for issue in issues or []:
        key = issue.field or "form"
        rows = (row_map or {}).get(issue.field or "")
        if issue.row is not None and rows and issue.row <= len(rows):
            key = f"{key}-{rows[issue.row - 1]}"
            if issue.part in ROW_INPUTS:
                key = f"{key}-{issue.part}"
        errors.setdefault(key, []).append(issue_message(issue))
    posted = [
        lang
        for lang in draft_forms.TEXT_LANGUAGES
        if any(name.endswith(f"-{lang}") and value for name, value in values.items())
    ]
    languages = draft_forms.languages_of(definition, original)
    languages += [lang for lang in posted if lang not in languages]
    return (
        render_template(
            QUESTION_TEMPLATE,
            quiz=quiz,
            qtype=qtype,
            type_label=_(TYPE_LABELS[qtype]),
            values=values,
            errors=errors,
            messages=[issue_message(i) for i in issues or [] if i.is_error],
            warnings=[issue_message(i) for i in issues or [] if not i.is_error],
            question_id=question_id,
            lock=lock,
            languages=[(lang, _(draft_forms.LANGUAGE_LABELS[lang])) for lang in languages],
            rows={
                field: draft_forms.rows_of(values, field)
                for field in draft_forms.LIST_FIELDS[qtype]
            },
        ),
        status,
    )


def _find_question(definition: QuizDefinition, question_id: str) -> Question:
    for question, _pool in drafts.all_questions(definition):
        if question.id == question_id:
            return question
    abort(404)


@bp.get("/trainer/quizzes/<quiz_slug>/draft/questions/new")
@roles_required(*TRAINERS)
def question_new(quiz_slug: str):
    """An empty form for a question of the chosen type."""
    quiz = load_quiz(quiz_slug)
    draft, definition = draft_state(quiz)
    qtype = request.args.get("type", "")
    if qtype not in QUESTION_TYPES:
        abort(404)
    blank = Question(id=draft_forms.new_id("q"), type=qtype, stem={})
    values = draft_forms.question_values(blank)
    return _render_question(
        quiz, definition, qtype, values, question_id=None, lock=drafts.lock_of(draft)
    )


@bp.get("/trainer/quizzes/<quiz_slug>/draft/questions/<question_id>")
@roles_required(*TRAINERS)
def question_edit(quiz_slug: str, question_id: str):
    """The form of one question, filled in."""
    quiz = load_quiz(quiz_slug)
    draft, definition = draft_state(quiz)
    question = _find_question(definition, question_id)
    values = draft_forms.question_values(question)
    return _render_question(
        quiz,
        definition,
        question.type,
        values,
        question_id=question_id,
        lock=drafts.lock_of(draft),
        original=question,
    )


def _save_question(quiz: Quiz, question_id: str | None, qtype: str) -> Any:
    draft, definition = draft_state(quiz)
    original = _find_question(definition, question_id) if question_id else None
    values = request.form.to_dict()
    lock = form_lock()
    if request.form.get("action") == "more_rows":
        # Without JavaScript, more rows come from the server: nothing is saved yet.
        for field in draft_forms.LIST_FIELDS[qtype]:
            shown = draft_forms.rows_of(values, field)
            values[f"{field}-rows"] = str(min(draft_forms.MAX_ROWS, shown + draft_forms.EXTRA_ROWS))
        return _render_question(
            quiz, definition, qtype, values, question_id=question_id, lock=lock, original=original
        )
    question, row_map = draft_forms.read_question(request.form, qtype)
    values["id"] = question.id
    try:
        issues = drafts.save_question(
            db.session,
            quiz,
            question,
            replaces=question_id,
            lock=lock,
            now=clock.now(),
            actor_id=current_user.id,
        )
    except drafts.DraftConflict:
        db.session.rollback()
        return conflict_redirect()
    blocking = [
        i for i in issues if i.is_error and (i.question_id == question.id or i.number is None)
    ]
    if blocking:
        db.session.rollback()
        mine = [i for i in issues if i.question_id == question.id or i.number is None]
        return _render_question(
            quiz,
            definition,
            qtype,
            values,
            question_id=question_id,
            lock=lock,
            issues=mine,
            row_map=row_map,
            status=400,
            original=original,
        )
    db.session.commit()
    flash(_("The question was saved in the draft."), "success")
    for issue in issues:
        if not issue.is_error and issue.question_id == question.id:
            flash(issue_message(issue), "warning")
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug, _anchor=f"row-{question.id}"), 303)


@bp.post("/trainer/quizzes/<quiz_slug>/draft/questions")
@roles_required(*TRAINERS)
def question_create(quiz_slug: str):
    """Add a question to the draft (checked first: nothing is stored if it breaks a rule)."""
    quiz = load_quiz(quiz_slug)
    qtype = request.form.get("type", "")
    if qtype not in QUESTION_TYPES:
        abort(400)
    return _save_question(quiz, None, qtype)


@bp.post("/trainer/quizzes/<quiz_slug>/draft/questions/<question_id>/save")
@roles_required(*TRAINERS)
def question_save(quiz_slug: str, question_id: str):
    """Replace a question of the draft by the posted form (checked first)."""
    quiz = load_quiz(quiz_slug)
    _draft, definition = draft_state(quiz)
    return _save_question(quiz, question_id, _find_question(definition, question_id).type)
