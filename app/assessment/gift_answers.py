"""Reading the answers part of a GIFT block, type by type, as Moodle's `qformat_gift` does.

Also the text helpers reading shares: escaped characters and `[format]` markers. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from app.assessment.gift import FORMATS, is_php_numeric, php_number, php_trim
from app.i18n.markers import N_

# Moodle's language strings (qformat_gift and quiz) for import errors.
BRACE_ERROR = N_("Could not find {...} around answers")
MATCHING_FORMAT_ERROR = N_("Matching question answers are improperly formatted")
NO_NUMERICAL_ANSWERS_ERROR = N_("No answers found for numerical question")
IMPORT_MIN_ERROR = N_(
    "There is an error in the question. There are not enough answers for this question type"
)
NOT_NUMBERS_ERROR = N_("Error - answers must be numeric")

_ANSWER_WEIGHT_RE = re.compile(r"^%-*([0-9]{1,2})\.?([0-9]*)%")

# Escaped control characters are hidden behind placeholders while the block is parsed.
# Moodle uses strings like "&&058;"; Unicode noncharacters cannot clash with real text.
_ESCAPES = (
    ("\\:", ":"),
    ("\\#", "#"),
    ("\\=", "="),
    ("\\{", "{"),
    ("\\}", "}"),
    ("\\~", "~"),
    ("\\n", "\n"),
)
_PLACEHOLDERS = tuple(chr(0xFDD0 + index) for index in range(len(_ESCAPES)))
_BACKSLASH_PLACEHOLDER = chr(0xFDDF)


class BlockError(Exception):
    """A block Moodle refuses to import; the message is Moodle's language string."""


def escape_pre(text: str) -> str:
    """Hide escaped control characters behind placeholders while a block is parsed."""
    text = text.replace("\\\\", _BACKSLASH_PLACEHOLDER)
    for (sequence, _), placeholder in zip(_ESCAPES, _PLACEHOLDERS, strict=True):
        text = text.replace(sequence, placeholder)
    return text.replace(_BACKSLASH_PLACEHOLDER, "\\")


def escape_post(text: str) -> str:
    """Turn the placeholders back into the characters they stand for."""
    for (_, character), placeholder in zip(_ESCAPES, _PLACEHOLDERS, strict=True):
        text = text.replace(placeholder, character)
    return text


def parse_text_with_format(text: str, default: str, warn: Callable[..., None], line: int) -> dict:
    """Split a leading [format] marker off a text and unescape it; unknown markers warn."""
    fmt = default
    if text.startswith("["):
        end = text.find("]")
        name = text[1:end] if end != -1 else ""
        if end != -1 and name in FORMATS:
            fmt = name
            text = text[end + 1 :]
        elif re.fullmatch(r"[A-Za-z]+", name):
            warn(
                line,
                N_(
                    "unknown text format [%(name)s] is kept as text "
                    "(use [html], [moodle], [plain] or [markdown])"
                ),
                name=name,
            )
    return {"text": php_trim(escape_post(text)), "format": fmt}


def _comment_parser(
    answer: str, fmt: str, warn: Callable[..., None], line: int
) -> tuple[dict, dict]:
    bits = answer.split("#", 1)
    parsed = parse_text_with_format(php_trim(bits[0]), fmt, warn, line)
    if len(bits) > 1:
        feedback = parse_text_with_format(php_trim(bits[1]), fmt, warn, line)
    else:
        feedback = {"text": "", "format": fmt}
    return parsed, feedback


def _answer_weight(answer: str) -> tuple[float | None, str]:
    """Split a leading %weight% off an answer; None when there is no well-formed weight."""
    if not _ANSWER_WEIGHT_RE.match(answer):
        return None, answer
    body = answer[1:]
    end = body.find("%")
    # The pattern allows "%--50%"; read any run of minus signs as one.
    return float(re.sub(r"^-+", "-", body[:end])) / 100, body[end + 1 :]


def _split_answers(answertext: str, separator: str) -> list[str]:
    answers = answertext.split(separator)
    answers[0] = php_trim(answers[0])
    # PHP's empty() is also true for "0", so Moodle drops a leading "0" as well.
    if answers[0] in ("", "0"):
        answers.pop(0)
    return answers


def read_multichoice(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    """Read the answers of a multichoice question into `question` (Moodle's shape)."""
    fmt = question["questiontextformat"]
    line = question["line"]
    question.update(
        qtype="multichoice",
        single="=" in answertext,
        shuffleanswers=True,
        answernumbering="abc",
    )
    answers = _split_answers(answertext.replace("=", "~="), "~")
    if len(answers) < 2:
        raise BlockError(IMPORT_MIN_ERROR)
    parsed = []
    for raw in answers:
        answer = php_trim(raw)
        if answer.startswith("="):
            weight: float | None = 1.0
            answer = answer[1:]
        else:
            weight, answer = _answer_weight(answer)
            if weight is None:
                weight = 0.0
        text, feedback = _comment_parser(answer, fmt, warn, line)
        parsed.append({**text, "fraction": weight, "feedback": feedback})
    question["answers"] = parsed
    return question


def read_match(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    """Read the answers of a match question into `question` (Moodle's shape)."""
    fmt = question["questiontextformat"]
    question.update(qtype="match", shuffleanswers=True)
    answers = _split_answers(answertext, "=")
    if len(answers) < 2:
        raise BlockError(IMPORT_MIN_ERROR)
    subquestions = []
    for raw in answers:
        answer = php_trim(raw)
        marker = answer.find("->")
        if marker == -1:
            raise BlockError(MATCHING_FORMAT_ERROR)
        text = parse_text_with_format(answer[:marker], fmt, warn, question["line"])
        subquestions.append({**text, "answer": php_trim(escape_post(answer[marker + 2 :]))})
    question["subquestions"] = subquestions
    return question


def read_truefalse(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    """Read the answers of a truefalse question into `question` (Moodle's shape)."""
    fmt = question["questiontextformat"]
    line = question["line"]
    bits = answertext.split("#", 2)
    answer = parse_text_with_format(php_trim(bits[0]), fmt, warn, line)
    empty = {"text": "", "format": fmt}
    wrong = parse_text_with_format(php_trim(bits[1]), fmt, warn, line) if len(bits) > 1 else empty
    right = parse_text_with_format(php_trim(bits[2]), fmt, warn, line) if len(bits) > 2 else empty
    # GIFT writes {ANSWER#feedback for a wrong answer#feedback for the right answer}.
    correct = answer["text"] in ("T", "TRUE")
    question.update(
        qtype="truefalse",
        correctanswer=correct,
        feedbacktrue=right if correct else wrong,
        feedbackfalse=wrong if correct else right,
        penalty=1,
    )
    return question


def read_shortanswer(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    """Read the answers of a shortanswer question into `question` (Moodle's shape)."""
    fmt = question["questiontextformat"]
    question.update(qtype="shortanswer", usecase=False)
    answers = _split_answers(answertext, "=")
    if len(answers) < 1:
        raise BlockError(IMPORT_MIN_ERROR)
    parsed = []
    for raw in answers:
        weight, answer = _answer_weight(php_trim(raw))
        text, feedback = _comment_parser(answer, fmt, warn, question["line"])
        parsed.append(
            {
                "text": text["text"],
                "fraction": 1.0 if weight is None else weight,
                "feedback": feedback,
            }
        )
    question["answers"] = parsed
    return question


def read_numerical(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    """Read the answers of a numerical question into `question` (Moodle's shape)."""
    fmt = question["questiontextformat"]
    line = question["line"]
    question["qtype"] = "numerical"
    answertext = answertext[1:]
    wrong_feedback = ""
    tilde = answertext.find("~")
    if tilde != -1:
        wrong_feedback = answertext[tilde:]
        answertext = answertext[:tilde]
    answers = _split_answers(answertext, "=")
    if not answers:
        raise BlockError(NO_NUMERICAL_ANSWERS_ERROR)
    parsed = []
    for raw in answers:
        weight, answer = _answer_weight(php_trim(raw))
        text, feedback = _comment_parser(answer, fmt, warn, line)
        value = text["text"]
        if value.find("..") > 0:
            marker = value.find("..")
            low, high = php_trim(value[:marker]), php_trim(value[marker + 2 :])
            if not (is_php_numeric(low) and is_php_numeric(high)):
                raise BlockError(NOT_NUMBERS_ERROR)
            middle = (float(high) + float(low)) / 2
            number, tolerance = php_number(middle), str(float(high) - middle)
        elif value.find(":") > 0:
            marker = value.find(":")
            number, tolerance = php_trim(value[:marker]), php_trim(value[marker + 1 :])
        else:
            number, tolerance = php_trim(value), "0"
        # Moodle's check `is_numeric($ans) || $ans = '*'` assigns instead of comparing, so it
        # turns any non-number into '*'; a non-number is refused here as Moodle meant to.
        if not (is_php_numeric(number) or number == "*") or not is_php_numeric(tolerance):
            raise BlockError(NOT_NUMBERS_ERROR)
        parsed.append(
            {
                "answer": number,
                "tolerance": float(tolerance),
                "fraction": 1.0 if weight is None else weight,
                "feedback": feedback,
            }
        )
    if wrong_feedback not in ("", "0"):
        _, feedback = _comment_parser(wrong_feedback, fmt, warn, line)
        parsed.append({"answer": "*", "tolerance": "", "fraction": 0.0, "feedback": feedback})
    question["answers"] = parsed
    return question
