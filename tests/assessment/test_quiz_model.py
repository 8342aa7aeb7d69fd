"""Tests for the in-memory quiz model: language choice and the exact JSON round trip."""

import json

from app.assessment.questions import (
    Item,
    NumericAnswer,
    Option,
    Pair,
    Pool,
    Question,
    Quiz,
    ShortAnswer,
)
from app.i18n.languages import text_in


def test_quiz_texts_use_the_one_fallback_order_language_then_neutral_text_then_de_fr_it_en():
    assert text_in({"de": "Hallo", "fr": "Salut"}, "fr") == "Salut"
    assert text_in({"und": "Hi", "de": "Hallo"}, "it") == "Hi"
    assert text_in({"fr": "Salut", "de": "Hallo"}, "it") == "Hallo"
    assert text_in({"en": "Hi"}, "it") == "Hi"
    assert text_in({}, "de") == ""
    assert text_in({"de": "Hallo"}, None) == "Hallo"


def test_numeric_answer_bounds():
    assert NumericAnswer(value=8, tolerance=0.5).bounds == (7.5, 8.5)
    assert NumericAnswer(min=1, max=5).bounds == (1, 5)


def _every_kind_of_question() -> tuple[Question, ...]:
    return (
        Question(
            id="s",
            type="single",
            stem={"de": "Frage", "fr": "Question"},
            explanation={"und": "Why"},
            tags=("a", "b"),
            options=(
                Option(id="x", text={"und": "X"}, correct=True, feedback={"und": "yes"}),
                Option(id="y", text={"und": "Y"}),
            ),
        ),
        Question(
            id="m",
            type="multiple",
            stem={"und": "Pick"},
            points=2.5,
            options=(
                Option(id="x", text={"und": "X"}, weight=100),
                Option(id="y", text={"und": "Y"}, weight=-33.3),
            ),
        ),
        Question(
            id="t",
            type="truefalse",
            stem={"und": "True?"},
            answer=False,
            feedback_true={"und": "no"},
            feedback_false={"und": "right"},
        ),
        Question(
            id="sh",
            type="short",
            stem={"und": "Name?"},
            answers=(ShortAnswer(text="Bern"), ShortAnswer(text="B*", weight=50)),
            case_sensitive=True,
            accent_sensitive=True,
        ),
        Question(
            id="n",
            type="numeric",
            stem={"und": "How many?"},
            answers=(NumericAnswer(value=3, tolerance=0.5), NumericAnswer(min=1, max=5, weight=50)),
        ),
        Question(
            id="ma",
            type="matching",
            stem={"und": "Match"},
            pairs=(
                Pair(id="p1", prompt={"und": "A"}, match={"und": "1"}),
                Pair(id="p2", prompt={"und": "B"}, match={"und": "2"}),
            ),
            distractors=({"und": "3"},),
        ),
        Question(
            id="o",
            type="ordering",
            stem={"und": "Order"},
            items=(Item(id="x", text={"und": "X"}), Item(id="y", text={"und": "Y"})),
        ),
    )


def test_quiz_to_dict_and_from_dict_round_trip_through_json():
    questions = _every_kind_of_question()
    quiz = Quiz(
        id="quiz",
        module_id="module",
        title={"de": "Titel"},
        pass_mark=66.5,
        attempts=2,
        cooldown_minutes=5,
        time_limit_minutes=10,
        score_policy="last",
        shuffle_questions=True,
        shuffle_options=True,
        layout="one_per_page",
        review="after_pass",
        questions=questions[:4],
        pools=(Pool(id="pool", draw=2, questions=questions[4:]),),
    )
    restored = Quiz.from_dict(json.loads(json.dumps(quiz.to_dict())))
    assert restored == quiz
    assert restored.question("n").answers[1].min == 1
    assert len(quiz.all_questions()) == 7


def test_question_round_trip_keeps_fields_of_other_types():
    odd = Question(
        id="odd",
        type="single",
        stem={"und": "?"},
        items=(Item(id="i", text={"und": "I"}),),
        distractors=({"und": "d"},),
        answer=True,
    )
    assert Question.from_dict(json.loads(json.dumps(odd.to_dict()))) == odd
