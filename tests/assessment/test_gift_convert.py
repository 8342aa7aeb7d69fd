"""Tests for GIFT <-> platform conversion, including the round trip over all testdata files."""

import dataclasses
from pathlib import Path

import pytest

from app.assessment.gift_convert import (
    escape_markdown,
    gift_text_to_markdown,
    gift_to_questions,
    make_id,
)
from app.assessment.gift_export import gift_export_losses, questions_to_gift
from app.assessment.gift_reader import read_gift
from app.assessment.gift_writer import write_gift
from app.assessment.grading import grade_question
from app.assessment.questions import Item, Question, Quiz
from app.assessment.quiz_dump import dump_quiz
from app.assessment.quiz_format import parse_quiz_text

GIFT_DIR = Path(__file__).resolve().parents[1] / "data" / "gift"
GIFT_FILES = sorted(GIFT_DIR.glob("*.gift"))
README = Path(__file__).resolve().parents[2] / "quizzes" / "README.md"


def convert(text: str, lang: str | None = None):
    result = read_gift(text, "t.gift")
    assert [p for p in result.problems if p.severity == "error"] == []
    return gift_to_questions(result.questions, "t.gift", lang)


def only(text: str) -> Question:
    questions, problems = convert(text)
    assert problems == [], [str(p) for p in problems]
    (question,) = questions
    return question


def test_the_testdata_folder_is_there():
    assert len(GIFT_FILES) == 24


@pytest.mark.parametrize("path", GIFT_FILES, ids=lambda path: path.name)
def test_gift_platform_gift_platform_loses_nothing(path):
    first, _ = gift_to_questions(read_gift(path.read_text(encoding="utf-8"), path.name).questions)
    written = write_gift(questions_to_gift(first, None))
    again = read_gift(written)
    assert again.problems == []
    second, problems = gift_to_questions(again.questions)
    assert [p.severity for p in problems] == ["warning"] * len(problems)
    assert second == first


def test_whole_folder_round_trip_covers_every_supported_type():
    types = set()
    for path in GIFT_FILES:
        questions, _ = gift_to_questions(read_gift(path.read_text(encoding="utf-8")).questions)
        types |= {q.type for q in questions}
    assert types == {"single", "multiple", "truefalse", "short", "numeric", "matching"}


@pytest.mark.parametrize("path", GIFT_FILES, ids=lambda path: path.name)
def test_imported_questions_are_valid_quiz_questions(path):
    questions, _ = gift_to_questions(read_gift(path.read_text(encoding="utf-8")).questions)
    if not questions:
        return
    quiz = Quiz(id="imported", title={"und": "Imported"}, pass_mark=50, questions=tuple(questions))
    again, problems = parse_quiz_text(dump_quiz(quiz), "imported.yaml")
    assert problems == []
    assert again == quiz


def test_essay_and_description_are_skipped_with_a_warning_naming_the_line():
    questions, problems = convert("A?{T}\n\n::E::Essay{}\n\n// info\n::D::Just text\n")
    assert [q.type for q in questions] == ["truefalse"]
    assert [str(p) for p in problems] == [
        "t.gift:3: essay questions are not supported by the platform and are skipped",
        "t.gift:5: description questions are not supported by the platform and are skipped",
    ]
    assert {p.severity for p in problems} == {"warning"}


def test_single_choice_mapping():
    question = only("::Q2::Which?{=yellow#right ~red#[html]<b>no</b> ~[plain]*blue*}")
    assert (question.id, question.type) == ("Q2", "single")
    assert [(o.id, o.text, o.correct, o.feedback) for o in question.options] == [
        ("a", {"und": "yellow"}, True, {"und": "right"}),
        ("b", {"und": "red"}, False, {"und": "<b>no</b>"}),
        ("c", {"und": "\\*blue\\*"}, False, {}),
    ]
    assert grade_question(question, "a").fraction == 1.0


def test_multiple_choice_mapping_and_grading():
    question = only("Which?{~%50%A ~%50%B ~%-100%C}")
    assert question.type == "multiple"
    assert [o.weight for o in question.options] == [50, 50, -100]
    assert grade_question(question, ["a", "b"]).fraction == 1.0


def test_truefalse_short_numeric_matching_mapping():
    truefalse = only("Sky is green.{F#It is blue.#Right.####Look up.}")
    assert (truefalse.answer, truefalse.feedback_true, truefalse.feedback_false) == (
        False,
        {"und": "It is blue."},
        {"und": "Right."},
    )
    assert truefalse.explanation == {"und": "Look up."}
    short = only("Animal?{=Frog#Good =%50%Cat =%0%*#Nope}")
    assert [(a.text, a.weight) for a in short.answers] == [("Frog", 100), ("Cat", 50), ("*", 0)]
    assert grade_question(short, "dog").feedback == ({"und": "Nope"},)
    numeric = only("Pick.{#=%100%3:2 =%50%10..20}")
    assert [(a.value, a.tolerance, a.weight) for a in numeric.answers] == [(3, 2, 100), (15, 5, 50)]
    matching = only("Match.{=[plain]a_b -> 1 =B -> 2 = -> 3}")
    assert [(p.id, p.prompt, p.match) for p in matching.pairs] == [
        ("p1", {"und": "a\\_b"}, {"und": "1"}),
        ("p2", {"und": "B"}, {"und": "2"}),
    ]
    assert matching.distractors == ({"und": "3"},)


def test_language_of_imported_texts():
    question = only("::Q::Frage?{=Ja ~Nein}")
    assert question.stem == {"und": "Frage?"}
    (german,), _ = convert("::Q::Frage?{=Ja ~Nein}", lang="de")
    assert german.stem == {"de": "Frage?"} and german.options[0].text == {"de": "Ja"}


def test_ids_from_idnumber_name_or_line_made_unique():
    text = (
        "// [id:my id]\n::N::A?{T}\n\n::Same name::B?{T}\n\n::Same name::C?{T}\n\n"
        "D?{T}\n\n::?!::E?{T}"
    )
    questions, _ = convert(text)
    assert [q.id for q in questions] == ["my-id", "Same-name", "Same-name-2", "q8", "q10"]


@pytest.mark.parametrize(
    ("name", "identifier"),
    [
        ("Q8", "Q8"),
        ("2-08 TSL", "2-08-TSL"),
        ("What's up?", "What-s-up"),
        ("--x", "x"),
        ("a-", "a-"),
        ("é", ""),
        ("x" * 80, "x" * 60),
    ],
)
def test_make_id(name, identifier):
    assert make_id(name) == identifier
    assert make_id(make_id(name)) == make_id(name)


def test_unsupported_shapes_are_errors_naming_the_line():
    questions, problems = convert(
        "A?{=x =y ~z}\n\nB?{~%50%x ~%40%y ~z}\n\nC?{=x -> 1 = -> 2}\n\nD?{~%50%x =y ~z}"
    )
    assert [q.id for q in questions] == ["q7"]
    assert [(p.line, p.severity, p.message) for p in problems] == [
        (1, "error", "a single-choice question needs exactly one correct option, found 2"),
        (3, "error", "the positive weights must add up to 100, they add up to 90"),
        (5, "error", "a matching question needs at least 2 pairs"),
        (7, "warning", "partial credit for wrong options is not supported and counts as 0"),
    ]


def test_empty_stem_is_an_error():
    _, problems = convert("{=a ~b}")
    assert [(p.line, p.message) for p in problems] == [(1, "'stem' is empty")]


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a *b* _c_ `d`", "a \\*b\\* \\_c\\_ \\`d\\`"),
        ("[link](x) <b>", "\\[link\\](x) \\<b\\>"),
        (
            "# not a heading\n- not a list\n1. not a number",
            "\\# not a heading\n\\- not a list\n1\\. not a number",
        ),
        ("AT&T &copy;", "AT&T &amp;copy;"),
        ("back\\slash", "back\\\\slash"),
        ("plain text, fine.", "plain text, fine."),
    ],
)
def test_plain_text_is_escaped_for_markdown(text, escaped):
    assert escape_markdown(text) == escaped
    assert gift_text_to_markdown(text, "plain") == escaped


def test_html_moodle_and_markdown_texts_are_kept():
    for fmt in ("html", "moodle", "markdown"):
        assert gift_text_to_markdown("<b>x</b> *y*", fmt) == "<b>x</b> *y*"


def readme_quiz() -> Quiz:
    import re

    text = README.read_text(encoding="utf-8").split("## A complete example", 1)[1]
    quiz, problems = parse_quiz_text(re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1), "x")
    assert problems == []
    return quiz


def _renumbered(question: Question) -> Question:
    """GIFT has no option or pair ids: compare with the ids the import gives them."""
    options = tuple(
        dataclasses.replace(option, id=chr(ord("a") + index))
        for index, option in enumerate(question.options)
    )
    pairs = tuple(
        dataclasses.replace(pair, id=f"p{index + 1}") for index, pair in enumerate(question.pairs)
    )
    return dataclasses.replace(question, options=options, pairs=pairs)


def test_platform_gift_platform_keeps_what_gift_can_hold_and_lists_the_rest():
    questions = readme_quiz().all_questions()
    losses = gift_export_losses(questions, "en")
    assert sorted(losses) == [
        ("documents", "GIFT has no points: Moodle gives the question 1 point"),
        ("letter-cost", "number ranges are written as value:tolerance"),
        ("steps", "ordering questions cannot be written to GIFT and are left out"),
    ]
    back, problems = gift_to_questions(
        read_gift(write_gift(questions_to_gift(questions, "en"))).questions
    )
    assert problems == []
    by_id = {question.id: question for question in back}
    assert "steps" not in by_id
    lossy = {question_id for question_id, _ in losses}
    for question in questions:
        if question.id not in lossy:
            assert by_id[question.id] == _renumbered(question)
    assert by_id["documents"].points == 1
    assert [(a.value, a.tolerance) for a in by_id["letter-cost"].answers] == [(8, 0.5), (7.5, 2.5)]


def test_export_picks_one_language_and_reports_the_others():
    question = Question(
        id="q",
        type="truefalse",
        stem={"de": "Wahr?", "fr": "Vrai ?"},
        answer=True,
        case_sensitive=False,
    )
    (gift,) = questions_to_gift([question], "fr")
    assert gift["questiontext"] == "Vrai ?"
    assert gift_export_losses([question], "fr") == [
        ("q", "GIFT holds one language: only the export language is written")
    ]


def test_ordering_questions_are_left_out_of_gift():
    ordering = Question(
        id="o",
        type="ordering",
        stem={"und": "Order"},
        items=(Item(id="x", text={"und": "X"}), Item(id="y", text={"und": "Y"})),
    )
    assert questions_to_gift([ordering], None) == []


def test_markdown_with_gift_special_characters_survives_export():
    question = only(r"::Q::[markdown]Use `a \= b` \{x\} \~y\~ \#1\: done\nline two{=a\:b ~c}")
    assert question.stem == {"und": "Use `a = b` {x} ~y~ #1: done\nline two"}
    assert question.options[0].text == {"und": "a:b"}
    back, _ = gift_to_questions(
        read_gift(write_gift(questions_to_gift([question], None))).questions
    )
    assert back == [question]
