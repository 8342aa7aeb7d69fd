"""Writing Moodle-shaped question dicts (`gift.py` describes the shape) as GIFT text.

The output is exactly what Moodle's `qformat_gift` exporter writes. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from typing import Any

from app.assessment.gift import FORMATS, default_question_name, php_number

_FORMAT_MARKER_RE = re.compile(r"\[(?:moodle|html|plain|markdown)\]")


def _repchar(text: str) -> str:
    """Escape GIFT's control characters, as Moodle's exporter does."""
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
    """Write one question block: the comment header, the name, the text and the answers."""
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
        return out + "\n\n"
    if qtype == "essay":
        return out + "{" + _write_general_feedback(question, "") + "}\n\n"
    if qtype == "truefalse":
        return out + _write_truefalse(question, fmt) + "\n"
    writer = _ANSWER_WRITERS.get(qtype)
    if writer is None:
        raise ValueError(f"GIFT cannot hold a question of type {qtype!r}")
    opening = "{#\n" if qtype == "numerical" else "{\n"
    answers = writer(question, fmt)
    return out + opening + answers + _write_general_feedback(question, "\t") + "}\n\n"


def _write_multichoice(question: dict[str, Any], fmt: str) -> str:
    """Write a multichoice question's answer lines."""
    out = ""
    for answer in question.get("answers", ()):
        fraction = float(answer.get("fraction", 0))
        if fraction == 1 and question.get("single", True):
            prefix = "="
        elif fraction == 0:
            prefix = "~"
        else:
            prefix = "~%" + php_number(fraction * 100) + "%"
        out += "\t" + prefix + _write_text(answer.get("text", ""), answer.get("format", fmt), fmt)
        feedback_text, _ = _feedback(answer.get("feedback"), fmt)
        if feedback_text != "":
            out += "#" + _write_feedback(answer.get("feedback"), fmt)
        out += "\n"
    return out


def _write_shortanswer(question: dict[str, Any], fmt: str) -> str:
    """Write a shortanswer question's answer lines."""
    out = ""
    for answer in question.get("answers", ()):
        weight = php_number(100 * float(answer.get("fraction", 0)))
        out += f"\t=%{weight}%" + _repchar(answer.get("text", ""))
        out += "#" + _write_feedback(answer.get("feedback"), fmt) + "\n"
    return out


def _write_numerical(question: dict[str, Any], fmt: str) -> str:
    """Write a numerical question's answer lines (`*` or no value: the wrong-answer feedback)."""
    out = ""
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
    return out


def _write_match(question: dict[str, Any], fmt: str) -> str:
    """Write a match question's `=prompt -> answer` lines."""
    out = ""
    for sub in question.get("subquestions", ()):
        text = _write_text(sub.get("text", ""), sub.get("format", fmt), fmt)
        out += "\t=" + text + " -> " + _repchar(sub.get("answer", "")) + "\n"
    return out


_ANSWER_WRITERS = {
    "multichoice": _write_multichoice,
    "shortanswer": _write_shortanswer,
    "numerical": _write_numerical,
    "match": _write_match,
}


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
