"""Trainer pages: the quiz list, the quiz format help and a quiz's results.

The YAML editor and new quizzes are `quiz_source_views`; GIFT import and the exports are
`quiz_transfer_views`. Saving always creates a new version; attempts keep the version they
started.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

from flask import abort, render_template
from flask_login import current_user
from flask_wtf import FlaskForm

from app.assessment import presenters
from app.assessment.operations import definition_of
from app.assessment.questions import Question
from app.assessment.trainer_common import TRAINERS, load_quiz
from app.assessment.trainer_queries import editable_providers, quiz_statistics, trainer_quiz_rows
from app.assessment.views import bp, language
from app.extensions import db
from app.i18n.languages import text_in
from app.permissions import roles_required

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


# -- results --------------------------------------------------------------------------------


@bp.get("/trainer/quizzes/<quiz_slug>/results")
@roles_required(*TRAINERS)
def quiz_results(quiz_slug: str):
    """Attempts, pass rate, mean score and per-question facility of a quiz."""
    quiz = load_quiz(quiz_slug)
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
