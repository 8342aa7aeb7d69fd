"""Case-by-case tests of the GIFT reader and writer: every construct and malformed input."""

import pytest

from app.assessment.gift import php_number
from app.assessment.gift_answers import (
    BRACE_ERROR,
    IMPORT_MIN_ERROR,
    MATCHING_FORMAT_ERROR,
    NO_NUMERICAL_ANSWERS_ERROR,
    NOT_NUMBERS_ERROR,
)
from app.assessment.gift_reader import read_gift
from app.assessment.gift_writer import write_gift


def one(text: str) -> dict:
    """Read a single question and assert nothing was reported."""
    result = read_gift(text, "t.gift")
    assert result.problems == [], [str(p) for p in result.problems]
    assert len(result.questions) == 1
    return result.questions[0]


def error_of(text: str) -> tuple[int, str]:
    result = read_gift(text, "t.gift")
    assert result.questions == []
    (problem,) = result.problems
    assert problem.severity == "error"
    return problem.line, problem.message


def answers(question: dict) -> list[tuple]:
    return [(a["text"], a["fraction"], a["feedback"]["text"]) for a in question["answers"]]


# -- blocks, comments, names, categories -----------------------------------------------------


def test_blocks_are_split_on_blank_lines_and_remember_their_line():
    text = (
        "// first\n::A::One?{T}\n\n\n   \t\n::B::Two\n{\n=yes\n}\n\n// only a comment\n\nThree?{F}"
    )
    result = read_gift(text, "t.gift")
    assert [(q["name"], q["line"]) for q in result.questions] == [("A", 1), ("B", 6), (None, 13)]
    assert result.problems == []


def test_windows_and_old_mac_line_ends_and_bom():
    assert [q["line"] for q in read_gift("\ufeffA?{T}\r\n\r\nB?{F}\r\n").questions] == [1, 3]
    assert [q["line"] for q in read_gift("A?{T}\r\rB?{F}\r").questions] == [1, 3]


def test_lines_are_trimmed_and_comments_dropped_inside_a_block():
    question = one("  ::Q::  What\n// not part of it\n   is this?  {=x}")
    assert question["questiontext"] == "What\n \nis this?"


def test_name_is_unescaped_and_cleaned():
    assert one("::Name\\: with <b>colon</b>::Text{T}")["name"] == "Name: with colon"
    assert one("Text only{T}")["name"] is None


def test_name_without_closing_colons_stays_in_the_text():
    question = one("::No end Text{T}")
    assert (question["name"], question["questiontext"]) == (None, "No end Text")


def test_category_applies_to_the_following_questions_and_is_not_a_question():
    text = "$CATEGORY: tom/dick\n\nA?{T}\n\n$CATEGORY: $course$/top/Other\\: x\n\nB?{F}"
    result = read_gift(text)
    assert [(q["questiontext"], q["category"]) for q in result.questions] == [
        ("A?", "tom/dick"),
        ("B?", "$course$/top/Other: x"),
    ]


def test_idnumber_and_tags_from_comments():
    question = one("// [id:Q-7] [tag:tax] [tag: eID ]\n// [tag:a\\]b]\nText{T}")
    assert (question["idnumber"], question["tags"]) == ("Q-7", ["tax", "eID", "a]b"])
    assert (one("Text{T}")["idnumber"], one("Text{T}")["tags"]) == ("", [])


# -- formats and escapes ---------------------------------------------------------------------


def test_format_markers_on_text_answers_and_feedback():
    question = one("[markdown]**Which?**{=[html]<b>A</b>#[plain]yes ~B#fine}")
    assert (question["questiontext"], question["questiontextformat"]) == ("**Which?**", "markdown")
    first, second = question["answers"]
    assert (first["text"], first["format"], first["feedback"]) == (
        "<b>A</b>",
        "html",
        {"text": "yes", "format": "plain"},
    )
    assert (second["format"], second["feedback"]["format"]) == ("markdown", "markdown")
    assert question["generalfeedbackformat"] == "markdown"


def test_unknown_format_marker_is_kept_as_text_with_a_warning():
    result = read_gift("[latex]Which?{=A ~B}\n")
    question = result.questions[0]
    assert (question["questiontext"], question["questiontextformat"]) == ("[latex]Which?", "moodle")
    assert [(p.line, p.severity) for p in result.problems] == [(1, "warning")]
    assert "[latex]" in result.problems[0].message
    assert read_gift("[1] Which?{=A ~B}").problems == []


def test_escaped_characters():
    question = one(r"Use \~ \= \# \{ \} \: and \\ here\nnext line{=a\=b\#c#fb\: \~x ~\{d\}}")
    assert question["questiontext"] == "Use ~ = # { } : and \\ here\nnext line"
    assert answers(question) == [("a=b#c", 1, "fb: ~x"), ("{d}", 0, "")]


def test_backslashes_as_moodle_reads_them():
    assert one(r"A \\ B \\\\ C{}")["questiontext"] == "A \\ B \\\\ C"
    # "\\" is one backslash; the colon after it is a real colon again.
    assert one(r"::N::a \\: b{}")["questiontext"] == "a \\: b"


# -- question types --------------------------------------------------------------------------


def test_multiple_choice_single():
    question = one("Who?{~Grant ~Jefferson =no one#right}")
    assert (question["qtype"], question["single"]) == ("multichoice", True)
    assert answers(question) == [("Grant", 0, ""), ("Jefferson", 0, ""), ("no one", 1, "right")]
    assert question["shuffleanswers"] is True and question["answernumbering"] == "abc"


def test_multiple_choice_with_weights_is_multiple_answer():
    question = one("Which?{~%50%A ~%50%B ~%-100%C ~%33.33333%D ~%-12.5%E}")
    assert question["single"] is False
    assert [a["fraction"] for a in question["answers"]] == pytest.approx(
        [0.5, 0.5, -1, 0.3333333, -0.125]
    )


def test_equals_with_weight_in_multichoice_keeps_the_weight_text_as_moodle():
    question = one("Which?{=%50%A ~B}")
    assert answers(question)[0] == ("%50%A", 1, "")


def test_badly_formed_weight_is_part_of_the_answer():
    question = one("Which?{~%5x%A ~%100%B}")
    assert answers(question)[0] == ("%5x%A", 0, "")


def test_missing_word_format():
    question = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question["questiontext"] == "Grant is _____ in Grant's tomb."
    question = one("The holiday is on the {\n~second\n=fourth\n} Thursday.")
    assert question["questiontext"] == "The holiday is on the _____ Thursday."


@pytest.mark.parametrize(
    ("answer", "correct"), [("T", True), ("TRUE", True), ("F", False), ("FALSE", False)]
)
def test_true_false_keys(answer, correct):
    question = one(f"Grant is buried there.{{{answer}}}")
    assert (question["qtype"], question["correctanswer"], question["penalty"]) == (
        "truefalse",
        correct,
        1,
    )


def test_true_false_feedback_order():
    question = one("Sky is green.{FALSE#wrong: it is blue#right!####general}")
    assert question["feedbacktrue"]["text"] == "wrong: it is blue"
    assert question["feedbackfalse"]["text"] == "right!"
    assert question["generalfeedback"] == "general"
    true_question = one("Sky is blue.{T#no#yes}")
    assert (true_question["feedbacktrue"]["text"], true_question["feedbackfalse"]["text"]) == (
        "yes",
        "no",
    )


def test_true_false_with_a_bad_key_is_short_answer_as_in_moodle():
    question = one("Grant is buried there.{TRUEE}")
    assert question["qtype"] == "shortanswer"
    assert answers(question) == [("TRUEE", 1, "")]
    result = read_gift("Grant is buried there.{true}")
    assert result.questions[0]["qtype"] == "shortanswer"
    assert [(p.line, p.severity) for p in result.problems] == [(1, "warning")]
    assert "{true}" in result.problems[0].message


def test_short_answer_with_weights_and_feedback():
    question = one("Who?{=no one#Right =%50%nobody#Half =%0%*#Nope}")
    assert question["qtype"] == "shortanswer"
    assert answers(question) == [("no one", 1, "Right"), ("nobody", 0.5, "Half"), ("*", 0, "Nope")]


def test_short_answer_without_equals():
    assert answers(one("Capital?{Bern}")) == [("Bern", 1, "")]


def test_matching():
    question = one("Match.{=Canada -> Ottawa =Italy->Rome =Japan -> Tokyo = -> Oslo}")
    assert question["qtype"] == "match"
    assert [(s["text"], s["answer"]) for s in question["subquestions"]] == [
        ("Canada", "Ottawa"),
        ("Italy", "Rome"),
        ("Japan", "Tokyo"),
        ("", "Oslo"),
    ]


def test_numerical_value_with_tolerance():
    question = one("When was Grant born?{#1822:5}")
    assert [(a["answer"], a["tolerance"], a["fraction"]) for a in question["answers"]] == [
        ("1822", 5.0, 1.0)
    ]


def test_numerical_range_becomes_middle_and_tolerance():
    question = one("Pick 1 to 5.{#1..5}")
    assert [(a["answer"], a["tolerance"]) for a in question["answers"]] == [("3", 2.0)]
    question = one("Pick.{#1.5..2}")
    assert [(a["answer"], a["tolerance"]) for a in question["answers"]] == [("1.75", 0.25)]


def test_numerical_several_answers_weights_feedback_and_other_answer():
    question = one("Pi?{#\n=3.14159:0.0005#Exact\n=%50%3.1:0.05#Close\n~#Not quite}")
    assert [
        (a["answer"], a["tolerance"], a["fraction"], a["feedback"]["text"])
        for a in question["answers"]
    ] == [
        ("3.14159", 0.0005, 1.0, "Exact"),
        ("3.1", 0.05, 0.5, "Close"),
        ("*", "", 0.0, "Not quite"),
    ]


def test_numerical_without_tolerance_and_negative_numbers():
    question = one("Temp?{#-3.5}")
    assert [(a["answer"], a["tolerance"]) for a in question["answers"]] == [("-3.5", 0.0)]


def test_essay_and_description():
    essay = one("::E::Tell me about it.{}")
    assert (essay["qtype"], essay["responseformat"], essay["graderinfo"]["format"]) == (
        "essay",
        "editor",
        "html",
    )
    description = one("::D::Just some information.")
    assert (description["qtype"], description["defaultmark"], description["length"]) == (
        "description",
        0,
        0,
    )


def test_general_feedback():
    question = one("Q?{=a ~b ####[html]<i>Because.</i>}")
    assert (question["generalfeedback"], question["generalfeedbackformat"]) == (
        "<i>Because.</i>",
        "html",
    )
    assert answers(question) == [("a", 1, ""), ("b", 0, "")]


def test_a_line_with_only_zero_ends_the_block_as_in_moodle():
    result = read_gift("How much?{#\n=5\n0\n}")
    # Both halves are broken blocks, exactly as Moodle sees them.
    assert [(p.line, p.severity) for p in result.problems] == [
        (1, "error"),
        (3, "warning"),
        (4, "error"),
    ]


# -- malformed blocks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Who is it?{=a ~b", "Who is it? =a ~b}", "Who is it? } =a {"],
    ids=["unclosed", "unopened", "reversed"],
)
def test_brace_errors(text):
    assert error_of(text) == (1, BRACE_ERROR)


@pytest.mark.parametrize(
    "text",
    ["Q?{#abc}", "Q?{#3:x}", "Q?{#1..x}", "Q?{#=%50%three:1}", "Q?{#..5}"],
)
def test_bad_numeric_answers(text):
    assert error_of(text) == (1, NOT_NUMBERS_ERROR)


def test_numerical_without_answers():
    assert error_of("Q?{#}") == (1, NO_NUMERICAL_ANSWERS_ERROR)
    assert error_of("Q?{#~#only feedback}") == (1, NO_NUMERICAL_ANSWERS_ERROR)


def test_matching_with_too_few_pairs_and_bad_pairs():
    assert error_of("Match.{=Canada -> Ottawa}") == (1, IMPORT_MIN_ERROR)
    assert error_of("Match.{=Canada -> Ottawa =Italy}") == (1, MATCHING_FORMAT_ERROR)


def test_multiple_choice_with_one_answer():
    assert error_of("Which?{~only}") == (1, IMPORT_MIN_ERROR)


def test_errors_name_the_block_line_and_do_not_stop_the_rest():
    result = read_gift("A?{T}\n\n// comment\nBroken {=a\n\nC?{F}", "bank.gift")
    assert [q["questiontext"] for q in result.questions] == ["A?", "C?"]
    assert [str(p) for p in result.problems] == [f"bank.gift:3: {BRACE_ERROR}"]


# -- writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (100, "100"),
        (50.0, "50"),
        (-50.0, "-50"),
        (33.33333, "33.33333"),
        (0.1 * 3 * 100, "30"),
        (1e-5, "1.0E-5"),
        (1.5e-7, "1.5E-7"),
        (1e25, "1.0E+25"),
        ("2", "2"),
        ("", "0"),
    ],
)
def test_php_number(value, text):
    assert php_number(value) == text


def test_writer_escapes_and_round_trips_every_type():
    text = (
        "// [id:x1] [tag:t1]\n"
        "::Q\\: 1::Use \\~ \\= \\# \\{ \\} and \\\\ and\\nnew line{=a\\=b#f ~c}\n\n"
        "::M::[markdown]Match{=A -> 1 =B -> 2 = -> 3 ####gen}\n\n"
        "::N::Number{#=%100%3:0.5#ok =%50%2:1#close ~#no}\n\n"
        "::S::Short{=%100%Bern#yes =%50%B*#half}\n\n"
        "::T::True?{FALSE#wrong#right}\n\n"
        "::E::Essay{####[html]<p>g</p>}\n\n"
        "::D::Description\n\n"
        "::W::Weights{~%50%a ~%50%b ~%-100%c}\n"
    )
    first = read_gift(text)
    assert first.problems == []
    written = write_gift(first.questions)
    second = read_gift(written)
    assert second.problems == []
    strip = [{k: v for k, v in q.items() if k != "line"} for q in first.questions]
    assert [{k: v for k, v in q.items() if k != "line"} for q in second.questions] == strip


def test_writer_header_category_and_idnumber_tags():
    question = {
        "qtype": "truefalse",
        "name": "N",
        "questiontext": "T",
        "correctanswer": True,
        "category": "top/x",
        "idnumber": "i]d",
        "tags": ["a", "b]c"],
    }
    assert write_gift([question]) == (
        "// question: 0  name: Switch category to top/x\n$CATEGORY: top/x\n\n"
        "// question: 1  name: N\n// [id:i\\]d] [tag:a] [tag:b\\]c]\n::N::T{TRUE}\n\n"
    )
    result = read_gift(write_gift([question]))
    assert (result.questions[0]["idnumber"], result.questions[0]["tags"]) == ("i]d", ["a", "b]c"])
    assert result.questions[0]["category"] == "top/x"


def test_writer_default_name_and_marker_for_texts_that_look_like_markers():
    question = {
        "qtype": "essay",
        "name": None,
        "questiontext": "[html] is not a format here",
        "questiontextformat": "moodle",
    }
    written = write_gift([question])
    assert written.startswith("// question: 1  name: [html] is not a format here\n")
    assert "::[moodle][html] is not a format here{}" in written
    assert read_gift(written).questions[0]["questiontext"] == "[html] is not a format here"


def test_writer_refuses_unknown_types():
    with pytest.raises(ValueError):
        write_gift([{"qtype": "ordering", "name": "x", "questiontext": "y"}])
