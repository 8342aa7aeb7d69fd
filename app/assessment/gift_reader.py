"""Reading GIFT text into Moodle-shaped question dicts (`gift.py` describes the shape).

The text is cut into blocks at empty lines, as Moodle's `qformat_gift` does; each block gives
one question (or a `$CATEGORY:` switch), and a block Moodle refuses becomes an error naming the
line it starts on. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.assessment.gift import (
    DEFAULT_PENALTY,
    MAX_GIFT_CHARS,
    clean_question_name,
    extract_idnumber_and_tags,
    php_trim,
)
from app.assessment.gift_answers import (
    BRACE_ERROR,
    BlockError,
    escape_post,
    escape_pre,
    parse_text_with_format,
    read_match,
    read_multichoice,
    read_numerical,
    read_shortanswer,
    read_truefalse,
)
from app.assessment.quiz_schema import MAX_QUESTIONS
from app.i18n.markers import N_
from app.web.problems import ERROR, WARNING, Problem, make_problem

TRUEFALSE_KEYS = ("T", "TRUE", "F", "FALSE")
TOO_MANY_QUESTIONS = N_("a quiz has at most %(max)s questions (pools included)")


@dataclass
class GiftResult:
    """What `read_gift` found: questions in Moodle's shape and the problems, in file order."""

    questions: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Collector:
    """Gathers the questions of one file block by block, with the category in force."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.result = GiftResult()
        self.category: str | None = None
        self.too_many = False

    def warn(self, line: int, template: str, **params: Any) -> None:
        """Record a warning on `line`."""
        self.result.problems.append(make_problem(self.filename, line, template, WARNING, **params))

    def add_block(self, block: list[str], start: int) -> None:
        """Read one block starting on line `start` and keep its question (or category)."""
        if not block:
            return
        try:
            question = _read_block(block, start, self.warn)
        except BlockError as exc:
            self.result.problems.append(make_problem(self.filename, start, str(exc), ERROR))
            return
        if question is None:
            return
        if question["qtype"] == "category":
            self.category = question["category"]
            return
        question["category"] = self.category
        if len(self.result.questions) < MAX_QUESTIONS:
            self.result.questions.append(question)
        elif not self.too_many:
            self.too_many = True
            self.result.problems.append(
                make_problem(self.filename, start, TOO_MANY_QUESTIONS, ERROR, max=MAX_QUESTIONS)
            )


def read_gift(text: str, filename: str = "<gift>") -> GiftResult:
    """Read GIFT text into Moodle-shaped question dicts, reporting problems with line numbers."""
    if len(text) > MAX_GIFT_CHARS:
        too_large = N_("the GIFT file is too large (%(size)s characters, at most %(max)s)")
        problem = make_problem(filename, 1, too_large, ERROR, size=len(text), max=MAX_GIFT_CHARS)
        return GiftResult(problems=[problem])
    text = text.removeprefix("\ufeff")
    collector = _Collector(filename)
    block: list[str] = []
    start = 0
    # Moodle reads the file with file(); a lone "\r" ends lines too (old Mac files).
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        line = php_trim(raw)
        # Moodle tests empty($line), which PHP also holds true for the string "0".
        if line in ("", "0"):
            if line == "0":
                collector.warn(
                    number,
                    N_("a line with only 0 ends the question, as in Moodle; write =0 instead"),
                )
            collector.add_block(block, start)
            block = []
            continue
        if not block:
            start = number
        block.append(line)
    collector.add_block(block, start)
    collector.result.problems.sort(key=lambda problem: problem.line)
    return collector.result


def _read_block(lines: list[str], line: int, warn: Callable[..., None]) -> dict[str, Any] | None:
    """Read one block: a question in Moodle's shape, a category switch, or None if empty."""
    comments, text = _split_comments(lines)
    if text == "":
        return None
    text = escape_pre(text)
    if text.startswith("$CATEGORY:"):
        # Moodle keeps its escape placeholders in category names; unescaping is what was meant.
        return {"qtype": "category", "category": escape_post(php_trim(text[10:]))}
    name, text = _split_name(text)
    questiontext, answertext = _split_answer_text(text)
    description = answertext is None
    answertext = answertext or ""
    separator = answertext.rfind("####")
    generalfeedback = ""
    if separator != -1:
        generalfeedback = answertext[separator + 4 :]
        answertext = php_trim(answertext[:separator])
    parsed = parse_text_with_format(questiontext, "moodle", warn, line)
    fmt = parsed["format"]
    feedback = parse_text_with_format(generalfeedback, fmt, warn, line)
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
    return _read_answers(question, answertext, warn)


def _split_comments(lines: list[str]) -> tuple[str, str]:
    """Return the block's `//` comment lines and its text, each comment line left as a space."""
    comments = ""
    kept = []
    for text_line in lines:
        if text_line.startswith("//"):
            comments += text_line + "\n"
            kept.append(" ")
        else:
            kept.append(text_line)
    return comments, php_trim("\n".join(kept))


def _split_name(text: str) -> tuple[str | None, str]:
    """Split a leading `::name::` off the text (None when there is none)."""
    if not text.startswith("::"):
        return None, text
    text = text[2:]
    end = text.find("::")
    if end == -1:
        return None, text
    return clean_question_name(escape_post(text[:end])), php_trim(text[end + 2 :])


def _split_answer_text(text: str) -> tuple[str, str | None]:
    """Return the question text and what is inside `{...}` (None for a description)."""
    answer_start = text.find("{")
    answer_end = text.find("}")
    if answer_start == -1 and answer_end == -1:
        return text, None
    if answer_start == -1 or answer_end == -1 or answer_end < answer_start:
        # A "}" before the "{" gives Moodle nonsense; it is the same mistake, a brace error.
        raise BlockError(BRACE_ERROR)
    answertext = php_trim(text[answer_start + 1 : answer_end])
    if text.endswith("}"):
        return text[:answer_start] + text[answer_end + 1 :], answertext
    # Text after the answers: the missing-word format puts a blank where the answers were.
    return text[:answer_start] + "_____" + text[answer_end + 1 :], answertext


def _read_answers(question: dict, answertext: str, warn: Callable[..., None]) -> dict:
    """Tell the question's type from its answers, as Moodle does, and read them."""
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
        return read_numerical(question, answertext, warn)
    if "~" in answertext:
        return read_multichoice(question, answertext, warn)
    if "=" in answertext and "->" in answertext:
        return read_match(question, answertext, warn)
    truefalse_check = answertext
    if answertext.find("#") > 0:
        truefalse_check = php_trim(answertext[: answertext.find("#")])
    if truefalse_check in TRUEFALSE_KEYS:
        return read_truefalse(question, answertext, warn)
    if truefalse_check.upper() in TRUEFALSE_KEYS or truefalse_check.upper() in ("WAHR", "FALSCH"):
        warn(
            question["line"],
            N_(
                "{%(answer)s} is read as a short-answer question, as in Moodle: "
                "write {TRUE}, {FALSE}, {T} or {F} for a true/false question"
            ),
            answer=escape_post(truefalse_check),
        )
    return read_shortanswer(question, answertext, warn)
