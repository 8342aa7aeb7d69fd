"""What the trainers' quiz pages share: access, problems with their lines, previews, downloads.

Trainers see and change only their providers' quizzes (another provider's quiz is a 404);
admins see all.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext as _

from app.assessment import drafts, presenters, yaml_help
from app.assessment.library import key_line
from app.assessment.models import Quiz
from app.assessment.queries import quiz_by_slug
from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.assessment.views import EDIT_QUIZ, language
from app.extensions import db
from app.i18n.formatting import format_decimal
from app.i18n.languages import text_in
from app.people.models import Role
from app.permissions import ensure
from app.web.problems import Problem

TRAINERS = (Role.TRAINER, Role.ADMIN)


def load_quiz(quiz_slug: str) -> Quiz:
    """The quiz of `quiz_slug`, or a 404 unless the user may edit it."""
    quiz = quiz_by_slug(db.session, quiz_slug)
    ensure(EDIT_QUIZ, quiz)
    return quiz


def located_problem(problem: Problem, text: str) -> tuple[int, str]:
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


def problem_rows(problems: list[Problem], text: str) -> list[dict[str, Any]]:
    """The problems as the pages list them: message, severity and the source line."""
    lines = text.splitlines()
    rows = []
    for problem in problems:
        line, message = located_problem(problem, text)
        rows.append(
            {
                "text": message,
                "is_error": problem.is_error,
                "source": lines[line - 1] if 0 < line <= len(lines) else "",
            }
        )
    return rows


def preview_questions(questions: tuple[Question, ...] | list[Question]) -> list[dict[str, Any]]:
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


def owner_problems(
    definition: QuizDefinition, text: str, provider_id: int
) -> tuple[int | None, list[Problem]]:
    """Find the module of a definition; it must belong to the quiz's provider."""
    return drafts.module_problems(db.session, definition, provider_id, key_line(text, "module"))


def download(text: str, filename: str, mimetype: str) -> Response:
    """A response that downloads `text` as `filename`."""
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
