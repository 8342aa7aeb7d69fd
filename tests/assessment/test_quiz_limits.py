"""Maximums on what trainers set: refused by the format and the editor, clamped for old rows."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from app.assessment.models import QuizVersion
from app.assessment.questions import (
    MAX_COOLDOWN_MINUTES,
    MAX_TIME_LIMIT_MINUTES,
    Quiz,
)
from app.assessment.quiz_format import parse_quiz_text
from app.assessment.quiz_schema import MAX_QUESTIONS, MAX_QUIZ_CHARS
from app.extensions import db
from app.people.models import Role
from tests.assessment.quiz_factories import make_quiz, quiz_yaml, start, submit, token_of
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user
from tests.fuzz.corpus import QUIZZES


def errors(text: str) -> list[tuple[int, str]]:
    """(line, message) of every error in a quiz text."""
    _quiz, problems = parse_quiz_text(text, "q.yaml")
    return [(p.line, p.message) for p in problems if p.is_error]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("time_limit_minutes: 10000000000", "'time_limit_minutes' must be at most 600"),
        ("cooldown_minutes: 100000", "'cooldown_minutes' must be at most 43200"),
        ("attempts: 1000", "'attempts' must be at most 100"),
        ("attempts: " + "9" * 5000, "'attempts' must be at most 100"),
        ("pass_mark: 1.0e+300", "'pass_mark' must be between -1000000000000 and 1000000000000"),
    ],
)
def test_settings_over_their_maximum_are_refused_on_their_line(setting, message):
    text = (
        setting
        + "\n"
        + "\n".join(
            line
            for line in quiz_yaml().splitlines()
            if not line.startswith(setting.split(":")[0] + ":")
        )
    )
    assert errors(text) == [(1, message)]


def test_numbers_in_questions_have_maximums():
    text = quiz_yaml().replace("    type: single\n", "    type: single\n    points: 1000\n", 1)
    assert any("'points' must be at most 100" in m for _line, m in errors(text))


def test_a_question_without_a_stem_is_an_error_not_a_crash():
    text = "id: q\ntitle: Q\npass_mark: 50\nquestions:\n  - id: a\n    type: truefalse\n"
    text += "    answer: true\n"
    assert errors(text) == [(5, "missing required key 'stem'")]


def test_nesting_aliases_and_size_are_refused_before_the_work():
    nested = "id: q\ntitle: " + "[" * 50_000 + "]" * 50_000 + "\npass_mark: 50\n"
    assert errors(nested)[0][0] == 2 and "nested too deeply" in errors(nested)[0][1]
    bomb = "a: &a [x, x]\nb: [*a, *a]\n"
    assert "aliases" in errors(bomb)[0][1]
    started = time.process_time()
    huge = quiz_yaml() + "# " + "x" * 2_500_000 + "\n"
    assert errors(huge) == [
        (1, f"the quiz is too large ({len(huge)} characters, at most {MAX_QUIZ_CHARS})")
    ]
    assert time.process_time() - started < 0.1


def largest_accepted_quiz() -> str:
    """A valid quiz just under the size limit, made of copies of a shipped quiz's questions."""
    source = (QUIZZES / "guichet-virtuel-compte-quiz.yaml").read_text()
    head, _, questions = source.partition("\nquestions:\n")
    copies = []
    size = len(head) + 12
    for number in range(MAX_QUESTIONS):
        block = ("\n" + questions.rstrip("\n")).replace("\n  - id: ", f"\n  - id: c{number}-")
        if size + len(block) > MAX_QUIZ_CHARS:
            break
        copies.append(block)
        size += len(block)
    return head + "\nquestions:" + "".join(copies) + "\n"


def test_the_largest_accepted_quiz_is_read_in_under_a_second():
    text = largest_accepted_quiz()
    assert len(text) <= MAX_QUIZ_CHARS
    started = time.process_time()
    quiz, problems = parse_quiz_text(text, "largest.yaml")
    spent = time.process_time() - started
    assert quiz is not None, [str(p) for p in problems if p.is_error][:3]
    assert spent < 1.0, f"{len(text)} characters read in {spent:.2f} s"
    tracemalloc.start()  # measured apart: tracing makes the parse several times slower
    parse_quiz_text(text, "largest.yaml")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_stored_quizzes_over_the_limits_are_clamped(app):
    quiz = Quiz.from_dict(
        {
            "id": "q",
            "title": {"und": "Q"},
            "pass_mark": 50,
            "time_limit_minutes": 10**10,
            "cooldown_minutes": 10**12,
        }
    )
    assert quiz.time_limit_minutes == MAX_TIME_LIMIT_MINUTES
    assert quiz.cooldown_minutes == MAX_COOLDOWN_MINUTES


def test_learner_pages_survive_a_quiz_saved_before_the_limits(app):
    org = make_org()
    quiz = make_quiz(org.provider, attempts=3)
    version = db.session.get(QuizVersion, quiz.current_version_id)
    definition = dict(version.definition)
    definition.update(time_limit_minutes=10_000_000_000, cooldown_minutes=10**15)
    version.definition = definition
    db.session.commit()
    learner = app.test_client()
    login_as(learner, make_user(org.branch_a1))
    attempt_id = start(learner, quiz)  # was a 500: the deadline overflowed a datetime
    token = token_of(learner, attempt_id)
    assert submit(learner, attempt_id, token).status_code == 303
    page = learner.get(f"/quizzes/{quiz.slug}")  # was a 500 for everyone who had submitted
    assert page.status_code == 200


def test_the_editor_names_the_line_of_a_setting_over_its_maximum(app):
    org = make_org()
    quiz = make_quiz(org.provider)
    trainer = app.test_client()
    login_as(trainer, make_user(org.branch_a1, Role.TRAINER, provider=org.provider))
    page = trainer.get(f"/trainer/quizzes/{quiz.slug}/edit").get_data(as_text=True)
    source = "time_limit_minutes: 10000000000\n" + quiz_yaml()
    reply = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/save",
        data={
            "csrf_token": csrf_token_from(page),
            "source": source,
            "base_version": "1",
            "action": "save",
        },
    )
    assert reply.status_code == 400
    assert "time_limit_minutes" in reply.get_data(as_text=True)
    assert "at most 600" in reply.get_data(as_text=True)
