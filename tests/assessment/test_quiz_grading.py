"""Tests for pure grading, drawing, option order and the learner views (question_display)."""

import json
import math
import random

import pytest

from app.assessment.grading import (
    InvalidResponse,
    draw_questions,
    grade_attempt,
    grade_question,
    is_passed,
    normalise_short_answer,
    option_order,
    parse_number,
)
from app.assessment.question_display import public_view, review_view
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


def t(text: str) -> dict[str, str]:
    return {"und": text}


SINGLE = Question(
    id="single",
    type="single",
    stem=t("How does a citizen log in?"),
    explanation=t("EXPLANATION-SINGLE"),
    options=(
        Option(id="eid", text=t("With the eID"), correct=True, feedback=t("FEEDBACK-RIGHT")),
        Option(id="ahv", text=t("With the AHV number"), feedback=t("FEEDBACK-WRONG")),
        Option(id="mail", text=t("With an e-mail")),
    ),
)
MULTIPLE = Question(
    id="multiple",
    type="multiple",
    stem=t("Which documents?"),
    options=(
        Option(id="salary", text=t("Salary statement"), weight=50, feedback=t("FB-SALARY")),
        Option(id="receipts", text=t("Receipts"), weight=50),
        Option(id="passport", text=t("Passport"), weight=-50, feedback=t("FB-PASSPORT")),
        Option(id="photo", text=t("Photo"), weight=-100),
    ),
)
TRUEFALSE = Question(
    id="tf",
    type="truefalse",
    stem=t("The deadline is 31 March."),
    answer=True,
    feedback_true=t("FB-TRUE"),
    feedback_false=t("FB-FALSE"),
)
SHORT = Question(
    id="short",
    type="short",
    stem=t("Name of the counter?"),
    answers=(
        ShortAnswer(text="Guichet virtuel", feedback=t("FB-EXACT")),
        ShortAnswer(text="Guichet*", weight=50, feedback=t("FB-ALMOST")),
        ShortAnswer(text="Zürich", weight=100),
        ShortAnswer(text="A \\* B", weight=100),
    ),
)
NUMERIC = Question(
    id="numeric",
    type="numeric",
    stem=t("Cost?"),
    answers=(
        NumericAnswer(value=8, tolerance=0.5, feedback=t("FB-EXACT")),
        NumericAnswer(min=5, max=10, weight=50, feedback=t("FB-RANGE")),
        NumericAnswer(value=1000, weight=25),
        NumericAnswer(value=0.3),
    ),
)
MATCHING = Question(
    id="matching",
    type="matching",
    stem=t("Match"),
    pairs=(
        Pair(id="mailbox", prompt=t("Digital mailbox"), match={"en": "Letters", "de": "Briefe"}),
        Pair(id="proxy", prompt=t("Proxy access"), match=t("A relative acts for you")),
        Pair(id="eid", prompt=t("eID"), match=t("Log-in")),
        Pair(id="tax", prompt=t("Tax"), match=t("Declaration")),
    ),
    distractors=(t("Pays your taxes"),),
)
ORDERING = Question(
    id="ordering",
    type="ordering",
    stem=t("Order"),
    items=(
        Item(id="open", text=t("Open the site")),
        Item(id="login", text=t("Log in")),
        Item(id="fill", text=t("Fill in")),
        Item(id="send", text=t("Send")),
    ),
)
ALL = (SINGLE, MULTIPLE, TRUEFALSE, SHORT, NUMERIC, MATCHING, ORDERING)


# -- single ----------------------------------------------------------------------------------


def test_single_right_and_wrong_with_feedback():
    right = grade_question(SINGLE, "eid")
    assert (right.fraction, right.is_correct, right.chosen) == (1.0, True, ("eid",))
    assert right.feedback == (t("FEEDBACK-RIGHT"),)
    wrong = grade_question(SINGLE, "ahv")
    assert (wrong.fraction, wrong.is_correct, wrong.feedback) == (
        0.0,
        False,
        (t("FEEDBACK-WRONG"),),
    )
    assert grade_question(SINGLE, "mail").feedback == ()


@pytest.mark.parametrize("response", ["nope", ["eid"], 1, True, {"eid": 1}])
def test_single_invalid_responses(response):
    with pytest.raises(InvalidResponse):
        grade_question(SINGLE, response)


# -- multiple --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fraction"),
    [
        (["salary", "receipts"], 1.0),
        (["salary"], 0.5),
        (["salary", "receipts", "passport"], 0.5),
        (["salary", "passport"], 0.0),
        (["salary", "photo"], 0.0),
        (["passport", "photo"], 0.0),
        ([], 0.0),
        (("receipts", "salary"), 1.0),
        ({"receipts", "salary"}, 1.0),
        (["salary", "salary"], 0.5),
    ],
)
def test_multiple_partial_credit_negative_weights_and_clamping(response, fraction):
    result = grade_question(MULTIPLE, response)
    assert math.isclose(result.fraction, fraction)
    assert result.is_correct is (fraction == 1.0)


def test_multiple_feedback_of_chosen_options_in_option_order():
    result = grade_question(MULTIPLE, ["passport", "salary"])
    assert result.chosen == ("salary", "passport")
    assert result.feedback == (t("FB-SALARY"), t("FB-PASSPORT"))


@pytest.mark.parametrize("response", ["salary", ["salary", "unknown"], [1], {"salary": True}])
def test_multiple_invalid_responses(response):
    with pytest.raises(InvalidResponse):
        grade_question(MULTIPLE, response)


# -- true/false ------------------------------------------------------------------------------


def test_truefalse():
    assert grade_question(TRUEFALSE, True).fraction == 1.0
    assert grade_question(TRUEFALSE, True).feedback == (t("FB-TRUE"),)
    wrong = grade_question(TRUEFALSE, False)
    assert (wrong.fraction, wrong.chosen, wrong.feedback) == (0.0, ("false",), (t("FB-FALSE"),))
    assert grade_question(TRUEFALSE, "true").fraction == 1.0
    assert grade_question(TRUEFALSE, "false").fraction == 0.0


@pytest.mark.parametrize("response", ["yes", 1, 0, "True", [True]])
def test_truefalse_invalid_responses(response):
    with pytest.raises(InvalidResponse):
        grade_question(TRUEFALSE, response)


# -- short answer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fraction", "chosen"),
    [
        ("Guichet virtuel", 1.0, ("0",)),
        ("  guichet   VIRTUEL ", 1.0, ("0",)),
        ("Guichet virtuel!", 0.5, ("1",)),
        ("guichet en ligne", 0.5, ("1",)),
        ("zurich", 1.0, ("2",)),
        ("ZÜRICH", 1.0, ("2",)),
        ("Zu\u0308rich", 1.0, ("2",)),
        ("a * b", 1.0, ("3",)),
        ("a x b", 0.0, ()),
        ("Bern", 0.0, ()),
        ("", 0.0, ()),
        ("   ", 0.0, ()),
    ],
)
def test_short_answer_normalisation_wildcards_and_best_weight(response, fraction, chosen):
    result = grade_question(SHORT, response)
    assert (result.fraction, result.chosen) == (fraction, chosen)


def test_short_answer_feedback_comes_from_the_best_answer():
    assert grade_question(SHORT, "guichet virtuel").feedback == (t("FB-EXACT"),)
    assert grade_question(SHORT, "Guichet X").feedback == (t("FB-ALMOST"),)


def test_short_answer_case_and_accent_sensitivity():
    strict = Question(
        id="strict",
        type="short",
        stem=t("?"),
        answers=(ShortAnswer(text="Zürich"),),
        case_sensitive=True,
        accent_sensitive=True,
    )
    assert grade_question(strict, " Zürich ").fraction == 1.0
    assert grade_question(strict, "Zu\u0308rich").fraction == 1.0  # same letters, decomposed
    assert grade_question(strict, "zürich").fraction == 0.0
    assert grade_question(strict, "Zurich").fraction == 0.0
    case_only = Question(
        id="case",
        type="short",
        stem=t("?"),
        answers=(ShortAnswer(text="Zürich"),),
        case_sensitive=True,
    )
    assert grade_question(case_only, "Zurich").fraction == 1.0
    assert grade_question(case_only, "zurich").fraction == 0.0
    accent_only = Question(
        id="accent",
        type="short",
        stem=t("?"),
        answers=(ShortAnswer(text="Zürich"),),
        accent_sensitive=True,
    )
    assert grade_question(accent_only, "ZÜRICH").fraction == 1.0
    assert grade_question(accent_only, "zurich").fraction == 0.0


def test_normalise_short_answer():
    assert (
        normalise_short_answer("  Ça   va\tBIEN ", case_sensitive=False, accent_sensitive=False)
        == "ca va bien"
    )
    assert (
        normalise_short_answer("Straße", case_sensitive=False, accent_sensitive=True) == "strasse"
    )


@pytest.mark.parametrize("response", [42, ["Bern"], "x" * 1001, True])
def test_short_answer_invalid_responses(response):
    with pytest.raises(InvalidResponse):
        grade_question(SHORT, response)


# -- numeric ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "fraction", "chosen"),
    [
        ("8", 1.0, ("0",)),
        (8, 1.0, ("0",)),
        (7.5, 1.0, ("0",)),
        ("8,5", 1.0, ("0",)),
        ("8.5", 1.0, ("0",)),
        ("8.50001", 0.5, ("1",)),
        ("5", 0.5, ("1",)),
        ("10", 0.5, ("1",)),
        ("10.01", 0.0, ()),
        ("4.99", 0.0, ()),
        ("1'000", 0.25, ("2",)),
        ("1 000", 0.25, ("2",)),
        ("1.000,0", 0.25, ("2",)),
        ("1,000.0", 0.25, ("2",)),
        ("1e3", 0.25, ("2",)),
        (0.1 + 0.2, 1.0, ("3",)),
        ("", 0.0, ()),
    ],
)
def test_numeric_tolerance_ranges_locales_and_best_weight(response, fraction, chosen):
    result = grade_question(NUMERIC, response)
    assert (result.fraction, result.chosen) == (fraction, chosen)


def test_numeric_feedback_from_best_answer():
    assert grade_question(NUMERIC, "8").feedback == (t("FB-EXACT"),)
    assert grade_question(NUMERIC, "6").feedback == (t("FB-RANGE"),)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("3,5", 3.5),
        ("3.5", 3.5),
        ("-3,5", -3.5),
        ("\u22123.5", -3.5),
        ("+2", 2.0),
        (".5", 0.5),
        ("1'234'567.5", 1234567.5),
        ("1\u00a0234,5", 1234.5),
        ("1.234.567", 1234567.0),
        ("1,234,567", 1234567.0),
        ("1,000", 1.0),
    ],
)
def test_parse_number_is_locale_tolerant(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "value",
    [
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        "1e400",
        "1e16",
        float("nan"),
        float("inf"),
        1e20,
        "abc",
        "3,5,1",
        "1.2.3",
        "1,2.3,4",
        "0x10",
        "1_000",
        "",
        "3 ½",
        True,
        None,
        [3],
        "9" * 70,
    ],
)
def test_parse_number_rejects_nan_inf_absurd_and_garbage(value):
    with pytest.raises(InvalidResponse):
        parse_number(value)


@pytest.mark.parametrize("response", ["nan", "inf", "abc", [8], True])
def test_numeric_invalid_responses(response):
    with pytest.raises(InvalidResponse):
        grade_question(NUMERIC, response)


# -- matching --------------------------------------------------------------------------------


def test_matching_partial_credit_per_pair():
    all_right = {
        "mailbox": "Letters",
        "proxy": "A relative acts for you",
        "eid": "Log-in",
        "tax": "Declaration",
    }
    assert grade_question(MATCHING, all_right).fraction == 1.0
    half = dict(all_right, eid="Pays your taxes", tax="Letters")
    result = grade_question(MATCHING, half)
    assert (result.fraction, result.chosen) == (0.5, ("mailbox", "proxy"))
    assert grade_question(MATCHING, {"mailbox": "Briefe"}).fraction == 0.25
    assert grade_question(MATCHING, {"mailbox": " Letters "}).fraction == 0.25
    assert grade_question(MATCHING, {"mailbox": None, "proxy": ""}).fraction == 0.0
    assert grade_question(MATCHING, {}).fraction == 0.0


@pytest.mark.parametrize(
    "response",
    [{"nobody": "Letters"}, {"mailbox": "Something else"}, ["Letters"], {"mailbox": 3}, "x"],
)
def test_matching_invalid_responses(response):
    with pytest.raises(InvalidResponse):
        grade_question(MATCHING, response)


# -- ordering --------------------------------------------------------------------------------


def test_ordering_share_of_items_in_place():
    assert grade_question(ORDERING, ["open", "login", "fill", "send"]).fraction == 1.0
    result = grade_question(ORDERING, ["open", "login", "send", "fill"])
    assert (result.fraction, result.chosen) == (0.5, ("open", "login"))
    assert grade_question(ORDERING, ("send", "fill", "login", "open")).fraction == 0.0


@pytest.mark.parametrize(
    "response",
    [
        ["open", "login", "fill"],
        ["open", "login", "fill", "fill"],
        ["open", "login", "fill", "send", "x"],
        ["open", "login", "fill", "other"],
        "open",
        {"open": 1},
        [1, 2, 3, 4],
    ],
)
def test_ordering_invalid_responses(response):
    with pytest.raises(InvalidResponse):
        grade_question(ORDERING, response)


# -- whole attempts --------------------------------------------------------------------------


@pytest.mark.parametrize("question", ALL, ids=lambda q: q.type)
def test_no_response_means_unanswered(question):
    result = grade_question(question, None)
    assert (result.fraction, result.is_correct, result.answered) == (0.0, False, False)


def test_grade_attempt_weights_questions_by_points():
    heavy = Question(id="heavy", type="truefalse", stem=t("?"), answer=False, points=3)
    grade = grade_attempt(
        [SINGLE, MULTIPLE, heavy],
        {"single": "eid", "multiple": ["salary"], "heavy": False},
    )
    assert (grade.points, grade.max_points) == (4.5, 5)
    assert grade.score_percent == 90.0
    assert grade.per_question["multiple"].fraction == 0.5
    assert set(grade.per_question) == {"single", "multiple", "heavy"}


def test_grade_attempt_missing_responses_count_zero_and_unknown_ids_are_refused():
    grade = grade_attempt([SINGLE, TRUEFALSE], {"single": "eid"})
    assert grade.score_percent == 50.0
    assert grade.per_question["tf"].answered is False
    with pytest.raises(InvalidResponse):
        grade_attempt([SINGLE], {"single": "eid", "other": True})
    assert grade_attempt([], {}).score_percent == 0.0


def test_is_passed():
    assert is_passed(80, 80)
    assert is_passed(100 * (4 / 5), 80)
    assert not is_passed(79.99, 80)
    third = grade_attempt(
        [SINGLE, TRUEFALSE, SHORT], {"single": "eid", "tf": True, "short": "no"}
    ).score_percent
    assert is_passed(third, 66.666666)


def test_grade_result_to_dict_is_json():
    result = grade_question(SHORT, "guichet")
    assert json.loads(json.dumps(result.to_dict()))["fraction"] == 0.5


# -- drawing and order -----------------------------------------------------------------------


def _quiz(shuffle_questions: bool) -> Quiz:
    pool_a = tuple(
        Question(id=f"a{i}", type="truefalse", stem=t(f"A{i}"), answer=True) for i in range(6)
    )
    pool_b = tuple(
        Question(id=f"b{i}", type="truefalse", stem=t(f"B{i}"), answer=True) for i in range(3)
    )
    return Quiz(
        id="quiz",
        title=t("Quiz"),
        pass_mark=80,
        shuffle_questions=shuffle_questions,
        questions=(SINGLE, TRUEFALSE),
        pools=(Pool(id="a", draw=2, questions=pool_a), Pool(id="b", draw=3, questions=pool_b)),
    )


def test_draw_questions_is_deterministic_for_a_seed():
    quiz = _quiz(shuffle_questions=True)
    first = [q.id for q in draw_questions(quiz, random.Random(1234))]
    again = [q.id for q in draw_questions(quiz, random.Random(1234))]
    assert first == again
    assert len(first) == 7
    assert sum(1 for i in first if i.startswith("a")) == 2
    assert {i for i in first if i.startswith("b")} == {"b0", "b1", "b2"}
    others = {tuple(q.id for q in draw_questions(quiz, random.Random(seed))) for seed in range(30)}
    assert len(others) > 1


def test_draw_questions_without_shuffle_keeps_fixed_questions_first_and_file_order():
    quiz = _quiz(shuffle_questions=False)
    for seed in range(20):
        ids = [q.id for q in draw_questions(quiz, random.Random(seed))]
        assert ids[:2] == ["single", "tf"]
        assert ids[2:4] == sorted(ids[2:4])
        assert ids[4:] == ["b0", "b1", "b2"]


def test_option_order_is_a_deterministic_permutation():
    order = option_order(MULTIPLE, random.Random(7))
    assert order == option_order(MULTIPLE, random.Random(7))
    assert sorted(order) == sorted(o.id for o in MULTIPLE.options)
    assert option_order(TRUEFALSE, random.Random(7)) == ()
    matching = option_order(MATCHING, random.Random(7))
    assert len(matching) == 5


def test_option_order_never_shows_ordering_items_in_the_right_order():
    two = Question(
        id="two",
        type="ordering",
        stem=t("?"),
        items=(Item(id="x", text=t("X")), Item(id="y", text=t("Y"))),
    )
    for seed in range(50):
        assert option_order(two, random.Random(seed)) == ("y", "x")
        assert list(option_order(ORDERING, random.Random(seed))) != [i.id for i in ORDERING.items]


# -- views -----------------------------------------------------------------------------------

SECRETS = (
    "correct",
    "weight",
    "feedback",
    "explanation",
    "FEEDBACK",
    "FB-",
    "EXPLANATION",
    "answers",
    "accepted",
    '"match"',
    "Guichet virtuel",
    "tolerance",
)


@pytest.mark.parametrize("question", ALL, ids=lambda q: q.type)
def test_public_view_holds_no_answer_key(question):
    view = public_view(question, "de")
    serialised = json.dumps(view)
    for secret in SECRETS:
        assert secret not in serialised, secret
    assert "8" not in json.dumps(public_view(NUMERIC, "de"))
    assert set(view) <= {"id", "type", "stem", "points", "options", "items", "prompts", "choices"}


def test_public_view_contents():
    view = public_view(SINGLE, "en")
    assert view["options"] == [
        {"id": "eid", "text": "With the eID"},
        {"id": "ahv", "text": "With the AHV number"},
        {"id": "mail", "text": "With an e-mail"},
    ]
    matching = public_view(MATCHING, "de", order=option_order(MATCHING, random.Random(3)))
    assert [p["id"] for p in matching["prompts"]] == ["mailbox", "proxy", "eid", "tax"]
    assert sorted(matching["choices"]) == sorted(
        ["Briefe", "A relative acts for you", "Log-in", "Declaration", "Pays your taxes"]
    )
    ordering = public_view(ORDERING, "de")
    assert sorted(i["id"] for i in ordering["items"]) == sorted(i.id for i in ORDERING.items)
    assert [i["id"] for i in ordering["items"]] != [i.id for i in ORDERING.items]


def test_public_view_follows_a_stored_order_and_refuses_a_wrong_one():
    order = option_order(SINGLE, random.Random(5))
    assert [o["id"] for o in public_view(SINGLE, "de", order)["options"]] == list(order)
    with pytest.raises(ValueError):
        public_view(SINGLE, "de", ["eid", "ahv"])


def test_review_view_reveals_the_key_after_submission():
    view = review_view(SINGLE, "ahv", "en")
    assert view["fraction"] == 0.0 and view["is_correct"] is False
    assert view["explanation"] == "EXPLANATION-SINGLE"
    assert view["feedback"] == ["FEEDBACK-WRONG"]
    assert [(o["id"], o["chosen"], o["correct"]) for o in view["options"]] == [
        ("eid", False, True),
        ("ahv", True, False),
        ("mail", False, False),
    ]
    assert review_view(SHORT, "x", "en")["accepted"] == ["Guichet virtuel", "Zürich", "A \\* B"]
    assert review_view(NUMERIC, "1", "en")["accepted"] == [
        {"value": 8, "tolerance": 0.5},
        {"value": 0.3, "tolerance": 0},
    ]
    matching = review_view(MATCHING, {"mailbox": "Briefe"}, "de")
    assert matching["pairs"][0] == {
        "id": "mailbox",
        "prompt": "Digital mailbox",
        "chosen": "Briefe",
        "is_correct": True,
        "match": "Briefe",
    }
    ordering = review_view(ORDERING, ["login", "open", "fill", "send"], "en")
    assert [i["in_place"] for i in ordering["items"]] == [False, False, True, True]
    assert ordering["correct_order"] == ["open", "login", "fill", "send"]
    assert review_view(TRUEFALSE, False, "en")["answer"] is True
    json.dumps(review_view(MULTIPLE, {"salary"}, "en"))


@pytest.mark.parametrize(
    ("question", "response"),
    [
        (SINGLE, "ahv"),
        (MULTIPLE, ["salary"]),
        (TRUEFALSE, False),
        (SHORT, "guichet"),
        (NUMERIC, "6"),
        (MATCHING, {"mailbox": "Letters"}),
        (ORDERING, ["login", "open", "fill", "send"]),
    ],
    ids=lambda value: getattr(value, "type", ""),
)
def test_review_view_without_reveal_hides_the_key(question, response):
    view = review_view(question, response, "en", reveal=False)
    serialised = json.dumps(view)
    for secret in (
        '"correct"',
        "weight",
        "feedback",
        "explanation",
        "FB-",
        "accepted",
        '"match"',
        "correct_order",
        '"answer"',
    ):
        assert secret not in serialised, secret
    assert "fraction" in view


def test_review_view_refuses_invalid_responses():
    with pytest.raises(InvalidResponse):
        review_view(SINGLE, "forged", "en")
