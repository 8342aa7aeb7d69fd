"""Moodle GIFT reader and writer, following the behaviour of Moodle's `qformat_gift`.

Questions are plain dicts in Moodle's shape (see tests/data/gift/expected.json):
`qtype`, `name` (None without a ::title::), `questiontext`, `questiontextformat`,
`generalfeedback`, `generalfeedbackformat`, `defaultmark`, `penalty`, `length`, `idnumber`,
`tags`, and per type `single`/`answers` (multichoice: text, format, fraction, feedback),
`answers` (shortanswer: text, fraction, feedback; numerical: answer, tolerance, fraction,
feedback), `subquestions` (match: text, format, answer), `correctanswer`/`feedbacktrue`/
`feedbackfalse` (truefalse). Feedback is `{"text", "format"}`; formats are the names
moodle, html, plain and markdown. The reader adds `line` (where the block starts, 1-based)
and `category` (from the last `$CATEGORY:` line, or None).

Where Moodle is plainly buggy the reader says so in a comment and does the sensible thing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.assessment.quiz_schema import MAX_QUESTIONS
from app.i18n.markers import N_
from app.web.problems import ERROR, WARNING, Problem, make_problem

FORMATS = ("moodle", "html", "plain", "markdown")
TRUEFALSE_KEYS = ("T", "TRUE", "F", "FALSE")
DEFAULT_PENALTY = 0.3333333
# Limits (docs/QUIZ_FORMAT.md): checked before reading, so a huge file costs nothing.
MAX_GIFT_CHARS = 512 * 1024
TOO_MANY_QUESTIONS = N_("a quiz has at most %(max)s questions (pools included)")

# Moodle's language strings (qformat_gift and quiz) for import errors.
BRACE_ERROR = N_("Could not find {...} around answers")
MATCHING_FORMAT_ERROR = N_("Matching question answers are improperly formatted")
NO_NUMERICAL_ANSWERS_ERROR = N_("No answers found for numerical question")
IMPORT_MIN_ERROR = N_(
    "There is an error in the question. There are not enough answers for this question type"
)
NOT_NUMBERS_ERROR = N_("Error - answers must be numeric")

# PHP's trim() strips only these; Python's str.strip() would also eat e.g. no-break spaces.
_PHP_WHITESPACE = " \t\n\r\0\x0b"
_ANSWER_WEIGHT_RE = re.compile(r"^%-*([0-9]{1,2})\.?([0-9]*)%")
_PHP_NUMERIC_RE = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_ID_RE = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_RE = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f\x7f])*)\]")
_HTML_TAG_RE = re.compile(r"<[^>]*>")
_FORMAT_MARKER_RE = re.compile(r"\[(?:moodle|html|plain|markdown)\]")

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


@dataclass
class GiftResult:
    """What `read_gift` found: questions in Moodle's shape and the problems, in file order."""

    questions: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _BlockError(Exception):
    """A block Moodle refuses to import; the message is Moodle's language string."""


def _php_trim(text: str) -> str:
    return text.strip(_PHP_WHITESPACE)


def _escape_pre(text: str) -> str:
    text = text.replace("\\\\", _BACKSLASH_PLACEHOLDER)
    for (sequence, _), placeholder in zip(_ESCAPES, _PLACEHOLDERS, strict=True):
        text = text.replace(sequence, placeholder)
    return text.replace(_BACKSLASH_PLACEHOLDER, "\\")


def _escape_post(text: str) -> str:
    for (_, character), placeholder in zip(_ESCAPES, _PLACEHOLDERS, strict=True):
        text = text.replace(placeholder, character)
    return text


def _is_php_numeric(text: str) -> bool:
    return bool(_PHP_NUMERIC_RE.fullmatch(text))


def php_number(value: float | int | str) -> str:
    """Format a number the way PHP prints a float (precision 14, "1.0E-5" style exponents)."""
    if isinstance(value, str):
        value = float(value) if value.strip() else 0.0
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        # PHP prints INF, -INF and NAN; int() of them would raise.
        return "NAN" if math.isnan(value) else ("INF" if value > 0 else "-INF")
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.14G}"
    if "E" in text:
        mantissa, exponent = text.split("E")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}E{int(exponent):+d}"
    return text


def extract_idnumber_and_tags(comment: str) -> tuple[str, list[str]]:
    """Read `[id:...]` (the first) and every `[tag:...]` from comment lines; `\\]` escapes `]`."""
    idnumber = ""
    match = _ID_RE.search(comment)
    if match:
        idnumber = match.group(1).strip().replace("\\]", "]")
    tags = [raw.strip().replace("\\]", "]") for raw in _TAG_RE.findall(comment)]
    return idnumber, tags


def clean_question_name(name: str) -> str:
    """Clean a name as Moodle's PARAM_TEXT does for names: no tags, trimmed, 255 characters."""
    return _HTML_TAG_RE.sub("", name).strip()[:255]


def default_question_name(questiontext: str) -> str:
    """Make a name from the question text, as Moodle does when there is no ::title::."""
    text = " ".join(_HTML_TAG_RE.sub("", questiontext).split())
    if len(text) > 80:
        text = text[:77].rsplit(" ", 1)[0] + "..."
    return clean_question_name(text) or "Question name"


# -- reading -------------------------------------------------------------------------------


def read_gift(text: str, filename: str = "<gift>") -> GiftResult:
    """Read GIFT text into Moodle-shaped question dicts, reporting problems with line numbers."""
    result = GiftResult()
    if len(text) > MAX_GIFT_CHARS:
        result.problems.append(
            make_problem(
                filename,
                1,
                N_("the GIFT file is too large (%(size)s characters, at most %(max)s)"),
                ERROR,
                size=len(text),
                max=MAX_GIFT_CHARS,
            )
        )
        return result
    text = text.removeprefix("\ufeff")
    # Moodle reads the file with file(); a lone "\r" ends lines too (old Mac files).
    lines = re.split(r"\r\n|\r|\n", text)
    category: str | None = None
    too_many = False
    block: list[str] = []
    start = 0

    def warn(line: int, template: str, **params: Any) -> None:
        result.problems.append(make_problem(filename, line, template, WARNING, **params))

    def flush() -> None:
        nonlocal category, too_many
        if not block:
            return
        try:
            question = _read_block(block, start, warn)
        except _BlockError as exc:
            result.problems.append(make_problem(filename, start, str(exc), ERROR))
            return
        if question is None:
            return
        if question["qtype"] == "category":
            category = question["category"]
            return
        question["category"] = category
        if len(result.questions) < MAX_QUESTIONS:
            result.questions.append(question)
        elif not too_many:
            too_many = True
            result.problems.append(
                make_problem(filename, start, TOO_MANY_QUESTIONS, ERROR, max=MAX_QUESTIONS)
            )

    for number, raw in enumerate(lines, start=1):
        line = _php_trim(raw)
        # Moodle tests empty($line), which PHP also holds true for the string "0".
        if line in ("", "0"):
            if line == "0":
                warn(
                    number,
                    N_("a line with only 0 ends the question, as in Moodle; write =0 instead"),
                )
            flush()
            block = []
            continue
        if not block:
            start = number
        block.append(line)
    flush()
    result.problems.sort(key=lambda problem: problem.line)
    return result


def _parse_text_with_format(text: str, default: str, warn: Callable[..., None], line: int) -> dict:
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
    return {"text": _php_trim(_escape_post(text)), "format": fmt}


def _comment_parser(
    answer: str, fmt: str, warn: Callable[..., None], line: int
) -> tuple[dict, dict]:
    bits = answer.split("#", 1)
    parsed = _parse_text_with_format(_php_trim(bits[0]), fmt, warn, line)
    if len(bits) > 1:
        feedback = _parse_text_with_format(_php_trim(bits[1]), fmt, warn, line)
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
    answers[0] = _php_trim(answers[0])
    # PHP's empty() is also true for "0", so Moodle drops a leading "0" as well.
    if answers[0] in ("", "0"):
        answers.pop(0)
    return answers


def _read_block(lines: list[str], line: int, warn: Callable[..., None]) -> dict[str, Any] | None:
    comments = ""
    kept = []
    for text_line in lines:
        if text_line.startswith("//"):
            comments += text_line + "\n"
            kept.append(" ")
        else:
            kept.append(text_line)
    text = _php_trim("\n".join(kept))
    if text == "":
        return None
    text = _escape_pre(text)

    if text.startswith("$CATEGORY:"):
        # Moodle keeps its escape placeholders in category names; unescaping is what was meant.
        return {"qtype": "category", "category": _escape_post(_php_trim(text[10:]))}

    name: str | None = None
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end != -1:
            name = clean_question_name(_escape_post(text[:end]))
            text = _php_trim(text[end + 2 :])

    answer_start = text.find("{")
    answer_end = text.find("}")
    description = False
    if answer_start == -1 and answer_end == -1:
        description = True
        answertext = ""
    elif answer_start == -1 or answer_end == -1 or answer_end < answer_start:
        # A "}" before the "{" gives Moodle nonsense; it is the same mistake, a brace error.
        raise _BlockError(BRACE_ERROR)
    else:
        answertext = _php_trim(text[answer_start + 1 : answer_end])

    if description:
        questiontext = text
    elif text.endswith("}"):
        questiontext = text[:answer_start] + text[answer_end + 1 :]
    else:
        # Text after the answers: the missing-word format puts a blank where the answers were.
        questiontext = text[:answer_start] + "_____" + text[answer_end + 1 :]

    separator = answertext.rfind("####")
    generalfeedback = ""
    if separator != -1:
        generalfeedback = answertext[separator + 4 :]
        answertext = _php_trim(answertext[:separator])

    parsed = _parse_text_with_format(questiontext, "moodle", warn, line)
    fmt = parsed["format"]
    feedback = _parse_text_with_format(generalfeedback, fmt, warn, line)
    idnumber, tags = extract_idnumber_and_tags(comments)
    question: dict[str, Any] = {
        "qtype": None,
        "name": name,
        "questiontext": parsed["text"],
        "questiontextformat": fmt,
        "generalfeedback": feedback["text"],
        "generalfeedbackformat": feedback["format"],
        "defaultmark": 1,
        "penalty": DEFAULT_PENALTY,
        "length": 1,
        "idnumber": idnumber,
        "tags": tags,
        "line": line,
    }

    if description:
        question.update(qtype="description", defaultmark=0, length=0)
        return question
    if answertext == "":
        question.update(
            qtype="essay",
            responseformat="editor",
            responserequired=1,
            responsefieldlines=15,
            attachments=0,
            attachmentsrequired=0,
            graderinfo={"text": "", "format": "html"},
            responsetemplate={"text": "", "format": "html"},
        )
        return question
    if answertext.startswith("#"):
        return _read_numerical(question, answertext, warn)
    if "~" in answertext:
        return _read_multichoice(question, answertext, warn)
    if "=" in answertext and "->" in answertext:
        return _read_match(question, answertext, warn)
    truefalse_check = answertext
    if answertext.find("#") > 0:
        truefalse_check = _php_trim(answertext[: answertext.find("#")])
    if truefalse_check in TRUEFALSE_KEYS:
        return _read_truefalse(question, answertext, warn)
    if truefalse_check.upper() in TRUEFALSE_KEYS or truefalse_check.upper() in ("WAHR", "FALSCH"):
        warn(
            line,
            N_(
                "{%(answer)s} is read as a short-answer question, as in Moodle: "
                "write {TRUE}, {FALSE}, {T} or {F} for a true/false question"
            ),
            answer=_escape_post(truefalse_check),
        )
    return _read_shortanswer(question, answertext, warn)


def _read_multichoice(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
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
        raise _BlockError(IMPORT_MIN_ERROR)
    parsed = []
    for raw in answers:
        answer = _php_trim(raw)
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


def _read_match(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    fmt = question["questiontextformat"]
    question.update(qtype="match", shuffleanswers=True)
    answers = _split_answers(answertext, "=")
    if len(answers) < 2:
        raise _BlockError(IMPORT_MIN_ERROR)
    subquestions = []
    for raw in answers:
        answer = _php_trim(raw)
        marker = answer.find("->")
        if marker == -1:
            raise _BlockError(MATCHING_FORMAT_ERROR)
        text = _parse_text_with_format(answer[:marker], fmt, warn, question["line"])
        subquestions.append({**text, "answer": _php_trim(_escape_post(answer[marker + 2 :]))})
    question["subquestions"] = subquestions
    return question


def _read_truefalse(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    fmt = question["questiontextformat"]
    line = question["line"]
    bits = answertext.split("#", 2)
    answer = _parse_text_with_format(_php_trim(bits[0]), fmt, warn, line)
    empty = {"text": "", "format": fmt}
    wrong = _parse_text_with_format(_php_trim(bits[1]), fmt, warn, line) if len(bits) > 1 else empty
    right = _parse_text_with_format(_php_trim(bits[2]), fmt, warn, line) if len(bits) > 2 else empty
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


def _read_shortanswer(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    fmt = question["questiontextformat"]
    question.update(qtype="shortanswer", usecase=False)
    answers = _split_answers(answertext, "=")
    if len(answers) < 1:
        raise _BlockError(IMPORT_MIN_ERROR)
    parsed = []
    for raw in answers:
        weight, answer = _answer_weight(_php_trim(raw))
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


def _read_numerical(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
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
        raise _BlockError(NO_NUMERICAL_ANSWERS_ERROR)
    parsed = []
    for raw in answers:
        weight, answer = _answer_weight(_php_trim(raw))
        text, feedback = _comment_parser(answer, fmt, warn, line)
        value = text["text"]
        if value.find("..") > 0:
            marker = value.find("..")
            low, high = _php_trim(value[:marker]), _php_trim(value[marker + 2 :])
            if not (_is_php_numeric(low) and _is_php_numeric(high)):
                raise _BlockError(NOT_NUMBERS_ERROR)
            middle = (float(high) + float(low)) / 2
            number, tolerance = php_number(middle), str(float(high) - middle)
        elif value.find(":") > 0:
            marker = value.find(":")
            number, tolerance = _php_trim(value[:marker]), _php_trim(value[marker + 1 :])
        else:
            number, tolerance = _php_trim(value), "0"
        # Moodle's check `is_numeric($ans) || $ans = '*'` assigns instead of comparing, so it
        # turns any non-number into '*'; a non-number is refused here as Moodle meant to.
        if not (_is_php_numeric(number) or number == "*") or not _is_php_numeric(tolerance):
            raise _BlockError(NOT_NUMBERS_ERROR)
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


# -- writing -------------------------------------------------------------------------------


def _repchar(text: str) -> str:
    for plain, escaped in (
        ("\\", "\\\\"),
        ("#", "\\#"),
        ("=", "\\="),
        ("~", "\\~"),
        ("{", "\\{"),
        ("}", "\\}"),
        (":", "\\:"),
        ("\n", "\\n"),
        ("\r", ""),
    ):
        text = text.replace(plain, escaped)
    return text


def _write_text(text: str, fmt: str, default: str = "moodle") -> str:
    fmt = fmt if fmt in FORMATS else "moodle"
    # Moodle leaves the marker out when the format is the default, so a text that itself starts
    # with "[html]" would come back in another format; only then is the marker written anyway.
    needs_marker = fmt != default or _FORMAT_MARKER_RE.match(text)
    marker = f"[{fmt}]" if text != "" and needs_marker else ""
    return marker + _repchar(text)


def _feedback(value: Any, default: str) -> tuple[str, str]:
    if isinstance(value, dict):
        return value.get("text", ""), value.get("format", default)
    return (value or ""), default


def _write_feedback(value: Any, question_format: str) -> str:
    text, fmt = _feedback(value, question_format)
    return _write_text(text, fmt, question_format)


def _write_general_feedback(question: dict, indent: str) -> str:
    fmt = question.get("questiontextformat", "moodle")
    text = _write_text(
        question.get("generalfeedback", ""), question.get("generalfeedbackformat", fmt), fmt
    )
    if not text:
        return ""
    text = "####" + text
    return indent + text + "\n" if indent else text


def write_gift(questions: list[dict[str, Any]]) -> str:
    """Write questions as GIFT exactly as Moodle's exporter does, one block per question.

    The `// question: N` comment uses the dict's `id`, else its 1-based position. A change of
    `category` between questions writes a `$CATEGORY:` block first.
    """
    out = []
    current_category = None
    for position, question in enumerate(questions, start=1):
        if question.get("qtype") == "category":
            current_category = question.get("category")
            out.append(_write_category(current_category or ""))
            continue
        category = question.get("category")
        if category is not None and category != current_category:
            out.append(_write_category(category))
            current_category = category
        out.append(_write_question(question, question.get("id", position)))
    return "".join(out)


def _write_category(category: str) -> str:
    return f"// question: 0  name: Switch category to {category}\n$CATEGORY: {category}\n\n"


def _write_question(question: dict[str, Any], question_id: Any) -> str:
    qtype = question.get("qtype")
    fmt = question.get("questiontextformat", "moodle")
    name = question.get("name") or default_question_name(question.get("questiontext", ""))
    header_name = name.replace("\r", " ").replace("\n", " ")
    out = f"// question: {question_id}  name: {header_name}\n"
    bits = []
    if question.get("idnumber"):
        bits.append("[id:" + str(question["idnumber"]).replace("]", "\\]") + "]")
    bits += ["[tag:" + str(tag).replace("]", "\\]") + "]" for tag in question.get("tags") or ()]
    if bits:
        out += "// " + " ".join(bits) + "\n"
    out += "::" + _repchar(name) + "::" + _write_text(question.get("questiontext", ""), fmt)

    if qtype == "description":
        # Moodle's writequestion ends a description with one newline only, so the next question
        # would join its block on re-import; a blank line keeps them apart.
        out += "\n"
    elif qtype == "essay":
        out += "{" + _write_general_feedback(question, "") + "}\n"
    elif qtype == "truefalse":
        out += _write_truefalse(question, fmt)
    elif qtype == "multichoice":
        out += "{\n"
        for answer in question.get("answers", ()):
            fraction = float(answer.get("fraction", 0))
            if fraction == 1 and question.get("single", True):
                prefix = "="
            elif fraction == 0:
                prefix = "~"
            else:
                prefix = "~%" + php_number(fraction * 100) + "%"
            out += (
                "\t" + prefix + _write_text(answer.get("text", ""), answer.get("format", fmt), fmt)
            )
            feedback_text, _ = _feedback(answer.get("feedback"), fmt)
            if feedback_text != "":
                out += "#" + _write_feedback(answer.get("feedback"), fmt)
            out += "\n"
        out += _write_general_feedback(question, "\t") + "}\n"
    elif qtype == "shortanswer":
        out += "{\n"
        for answer in question.get("answers", ()):
            weight = php_number(100 * float(answer.get("fraction", 0)))
            out += f"\t=%{weight}%" + _repchar(answer.get("text", ""))
            out += "#" + _write_feedback(answer.get("feedback"), fmt) + "\n"
        out += _write_general_feedback(question, "\t") + "}\n"
    elif qtype == "numerical":
        out += "{#\n"
        for answer in question.get("answers", ()):
            value = answer.get("answer", "")
            value = value if isinstance(value, str) else php_number(value)
            feedback = _write_feedback(answer.get("feedback"), fmt)
            if value not in ("", "*"):
                weight = php_number(100 * float(answer.get("fraction", 0)))
                tolerance = php_number(answer.get("tolerance") or 0)
                out += f"\t=%{weight}%{value}:{tolerance}#{feedback}\n"
            else:
                out += f"\t~#{feedback}\n"
        out += _write_general_feedback(question, "\t") + "}\n"
    elif qtype == "match":
        out += "{\n"
        for sub in question.get("subquestions", ()):
            text = _write_text(sub.get("text", ""), sub.get("format", fmt), fmt)
            out += "\t=" + text + " -> " + _repchar(sub.get("answer", "")) + "\n"
        out += _write_general_feedback(question, "\t") + "}\n"
    else:
        raise ValueError(f"GIFT cannot hold a question of type {qtype!r}")
    return out + "\n"


def _write_truefalse(question: dict[str, Any], fmt: str) -> str:
    right_key, wrong_key = ("feedbacktrue", "feedbackfalse")
    answer = "TRUE"
    if not question.get("correctanswer"):
        right_key, wrong_key = wrong_key, right_key
        answer = "FALSE"
    right = _write_feedback(question.get(right_key), fmt)
    wrong = _write_feedback(question.get(wrong_key), fmt)
    out = "{" + _repchar(answer)
    if wrong:
        out += "#" + wrong
    elif right:
        out += "#"
    if right:
        out += "#" + right
    return out + _write_general_feedback(question, "") + "}\n"
