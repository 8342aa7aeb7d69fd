"""An option that lacks its id or text is reported on its line, never a crash."""

from pathlib import Path

import pytest

from app.assessment.quiz_format import parse_quiz_text

QUIZ = Path(__file__).resolve().parents[2] / "quizzes" / "aide-autonomie-quiz.yaml"


@pytest.mark.parametrize(
    ("original", "broken"),
    [
        ("      - id: give-back\n", "      - i{: give-back\n"),  # the id key mistyped
        ("      - id: give-back\n", "      - correct: true\n"),  # no id at all
    ],
)
def test_an_option_without_its_id_is_an_error_not_a_crash(original, broken):
    text = QUIZ.read_text(encoding="utf-8")
    assert original in text
    quiz, problems = parse_quiz_text(text.replace(original, broken, 1), QUIZ.name)
    assert quiz is None
    assert problems, "the broken option must be reported"
    assert all(problem.line for problem in problems)
