"""Item analysis on hand-made attempts: facility, discrimination, options, time and flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.assessment.item_analysis import (
    NEGATIVE_DISCRIMINATION,
    STRONG_CHOOSE_WRONG,
    TOO_EASY,
    TOO_HARD,
    analyse_quiz,
    pearson,
    score_bins,
    select_attempts,
)
from app.assessment.item_analysis_data import (
    AnswerData,
    AttemptData,
    OptionKey,
    QuestionKey,
)

T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)

EASY = QuestionKey(
    "easy",
    "single",
    options=(OptionKey("a", "Right", True), OptionKey("b", "Wrong", False)),
)
HARD = QuestionKey(
    "hard",
    "single",
    options=(OptionKey("a", "Right", True), OptionKey("b", "Wrong", False)),
)
# Strong learners pick "jargon" (wrong); weak ones guess "right".
TRICKY = QuestionKey(
    "tricky",
    "single",
    options=(
        OptionKey("right", "Right", True),
        OptionKey("jargon", "Ortsabwesenheit", False),
        OptionKey("other", "Other", False),
    ),
)
GOOD = QuestionKey(
    "good",
    "single",
    options=(OptionKey("a", "Right", True), OptionKey("b", "Wrong", False)),
)
SOLID = [QuestionKey(f"solid{n}", "short") for n in (1, 2)]
ALL = [EASY, HARD, TRICKY, GOOD, *SOLID]


def attempt(n, answers, *, user=None, number=1, saved=None):
    """An attempt whose answers are (question_id, response, fraction)."""
    return AttemptData(
        attempt_id=n,
        user_id=user or n,
        number=number,
        started_at=T0,
        answers=tuple(
            AnswerData(qid, response, fraction, saved[i] if saved else None)
            for i, (qid, response, fraction) in enumerate(answers)
        ),
    )


def ten_attempts():
    """Ten learners: the first five strong (right on good and the solid questions, but
    misled by the jargon of "tricky"), the last five weak; only learner 1 gets "hard"."""
    rows = []
    for n in range(1, 11):
        strong = n <= 5
        rows.append(
            attempt(
                n,
                [
                    ("easy", "a", 1.0),
                    ("hard", "a" if n == 1 else "b", 1.0 if n == 1 else 0.0),
                    ("tricky", "jargon" if strong else "right", 0.0 if strong else 1.0),
                    ("good", "a" if strong else "b", 1.0 if strong else 0.0),
                    ("solid1", "x" if strong else "y", 1.0 if strong else 0.0),
                    ("solid2", "x" if strong else "y", 1.0 if strong else 0.0),
                ],
            )
        )
    return rows


def by_id(analysis):
    return {q.question_id: q for q in analysis.questions}


def test_facility_is_the_mean_score_and_flags_easy_and_hard():
    stats = by_id(analyse_quiz(ALL, ten_attempts()))
    assert stats["easy"].facility == 1.0
    assert stats["hard"].facility == pytest.approx(0.1)
    assert stats["good"].facility == pytest.approx(0.5)
    assert TOO_EASY in stats["easy"].flags
    assert TOO_HARD in stats["hard"].flags
    assert stats["good"].flags == ()


def test_discrimination_is_the_correlation_with_the_rest_of_the_test():
    stats = by_id(analyse_quiz(ALL, ten_attempts()))
    assert stats["easy"].discrimination is None  # no variance: undefined, not zero
    assert stats["good"].discrimination > 0.5
    assert stats["tricky"].discrimination < 0
    assert NEGATIVE_DISCRIMINATION in stats["tricky"].flags


def test_strong_learners_choosing_a_wrong_option_is_flagged():
    analysis = analyse_quiz(ALL, ten_attempts())
    tricky = by_id(analysis)["tricky"]
    assert STRONG_CHOOSE_WRONG in tricky.flags
    options = {o.key: o for o in tricky.options}
    assert options["jargon"].count == 5 and options["right"].count == 5
    assert options["jargon"].top_share == 1.0 and options["right"].top_share == 0.0
    assert options["right"].bottom_share == 1.0
    assert analysis.group_size == 3  # 27 % of 10 attempts, rounded


def test_upper_lower_index_uses_the_27_percent_groups():
    stats = by_id(analyse_quiz(ALL, ten_attempts()))
    assert stats["good"].upper_lower == pytest.approx(1.0)
    assert stats["tricky"].upper_lower == pytest.approx(-1.0)
    assert stats["easy"].upper_lower == pytest.approx(0.0)


def test_few_answers_raise_no_flags():
    few = ten_attempts()[:3]
    stats = by_id(analyse_quiz(ALL, few))
    assert all(q.flags == () for q in stats.values())
    assert not stats["easy"].has_enough_answers


def test_first_attempt_policy_keeps_each_learners_first():
    rows = [
        attempt(1, [("good", "b", 0.0)], user=7, number=1),
        attempt(2, [("good", "a", 1.0)], user=7, number=2),
        attempt(3, [("good", "a", 1.0)], user=8, number=1),
    ]
    assert [a.attempt_id for a in select_attempts(rows, "first")] == [1, 3]
    assert len(select_attempts(rows, "all")) == 3
    first = analyse_quiz([GOOD], rows, policy="first")
    everything = analyse_quiz([GOOD], rows, policy="all")
    assert by_id(first)["good"].facility == pytest.approx(0.5)
    assert by_id(everything)["good"].facility == pytest.approx(2 / 3)
    assert (first.attempts, first.learners) == (2, 2)
    with pytest.raises(ValueError):
        select_attempts(rows, "best")


def test_multiple_choice_counts_each_chosen_option():
    question = QuestionKey(
        "multi",
        "multiple",
        options=(OptionKey("a", "A", True), OptionKey("b", "B", True), OptionKey("c", "C", False)),
    )
    rows = [
        attempt(1, [("multi", ["a", "b"], 1.0)]),
        attempt(2, [("multi", ["a", "c"], 0.5)]),
        attempt(3, [("multi", None, 0.0)]),
    ]
    stat = analyse_quiz([question], rows).questions[0]
    counts = {o.key: o.count for o in stat.options}
    assert counts == {"a": 2, "b": 1, "c": 1}
    assert stat.answered == 2 and stat.unanswered == 1
    assert stat.facility == pytest.approx(0.5)


def test_true_false_and_open_responses():
    truefalse = QuestionKey(
        "tf",
        "truefalse",
        options=(OptionKey("true", "True", True), OptionKey("false", "False", False)),
    )
    short = QuestionKey("short", "short")
    rows = [
        attempt(1, [("tf", True, 1.0), ("short", "Steuer", 1.0)]),
        attempt(2, [("tf", "false", 0.0), ("short", " Steuer ", 1.0)]),
        attempt(3, [("tf", True, 1.0), ("short", "Abgabe", 0.0)]),
    ]
    stats = by_id(analyse_quiz([truefalse, short], rows))
    assert {o.key: o.count for o in stats["tf"].options} == {"true": 2, "false": 1}
    responses = {o.label: (o.count, o.is_correct) for o in stats["short"].options}
    assert responses == {"Steuer": (2, True), "Abgabe": (1, False)}


def test_average_time_comes_from_answers_saved_one_by_one():
    saved = [T0 + timedelta(seconds=30), T0 + timedelta(seconds=90)]
    together = [T0 + timedelta(minutes=5)] * 2
    rows = [
        attempt(1, [("easy", "a", 1.0), ("good", "a", 1.0)], saved=saved),
        attempt(2, [("easy", "a", 1.0), ("good", "a", 1.0)], saved=together),
    ]
    stats = by_id(analyse_quiz([EASY, GOOD], rows))
    assert stats["easy"].mean_seconds == pytest.approx(30)
    assert stats["good"].mean_seconds == pytest.approx(60)


def test_quiz_summary_and_alpha():
    analysis = analyse_quiz(ALL, ten_attempts())
    assert analysis.attempts == 10
    assert analysis.mean_percent == pytest.approx(155 / 3)
    assert analysis.median_percent == pytest.approx(50.0)
    assert analysis.alpha is not None
    assert score_bins(analysis.scores) == [0, 0, 0, 5, 0, 0, 4, 0, 1, 0]


def test_questions_answered_but_no_longer_in_the_quiz_are_still_shown():
    rows = [attempt(1, [("gone", "x", 1.0)])]
    stats = analyse_quiz([EASY], rows).questions
    assert [q.question_id for q in stats] == ["easy", "gone"]
    assert stats[0].asked == 0 and stats[0].facility is None


def test_pearson_edge_cases():
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert pearson([1, 2], [1, 2]) is None


def test_score_bins_put_100_in_the_last_bin():
    assert score_bins([0, 9.99, 10, 55, 100, None]) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 1]
