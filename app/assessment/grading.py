"""Pure grading: score responses and draw an attempt's questions (`question_display` shows them).

Response shapes accepted by `grade_question` (None always means "not answered", fraction 0):

- `single`: the chosen option id (str).
- `multiple`: a list (or tuple/set) of chosen option ids; `[]` is a real answer ("none").
- `truefalse`: a bool (the strings "true"/"false" from a form are accepted too).
- `short`: the typed text (str, at most 1000 characters).
- `numeric`: a str or a number; "3,5", "3.5", "1'000.5", "1 000,5" and "1.000,5" are read
  locale-tolerantly (see `parse_number`); NaN, infinities and absurdly large numbers are refused.
- `matching`: a dict pair id -> the chosen match text as shown (any language variant of a match
  or distractor is accepted); a missing pair or None/"" counts as unanswered for that pair.
- `ordering`: a list of all item ids in the learner's order.

A response of the wrong shape (unknown ids, wrong type, a number that is no number) raises
`InvalidResponse`; grading never fails with KeyError or TypeError on learner input.

An attempt is re-created from a stored seed: `draw_questions(quiz, random.Random(seed))` and
`option_order(question, rng)` are deterministic for a given seed and Python version; store the
drawn question ids and option orders with the attempt as well so a Python upgrade cannot change
an attempt that is in progress.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.assessment.questions import (
    NumericAnswer,
    Question,
    Quiz,
    ShortAnswer,
    Texts,
)
from app.i18n.markers import N_

MAX_TEXT_RESPONSE = 1000
MAX_NUMBER_RESPONSE = 64
MAX_ABS_NUMBER = 1e15
# Floating point: 0.1 + 0.2 must still fall inside [0.3 - 0, 0.3 + 0].
RELATIVE_EPSILON = 1e-9
PASS_EPSILON = 1e-9

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_RE = {
    ",": re.compile(r"[+-]?\d{1,3}(?:,\d{3})+"),
    ".": re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+"),
}
_IGNORED_IN_NUMBERS = str.maketrans("", "", " \u00a0\u202f\u2009'\u2019")


class InvalidResponse(ValueError):
    """A response that does not fit its question (a tampered form or a client bug)."""


@dataclass(frozen=True)
class GradeResult:
    """The grade of one question.

    `chosen` names what the learner's answer matched: option ids (single, multiple), the index
    of the best matching answer as a string (short, numeric), "true"/"false" (truefalse), the
    ids of correctly matched pairs (matching) or of items in the right place (ordering).
    `feedback` holds the feedback texts that belong to the learner's answer.
    """

    question_id: str
    fraction: float
    is_correct: bool
    answered: bool
    chosen: tuple[str, ...] = ()
    feedback: tuple[Texts, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "question_id": self.question_id,
            "fraction": self.fraction,
            "is_correct": self.is_correct,
            "answered": self.answered,
            "chosen": list(self.chosen),
            "feedback": [dict(text) for text in self.feedback],
        }


@dataclass(frozen=True)
class AttemptGrade:
    """The grade of a whole attempt; `per_question` maps question id to its result."""

    score_percent: float
    points: float
    max_points: float
    per_question: dict[str, GradeResult]


# -- numbers and text ------------------------------------------------------------------------


def parse_number(value: Any) -> float:
    """Read a number typed by a learner, accepting both decimal comma and decimal point.

    Spaces and apostrophes are thousands separators ("1'000.5", "1 000,5"). With both "," and
    "." the later one is the decimal mark ("1.000,5", "1,000.5"); a single "," or "." alone is a
    decimal mark ("3,5"); repeated ones must group digits by three ("1.000.000").
    """
    if isinstance(value, bool):
        raise InvalidResponse(N_("a number is expected, not true/false"))
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        if len(value) > MAX_NUMBER_RESPONSE:
            raise InvalidResponse(N_("the number is too long"))
        text = value.strip().translate(_IGNORED_IN_NUMBERS).replace("\u2212", "-")
        text = _normalise_separators(text)
        if not _NUMBER_RE.fullmatch(text):
            raise InvalidResponse(N_("please enter a number"))
        number = float(text)
    else:
        raise InvalidResponse(N_("a number is expected"))
    if not math.isfinite(number) or abs(number) > MAX_ABS_NUMBER:
        raise InvalidResponse(N_("the number is out of range"))
    return number


def _normalise_separators(text: str) -> str:
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        whole, _, fraction = text.rpartition(decimal)
        if thousands in whole and not _GROUPED_RE[thousands].fullmatch(whole):
            return "invalid"
        return whole.replace(thousands, "") + "." + fraction
    for mark in (",", "."):
        if text.count(mark) > 1:
            return text.replace(mark, "") if _GROUPED_RE[mark].fullmatch(text) else "invalid"
    return text.replace(",", ".")


def normalise_short_answer(text: str, *, case_sensitive: bool, accent_sensitive: bool) -> str:
    """Normalise a short answer: trim, collapse spaces, casefold and drop accents unless asked."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not accent_sensitive:
        decomposed = unicodedata.normalize("NFKD", text)
        text = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
        )
    if not case_sensitive:
        text = text.casefold()
    return text


def _short_answer_pattern(answer: str, question: Question) -> re.Pattern[str]:
    """Compile an accepted answer; `*` matches any text and `\\*` a literal star (as Moodle)."""
    normalised = normalise_short_answer(
        answer, case_sensitive=question.case_sensitive, accent_sensitive=question.accent_sensitive
    )
    regex = []
    for part in re.split(r"(\\\*|\*)", normalised):
        if part == "*":
            regex.append(".*")
        elif part == "\\*":
            regex.append(re.escape("*"))
        else:
            regex.append(re.escape(part))
    return re.compile("".join(regex), re.DOTALL)


# -- grading -------------------------------------------------------------------------------


def grade_question(question: Question, response: Any) -> GradeResult:
    """Grade one response (shapes in the module docstring); fraction is between 0 and 1."""
    if response is None:
        return GradeResult(question.id, 0.0, False, False)
    grader = _GRADERS.get(question.type)
    if grader is None:
        raise ValueError(f"cannot grade question type {question.type!r}")
    fraction, chosen, feedback = grader(question, response)
    fraction = min(1.0, max(0.0, fraction))
    return GradeResult(
        question_id=question.id,
        fraction=fraction,
        is_correct=fraction >= 1.0 - RELATIVE_EPSILON,
        answered=True,
        chosen=tuple(chosen),
        feedback=tuple(text for text in feedback if text),
    )


_Graded = tuple[float, list[str], list[Texts]]


def _grade_single(question: Question, response: Any) -> _Graded:
    if not isinstance(response, str):
        raise InvalidResponse(N_("choose one option"))
    for option in question.options:
        if option.id == response:
            return (1.0 if option.correct else 0.0), [option.id], [option.feedback]
    raise InvalidResponse(N_("unknown option"))


def _grade_multiple(question: Question, response: Any) -> _Graded:
    if not isinstance(response, list | tuple | set | frozenset):
        raise InvalidResponse(N_("a list of options is expected"))
    chosen_ids = set()
    for option_id in response:
        if not isinstance(option_id, str):
            raise InvalidResponse(N_("unknown option"))
        chosen_ids.add(option_id)
    known = {option.id for option in question.options}
    if not chosen_ids <= known:
        raise InvalidResponse(N_("unknown option"))
    chosen = [option for option in question.options if option.id in chosen_ids]
    total = sum(option.weight for option in chosen)
    return total / 100, [o.id for o in chosen], [o.feedback for o in chosen]


def _grade_truefalse(question: Question, response: Any) -> _Graded:
    if isinstance(response, str) and response in ("true", "false"):
        response = response == "true"
    if not isinstance(response, bool):
        raise InvalidResponse(N_("true or false is expected"))
    feedback = question.feedback_true if response else question.feedback_false
    fraction = 1.0 if response == question.answer else 0.0
    return fraction, ["true" if response else "false"], [feedback]


def _best(question: Question, matches: list[int]) -> _Graded:
    if not matches:
        return 0.0, [], []
    answers = question.answers
    best = max(matches, key=lambda index: (answers[index].weight, -index))
    return answers[best].weight / 100, [str(best)], [answers[best].feedback]


def _grade_short(question: Question, response: Any) -> _Graded:
    if not isinstance(response, str):
        raise InvalidResponse(N_("a text answer is expected"))
    if len(response) > MAX_TEXT_RESPONSE:
        raise InvalidResponse(N_("the answer is too long"))
    given = normalise_short_answer(
        response,
        case_sensitive=question.case_sensitive,
        accent_sensitive=question.accent_sensitive,
    )
    if not given:
        return 0.0, [], []
    matches = [
        index
        for index, answer in enumerate(question.answers)
        if isinstance(answer, ShortAnswer)
        and _short_answer_pattern(answer.text, question).fullmatch(given)
    ]
    return _best(question, matches)


def _grade_numeric(question: Question, response: Any) -> _Graded:
    if isinstance(response, str) and not response.strip():
        return 0.0, [], []
    number = parse_number(response)
    matches = []
    for index, answer in enumerate(question.answers):
        if not isinstance(answer, NumericAnswer):
            continue
        low, high = answer.bounds
        epsilon = RELATIVE_EPSILON * max(1.0, abs(low), abs(high))
        if low - epsilon <= number <= high + epsilon:
            matches.append(index)
    return _best(question, matches)


def _match_texts(question: Question) -> set[str]:
    texts = {value.strip() for pair in question.pairs for value in pair.match.values()}
    texts |= {value.strip() for text in question.distractors for value in text.values()}
    return texts


def _grade_matching(question: Question, response: Any) -> _Graded:
    if not isinstance(response, Mapping):
        raise InvalidResponse(N_("a choice for each prompt is expected"))
    pair_ids = {pair.id for pair in question.pairs}
    allowed = _match_texts(question)
    for pair_id, chosen in response.items():
        if pair_id not in pair_ids:
            raise InvalidResponse(N_("unknown prompt"))
        if chosen is not None and not isinstance(chosen, str):
            raise InvalidResponse(N_("a choice for each prompt is expected"))
        if chosen and chosen.strip() not in allowed:
            raise InvalidResponse(N_("unknown choice"))
    correct = [
        pair.id
        for pair in question.pairs
        if (response.get(pair.id) or "").strip() in {v.strip() for v in pair.match.values()}
    ]
    return len(correct) / len(question.pairs), correct, []


def _grade_ordering(question: Question, response: Any) -> _Graded:
    if not isinstance(response, list | tuple):
        raise InvalidResponse(N_("a list of all items is expected"))
    expected = [item.id for item in question.items]
    if not all(isinstance(item_id, str) for item_id in response) or sorted(response) != sorted(
        expected
    ):
        raise InvalidResponse(N_("a list of all items is expected"))
    in_place = [
        item_id for item_id, given in zip(expected, response, strict=True) if item_id == given
    ]
    return len(in_place) / len(expected), in_place, []


_GRADERS = {
    "single": _grade_single,
    "multiple": _grade_multiple,
    "truefalse": _grade_truefalse,
    "short": _grade_short,
    "numeric": _grade_numeric,
    "matching": _grade_matching,
    "ordering": _grade_ordering,
}


def grade_attempt(questions: Sequence[Question], responses: Mapping[str, Any]) -> AttemptGrade:
    """Grade every question of an attempt; score = sum(points*fraction) / sum(points) * 100."""
    known = {question.id for question in questions}
    unknown = set(responses) - known
    if unknown:
        raise InvalidResponse(N_("an answer was given to a question that is not in this attempt"))
    per_question = {q.id: grade_question(q, responses.get(q.id)) for q in questions}
    points = sum(q.points * per_question[q.id].fraction for q in questions)
    max_points = sum(q.points for q in questions)
    score = points / max_points * 100 if max_points else 0.0
    return AttemptGrade(
        score_percent=round(score, 6),
        points=round(points, 6),
        max_points=max_points,
        per_question=per_question,
    )


def is_passed(score_percent: float, pass_mark: float) -> bool:
    """Tell whether a score reaches the pass mark (both in percent)."""
    return score_percent + PASS_EPSILON >= pass_mark


# -- drawing and ordering ------------------------------------------------------------------


def draw_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    """Pick an attempt's questions: the fixed ones plus `draw` from each pool, shuffled if set."""
    drawn = list(quiz.questions)
    for pool in quiz.pools:
        # Drawn questions keep their order in the file unless the quiz shuffles questions.
        picked = sorted(rng.sample(range(len(pool.questions)), pool.draw))
        drawn.extend(pool.questions[index] for index in picked)
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    return drawn


def choice_keys(question: Question) -> list[str]:
    """Return a question's choice keys in file order: option ids, item ids or matching keys."""
    if question.type in ("single", "multiple"):
        return [option.id for option in question.options]
    if question.type == "ordering":
        return [item.id for item in question.items]
    if question.type == "matching":
        keys = [f"pair:{pair.id}" for pair in question.pairs]
        return keys + [f"distractor:{index}" for index in range(len(question.distractors))]
    return []


def option_order(question: Question, rng: random.Random) -> tuple[str, ...]:
    """Shuffle a question's choices: option ids, item ids, or matching choice keys.

    Ordering items are never shown in the correct order (that would give the answer away).
    Whether single/multiple options are shuffled at all is the quiz's `shuffle_options` choice.
    """
    keys = choice_keys(question)
    original = list(keys)
    for _ in range(20):
        rng.shuffle(keys)
        if question.type != "ordering" or keys != original or len(keys) < 2:
            break
    return tuple(keys)
