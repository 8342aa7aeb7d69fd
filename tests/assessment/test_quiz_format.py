"""Tests for quiz files: every problem names its exact line; dump and parse round-trip."""

import re
import textwrap
from pathlib import Path

import pytest

from app.assessment.quiz_dump import dump_quiz
from app.assessment.quiz_format import parse_quiz_file, parse_quiz_text
from app.i18n.languages import UNDETERMINED
from app.web.problems import ERROR, WARNING, Problem

README = Path(__file__).resolve().parents[2] / "quizzes" / "README.md"

HEADER = """\
id: check
title: A check
pass_mark: 80
questions:
"""
# Questions appended to HEADER start on line 5.


def problems(text: str) -> list[tuple[int, str, str]]:
    """Return (line, severity, message) for every problem of a quiz text."""
    _, found = parse_quiz_text(textwrap.dedent(text), "quiz.yaml")
    return [(p.line, p.severity, p.message) for p in found]


def errors_in(questions: str) -> list[tuple[int, str]]:
    """Return (line, message) of the errors of HEADER followed by the given questions."""
    text = HEADER + textwrap.dedent(questions)
    _, found = parse_quiz_text(text, "quiz.yaml")
    return [(p.line, p.message) for p in found if p.severity == ERROR]


def single(question_id: str = "q1") -> str:
    return f"""\
      - id: {question_id}
        type: single
        stem: Which?
        options:
          - id: a
            text: A
            correct: true
          - id: b
            text: B
    """


def test_valid_quiz_parses_with_defaults():
    quiz, found = parse_quiz_text(HEADER + textwrap.dedent(single()), "quiz.yaml")
    assert found == []
    assert quiz is not None
    assert quiz.title == {UNDETERMINED: "A check"}
    assert (quiz.attempts, quiz.cooldown_minutes, quiz.time_limit_minutes) == (0, 0, None)
    assert (quiz.score_policy, quiz.layout, quiz.review) == (
        "highest",
        "all_at_once",
        "after_pass_or_last_attempt",
    )
    assert quiz.shuffle_questions is False and quiz.shuffle_options is False
    question = quiz.questions[0]
    assert question.points == 1
    assert [o.correct for o in question.options] == [True, False]


def test_problem_str_is_file_line_message():
    problem = Problem("quizzes/a.yaml", 7, "unknown key 'x'")
    assert str(problem) == "quizzes/a.yaml:7: unknown key 'x'"


def test_problem_keeps_template_and_params_for_translation():
    _, found = parse_quiz_text(HEADER + "    - id: q\n      type: essay\n", "f.yaml")
    problem = found[0]
    assert problem.template % problem.params == problem.message


def test_invalid_yaml_names_the_line_yaml_reports():
    text = HEADER + single() + "        feedback: Note: this breaks\n"
    _, found = parse_quiz_text(text, "quiz.yaml")
    assert [(p.line, p.severity) for p in found] == [(14, ERROR)]
    assert found[0].message.startswith("invalid YAML:")
    assert str(found[0]).startswith("quiz.yaml:14: invalid YAML:")


def test_invalid_yaml_unclosed_bracket():
    found = problems("id: check\ntitle: [A check\npass_mark: 80\n")
    assert found[0][1] == ERROR and found[0][2].startswith("invalid YAML")
    assert found[0][0] in (2, 3)


def test_tab_indentation_is_invalid_yaml_with_line():
    found = problems("id: check\ntitle: x\npass_mark: 80\nquestions:\n\t- id: q\n")
    assert found[0][0] == 5


def test_empty_file_and_wrong_top_level():
    assert problems("") == [(1, ERROR, "the file is empty")]
    assert problems("# only a comment\n") == [(1, ERROR, "the file is empty")]
    assert problems("- a\n- b\n")[0][:2] == (1, ERROR)


def test_unknown_key_at_top_level_and_in_question():
    text = HEADER.replace("pass_mark: 80\n", "pass_mark: 80\ncolour: red\n") + single()
    found = problems(text)
    assert found == [
        (4, ERROR, found[0][2]),
    ]
    assert "unknown key 'colour'" in found[0][2]
    errors = errors_in(single().replace("stem: Which?", "stem: Which?\n        hint: no"))
    assert errors == [(8, errors[0][1])]
    assert "unknown key 'hint'" in errors[0][1] and "allowed here:" in errors[0][1]


def test_key_of_another_type_is_unknown():
    errors = errors_in(single().replace("stem: Which?", "stem: Which?\n        answer: true"))
    assert [line for line, _ in errors] == [8]


def test_missing_required_keys():
    found = problems("id: check\ntitle: T\nquestions: []\n")
    assert (1, ERROR, "missing required key 'pass_mark'") in found
    errors = errors_in("  - id: q1\n    type: single\n    options: []\n")
    assert (5, "missing required key 'stem'") in errors
    errors = errors_in("  - id: q1\n    stem: S\n")
    assert errors == [(5, "missing required key 'type'")]
    errors = errors_in("  - id: q1\n    type: truefalse\n    stem: S\n")
    assert errors == [(5, "missing required key 'answer'")]


@pytest.mark.parametrize(
    ("line", "replacement", "message"),
    [
        ("pass_mark: 80", "pass_mark: high", "'pass_mark' must be a number"),
        ("pass_mark: 80", "pass_mark: 120", "'pass_mark' must be between 0 and 100"),
        ("pass_mark: 80", "pass_mark: -1", "'pass_mark' must be between 0 and 100"),
        ("pass_mark: 80", "pass_mark: .nan", "'pass_mark' must be a finite number"),
        ("pass_mark: 80", "pass_mark: 80\nattempts: -1", "'attempts' must be at least 0"),
        ("pass_mark: 80", "pass_mark: 80\nattempts: 1.5", "'attempts' must be a whole number"),
        ("pass_mark: 80", "pass_mark: 80\nattempts: !!str 3", "'attempts' must be a whole number"),
        (
            "pass_mark: 80",
            "pass_mark: 80\ntime_limit_minutes: 0",
            "'time_limit_minutes' must be at least 1",
        ),
        (
            "pass_mark: 80",
            "pass_mark: 80\nshuffle_questions: maybe",
            "'shuffle_questions' must be true or false",
        ),
        (
            "pass_mark: 80",
            "pass_mark: 80\nscore: best",
            "'score' must be one of highest, last, not 'best'",
        ),
        (
            "pass_mark: 80",
            "pass_mark: 80\nlayout: grid",
            "'layout' must be one of all_at_once, one_per_page, not 'grid'",
        ),
        (
            "pass_mark: 80",
            "pass_mark: 80\nreview: always",
            "'review' must be one of after_pass_or_last_attempt, after_submit, after_pass, never,"
            " not 'always'",
        ),
        (
            "id: check",
            "id: Check Quiz",
            "'id' must be a lowercase slug (a-z, 0-9 and -): 'Check Quiz'",
        ),
    ],
)
def test_wrong_values_in_quiz_settings(line, replacement, message):
    text = HEADER.replace(line, replacement) + single()
    expected_line = replacement.count("\n") + HEADER.splitlines().index(line) + 1
    found = problems(text)
    assert found == [(expected_line, ERROR, message)]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("stem: Which?", "stem: Which?\n        points: two", 8, "'points' must be a number"),
        ("stem: Which?", "stem: Which?\n        points: 0", 8, "'points' must be more than 0"),
        ("stem: Which?", "stem: Which?\n        tags: urgent", 8, "'tags' must be a list"),
        ("correct: true", "correct: yes please", 11, "'correct' must be true or false"),
        (
            "- id: q1",
            "- id: q 1",
            5,
            "'id' may contain only letters, digits, '-', '_' and '.': 'q 1'",
        ),
    ],
)
def test_wrong_values_in_questions(old, new, line, message):
    assert errors_in(single().replace(old, new)) == [(line, message)]


def test_duplicate_yaml_key():
    errors = errors_in(single().replace("stem: Which?", "stem: Which?\n        stem: Again?"))
    assert errors == [(8, "duplicate key 'stem' (first on line 7)")]


def test_duplicate_question_ids_across_questions_and_pools():
    text = (
        HEADER + textwrap.dedent(single("q1")) + "pools:\n  - id: p\n    draw: 1\n    questions:\n"
    )
    text += textwrap.indent(textwrap.dedent(single("q1")), "    ")
    _, found = parse_quiz_text(text, "quiz.yaml")
    assert [(p.line, p.message) for p in found] == [
        (18, "duplicate question id 'q1' (first on line 5)")
    ]


def test_duplicate_option_ids():
    errors = errors_in(single().replace("- id: b", "- id: a"))
    assert errors == [(12, "duplicate option id 'a' (first on line 9)")]


def test_single_choice_needs_exactly_one_correct():
    none_correct = single().replace("correct: true", "correct: false")
    assert errors_in(none_correct) == [
        (8, "a single-choice question needs exactly one correct option, found 0")
    ]
    two_correct = single().replace("text: B", "text: B\n            correct: true")
    assert errors_in(two_correct) == [
        (8, "a single-choice question needs exactly one correct option, found 2")
    ]


def test_choice_question_needs_two_options():
    one = (
        "  - id: q\n    type: single\n    stem: S\n    options:\n"
        "      - {id: a, text: A, correct: true}\n"
    )
    assert errors_in(one) == [(8, "a choice question needs at least 2 options")]


MULTIPLE = """\
  - id: q
    type: multiple
    stem: Which?
    options:
      - id: a
        text: A
        weight: 50
      - id: b
        text: B
        weight: 40
      - id: c
        text: C
        weight: -100
"""


def test_multiple_choice_positive_weights_must_sum_to_100():
    assert errors_in(MULTIPLE) == [
        (8, "the positive weights must add up to 100, they add up to 90")
    ]
    assert errors_in(MULTIPLE.replace("weight: 40", "weight: 50")) == []
    thirds = MULTIPLE.replace("weight: 50", "weight: 33.33").replace("weight: 40", "weight: 33.33")
    thirds = thirds.replace("weight: -100", "weight: 33.34")
    assert errors_in(thirds) == []
    assert errors_in(MULTIPLE.replace("weight: -100", "weight: -150")) == [
        (17, "'weight' must be between -100 and 100")
    ]


NUMERIC = """\
  - id: q
    type: numeric
    stem: How many?
    answers:
      - value: 3
        tolerance: 1
"""


@pytest.mark.parametrize(
    ("answer", "line", "message"),
    [
        ("      - weight: 100\n", 11, "a numeric answer needs 'value' or 'min' and 'max'"),
        ("      - feedback: Hm\n", 11, "a numeric answer needs 'value' or 'min' and 'max'"),
        ("      - min: 5\n        max: 1\n", 11, "'min' must not be greater than 'max'"),
        ("      - min: 1\n", 11, "missing required key 'max'"),
        ("      - max: 1\n", 11, "missing required key 'min'"),
        ("      - value: 2\n        tolerance: -0.5\n", 12, "'tolerance' must not be negative"),
        (
            "      - value: 2\n        min: 1\n        max: 3\n",
            11,
            "a numeric answer has either 'value' or 'min'/'max'",
        ),
        (
            "      - min: 1\n        max: 3\n        tolerance: 1\n",
            13,
            "'tolerance' goes with 'value' only",
        ),
        ("      - value: three\n", 11, "'value' must be a number"),
    ],
)
def test_numeric_answer_problems(answer, line, message):
    assert errors_in(NUMERIC + answer) == [(line, message)]


def test_numeric_and_short_without_full_marks_warn():
    text = HEADER + NUMERIC.replace("tolerance: 1", "tolerance: 1\n        weight: 50")
    quiz, found = parse_quiz_text(text, "quiz.yaml")
    assert quiz is not None
    assert [(p.line, p.severity, p.message) for p in found] == [
        (8, WARNING, "no answer gives full marks (weight 100)")
    ]


def test_short_answer_problems():
    short = "  - id: q\n    type: short\n    stem: Name?\n    answers:\n"
    assert errors_in(short + "      - text: '  '\n") == [(9, "'text' is empty")]
    assert errors_in(short + "      - text: {de: Bern, fr: Berne}\n") == [
        (
            9,
            "an accepted answer is one text: list each language's answer as a separate answer",
        )
    ]
    assert errors_in(short + "      - text: Bern\n        weight: 120\n") == [
        (10, "'weight' must be between 0 and 100")
    ]
    assert errors_in(short.replace("    answers:\n", "    answers: []\n")) == [
        (8, "a question needs at least one answer")
    ]


def test_unknown_question_type():
    errors = errors_in("  - id: q\n    type: essay\n    stem: Tell me\n")
    assert errors == [
        (
            6,
            "unknown question type 'essay' (use single, multiple, truefalse, short, numeric, "
            "matching, ordering)",
        )
    ]


@pytest.mark.parametrize("stem", ["''", "'   '", "", "{de: '', fr: ' '}"])
def test_empty_stem(stem):
    errors = errors_in(single().replace("stem: Which?", f"stem: {stem}"))
    assert errors == [(7, "'stem' is empty")]


def test_matching_needs_two_pairs_and_ordering_two_items():
    matching = (
        "  - id: q\n    type: matching\n    stem: Match\n    pairs:\n"
        "      - {id: p1, prompt: A, match: '1'}\n"
    )
    assert errors_in(matching) == [(8, "a matching question needs at least 2 pairs")]
    ordering = (
        "  - id: q\n    type: ordering\n    stem: Order\n    items:\n      - {id: x, text: X}\n"
    )
    assert errors_in(ordering) == [(8, "an ordering question needs at least 2 items")]


def test_duplicate_pair_and_item_ids():
    matching = (
        "  - id: q\n    type: matching\n    stem: Match\n    pairs:\n"
        "      - {id: p1, prompt: A, match: '1'}\n"
        "      - {id: p1, prompt: B, match: '2'}\n"
    )
    assert errors_in(matching) == [(10, "duplicate pair id 'p1' (first on line 9)")]


def test_ordering_ids_that_count_up_warn():
    ordering = (
        "  - id: q\n    type: ordering\n    stem: Order\n    items:\n"
        "      - {id: step1, text: X}\n      - {id: step2, text: Y}\n"
    )
    quiz, found = parse_quiz_text(HEADER + ordering, "quiz.yaml")
    assert quiz is not None
    assert [(p.line, p.severity) for p in found] == [(8, WARNING)]
    shuffled_ids = ordering.replace("step1", "login").replace("step2", "confirm")
    assert parse_quiz_text(HEADER + shuffled_ids, "quiz.yaml")[1] == []


def test_language_must_be_de_fr_it_or_en():
    errors = errors_in(
        single().replace("stem: Which?", "stem:\n          de: Welche?\n          es: Cuál?")
    )
    assert errors == [(9, "unknown language 'es' in 'stem' (use de, fr, it or en)")]
    assert errors_in(single().replace("text: A", "text: {und: A}")) == [
        (10, "unknown language 'und' in 'text' (use de, fr, it or en)")
    ]


def test_pool_draw_limits():
    pool = "pools:\n  - id: p\n    draw: {draw}\n    questions:\n" + textwrap.indent(
        textwrap.dedent(single("q2")), "    "
    )
    base = HEADER + textwrap.dedent(single())
    _, found = parse_quiz_text(base + pool.format(draw=2), "quiz.yaml")
    assert [(p.line, p.message) for p in found] == [
        (16, "the pool draws 2 questions but has only 1")
    ]
    _, found = parse_quiz_text(base + pool.format(draw=0), "quiz.yaml")
    assert [(p.line, p.message) for p in found] == [(16, "'draw' must be at least 1")]
    quiz, found = parse_quiz_text(base + pool.format(draw=1), "quiz.yaml")
    assert found == [] and quiz is not None and quiz.pools[0].draw == 1


def test_quiz_without_questions():
    assert problems("id: check\ntitle: T\npass_mark: 50\n") == [
        (1, ERROR, "the quiz has no questions: add 'questions' or 'pools'")
    ]
    assert problems("id: check\ntitle: T\npass_mark: 50\nquestions: []\n") == [
        (4, ERROR, "the quiz has no questions: add 'questions' or 'pools'")
    ]


def test_unsafe_yaml_tags_are_never_constructed():
    text = HEADER + single().replace(
        "stem: Which?", "stem: !!python/object/apply:os.system [echo hi]"
    )
    quiz, found = parse_quiz_text(text, "quiz.yaml")
    assert quiz is None
    assert [(p.line, p.message) for p in found] == [
        (7, "'stem' must be a text or a mapping of language to text")
    ]


def test_texts_keep_what_was_written():
    text = HEADER + single().replace("text: A", "text: yes").replace("text: B", "text: 3.50")
    quiz, found = parse_quiz_text(text, "quiz.yaml")
    assert found == []
    assert [o.text for o in quiz.questions[0].options] == [{"und": "yes"}, {"und": "3.50"}]


def test_problems_are_sorted_by_line_and_all_reported():
    text = (
        HEADER.replace("pass_mark: 80", "pass_mark: 180")
        + textwrap.dedent(single().replace("- id: b", "- id: a"))
        + textwrap.dedent(NUMERIC + "      - min: 9\n        max: 1\n")
    )
    _, found = parse_quiz_text(text, "quiz.yaml")
    assert [p.line for p in found] == [3, 12, 20]


def test_parse_quiz_file_reads_utf8_and_reports_bad_bytes(tmp_path):
    good = tmp_path / "check.yaml"
    good.write_text("\ufeff" + HEADER + textwrap.dedent(single()), encoding="utf-8")
    quiz, found = parse_quiz_file(good)
    assert found == [] and quiz is not None and quiz.id == "check"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(HEADER.encode() + b"  - id: q\n    stem: caf\xe9\n")
    quiz, found = parse_quiz_file(bad)
    assert quiz is None
    assert [str(p) for p in found] == [f"{bad}:6: the file is not valid UTF-8 text"]


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## A complete example", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_example_is_a_valid_quiz_with_all_seven_types():
    quiz, found = parse_quiz_text(readme_example(), "README.md")
    assert found == []
    assert quiz is not None
    assert {q.type for q in quiz.all_questions()} == {
        "single",
        "multiple",
        "truefalse",
        "short",
        "numeric",
        "matching",
        "ordering",
    }


def test_dump_then_parse_gives_an_equal_quiz():
    quiz, _ = parse_quiz_text(readme_example(), "README.md")
    dumped = dump_quiz(quiz)
    again, found = parse_quiz_text(dumped, "dumped.yaml")
    assert found == []
    assert again == quiz
    assert dump_quiz(again) == dumped


def test_dump_handles_awkward_texts():
    text = HEADER + textwrap.dedent(single()).replace(
        "stem: Which?", 'stem: "Note: #1 is yes\\n\\nsecond paragraph\\n"'
    ).replace("text: A", "text: 'yes'").replace("text: B", "text: '- 12'")
    quiz, found = parse_quiz_text(text, "quiz.yaml")
    assert found == []
    assert quiz.questions[0].stem == {"und": "Note: #1 is yes\n\nsecond paragraph\n"}
    dumped = dump_quiz(quiz)
    assert "|" in dumped
    assert parse_quiz_text(dumped, "d.yaml") == (quiz, [])
