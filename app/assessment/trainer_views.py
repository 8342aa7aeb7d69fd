"""Trainer pages: quiz list, YAML editor with preview, new quiz, GIFT upload, export, results.

Trainers see and change only their providers' quizzes (another provider's quiz is a 404);
admins see all. Saving always creates a new version; attempts keep the version they started.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.assessment import (
    drafts,
    gift_convert,
    gift_reader,
    presenters,
    quiz_dump,
    quiz_format,
    yaml_help,
)
from app.assessment.forms import MAX_GIFT_BYTES, GiftUploadForm, NewQuizForm, QuizSourceForm
from app.assessment.library import (
    as_problem,
    check_definition,
    export_quiz,
    export_quiz_gift,
    key_line,
    merge_questions,
)
from app.assessment.models import Quiz
from app.assessment.operations import definition_of
from app.assessment.queries import (
    editable_providers,
    quiz_by_slug,
    quiz_statistics,
    trainer_quiz_rows,
)
from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.assessment.views import EDIT_QUIZ, bp, language
from app.extensions import db
from app.i18n.languages import LANGUAGES, text_in
from app.i18n.markers import N_
from app.people.models import Role
from app.permissions import Action, ensure, may, roles_required
from app.platform.audit import record_event
from app.timekeeping import clock
from app.web.problems import Problem, make_problem

TRAINERS = (Role.TRAINER, Role.ADMIN)


def _load(quiz_slug: str) -> Quiz:
    quiz = quiz_by_slug(db.session, quiz_slug)
    ensure(EDIT_QUIZ, quiz)
    return quiz


def _located_problem(problem: Problem, text: str) -> tuple[int, str]:
    """The problem's line and its message in the trainer's language, naming the question.

    A YAML syntax error gets a plain-language explanation in front of the reader's own words,
    and the line where the mistake is (the reader may notice it a line or more later).
    """
    message = _(problem.template, **problem.params) if problem.template else problem.message
    line = problem.line
    if problem.template == yaml_help.INVALID_YAML and text:
        detail = str(problem.params.get("problem", ""))
        hint = yaml_help.explain_yaml_error(text, line, detail)
        line = hint.line
        if hint.explanation:
            message = _(
                "%(explanation)s (the YAML reader says: %(detail)s)",
                explanation=_(hint.explanation),
                detail=detail,
            )
    if line <= 0:
        return line, message
    place = yaml_help.question_at(text, line) if text else None
    if place is None:
        return line, _("line %(line)s: %(message)s", line=line, message=message)
    if place.id:
        return line, _(
            "line %(line)s, question %(number)s (id %(id)s): %(message)s",
            line=line,
            number=place.number,
            id=place.id,
            message=message,
        )
    return line, _(
        "line %(line)s, question %(number)s: %(message)s",
        line=line,
        number=place.number,
        message=message,
    )


def _problem_rows(problems: list[Problem], text: str) -> list[dict[str, Any]]:
    lines = text.splitlines()
    rows = []
    for problem in problems:
        line, message = _located_problem(problem, text)
        rows.append(
            {
                "text": message,
                "is_error": problem.is_error,
                "source": lines[line - 1] if 0 < line <= len(lines) else "",
            }
        )
    return rows


def _preview(questions: tuple[Question, ...] | list[Question]) -> list[dict[str, Any]]:
    """Every question as the learner sees it, with the answer key beside it (trainers only)."""
    lang = language()
    shown = []
    for number, question in enumerate(questions, start=1):
        view = presenters.learner_question(question, lang, None, None)
        view["number"] = number
        view["key"] = presenters.answer_key(question, lang, format_decimal)
        view["explanation_html"] = presenters.markdown_html(text_in(question.explanation, lang))
        shown.append(view)
    return shown


def _owner_problems(
    definition: QuizDefinition, text: str, provider_id: int
) -> tuple[int | None, list[Problem]]:
    """Find the module of a definition; it must belong to the quiz's provider."""
    return drafts.module_problems(db.session, definition, provider_id, key_line(text, "module"))


# -- list -----------------------------------------------------------------------------------


@bp.get("/trainer/quizzes")
@roles_required(*TRAINERS)
def trainer_quizzes():
    """List the quizzes of the trainer's providers (all for admins)."""
    rows = trainer_quiz_rows(db.session, current_user)
    lang = language()
    return render_template(
        "assessment/trainer_quizzes.html",
        rows=[
            dict(dataclasses.asdict(row), title=presenters.title_in(row.title, lang))
            for row in rows
        ],
        can_create=bool(editable_providers(db.session, current_user)),
        export_form=FlaskForm(),
    )


# -- format help ----------------------------------------------------------------------------

# The quiz format help written for trainers (kept beside the quiz library).
QUIZ_HELP_FILE = Path(__file__).resolve().parents[2] / "quizzes" / "README.md"


@functools.lru_cache(maxsize=4)
def _help_html(path: Path, modified_ns: int) -> str:
    """The help file through the one Markdown pipeline (cached until the file changes)."""
    return presenters.markdown_html(outdent_fences(path.read_text(encoding="utf-8")))


_INDENTED_FENCE_RE = re.compile(r"^( +)(```.*)$")


def outdent_fences(markdown: str) -> str:
    """Move code fences written inside a list item to the left margin.

    The Markdown pipeline only recognises fences at the margin; an indented one (as GitHub
    shows it) would otherwise come out as a paragraph of backticks.
    """
    lines = markdown.split("\n")
    indent = ""
    for number, line in enumerate(lines):
        if indent:
            lines[number] = line.removeprefix(indent)
            if line.strip().startswith("```"):
                indent = ""
            continue
        match = _INDENTED_FENCE_RE.match(line)
        if match:
            indent = match.group(1)
            lines[number] = match.group(2)
    return "\n".join(lines)


@bp.get("/trainer/quizzes/help")
@roles_required(*TRAINERS)
def quiz_format_help():
    """How to write a quiz file: the format help, readable in the browser."""
    try:
        modified_ns = QUIZ_HELP_FILE.stat().st_mtime_ns
    except OSError:
        abort(404)
    return render_template(
        "assessment/trainer_help.html", help_html=_help_html(QUIZ_HELP_FILE, modified_ns)
    )


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
            problems=_problem_rows(problems or [], form.source.data or ""),
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
    quiz = _load(quiz_slug)
    draft = drafts.draft_of(db.session, quiz)
    definition = drafts.working_definition(quiz, draft)
    form = QuizSourceForm(formdata=None)
    if definition is not None:
        form.source.data = quiz_dump.dump_quiz(definition)
    form.base_version.data = str(drafts.lock_of(draft))
    preview = _preview(definition.all_questions()) if definition else None
    return _render_editor(quiz, form, preview=preview)


@bp.post("/trainer/quizzes/<quiz_slug>/save")
@roles_required(*TRAINERS)
def quiz_edit_save(quiz_slug: str):
    """Check the quiz file; preview it, or import it as the draft (learners see no change)."""
    quiz = _load(quiz_slug)
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
        _module_id, found = _owner_problems(definition, text, quiz.provider_id)
        problems += found
    has_errors = any(p.is_error for p in problems)
    preview = _preview(definition.all_questions()) if definition is not None else None
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
        module_id, found = _owner_problems(definition, text, form.provider.data)
        problems += found
    has_errors = any(p.is_error for p in problems)
    preview = _preview(definition.all_questions()) if definition is not None else None
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
    return _render_gift(_load(quiz_slug), GiftUploadForm(formdata=None))


@bp.post("/trainer/quizzes/<quiz_slug>/gift/import")
@roles_required(*TRAINERS)
def gift_import(quiz_slug: str):
    """Preview a GIFT file (problems by line, questions as learners see them), or import it."""
    quiz = _load(quiz_slug)
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
        "problems": _problem_rows(problems, text),
        "preview": _preview(questions),
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


def _download(text: str, filename: str, mimetype: str) -> Response:
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/trainer/quizzes/<quiz_slug>/export/yaml")
@roles_required(*TRAINERS)
def export_yaml(quiz_slug: str):
    """Download the quiz file (YAML); a POST, because every export is written to the audit log."""
    quiz = _load(quiz_slug)
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
    return _download(text, f"{quiz.slug}.yaml", "application/yaml")


@bp.post("/trainer/quizzes/<quiz_slug>/export/gift")
@roles_required(*TRAINERS)
def export_gift(quiz_slug: str):
    """Download the quiz's questions as Moodle GIFT, in one language."""
    quiz = _load(quiz_slug)
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
    return _download(text, f"{quiz.slug}{suffix}.gift", "text/plain")


# -- results --------------------------------------------------------------------------------


@bp.get("/trainer/quizzes/<quiz_slug>/results")
@roles_required(*TRAINERS)
def quiz_results(quiz_slug: str):
    """Attempts, pass rate, mean score and per-question facility of a quiz."""
    quiz = _load(quiz_slug)
    stats = quiz_statistics(db.session, quiz)
    lang = language()
    known: dict[str, Question] = {}
    title = quiz.slug
    if quiz.current_version is not None:
        definition = definition_of(quiz.current_version)
        known = {question.id: question for question in definition.all_questions()}
        title = presenters.title_in(definition.title, lang)
    order = {qid: index for index, qid in enumerate(known)}
    rows = sorted(
        stats.questions, key=lambda row: (order.get(row.question_id, len(order)), row.question_id)
    )
    return render_template(
        "assessment/trainer_results.html",
        quiz=quiz,
        title=title,
        stats=stats,
        rows=[
            {
                "id": row.question_id,
                "stem": _short_stem(known.get(row.question_id), lang),
                "type": known[row.question_id].type if row.question_id in known else "",
                "asked": row.asked,
                "correct": row.correct,
                "facility": row.facility,
                "mean": row.mean_fraction,
            }
            for row in rows
        ],
    )


def _short_stem(question: Question | None, lang: str) -> str:
    if question is None:
        return ""
    return presenters.plain(text_in(question.stem, lang))[:120]
