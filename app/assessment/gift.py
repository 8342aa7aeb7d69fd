"""Moodle GIFT questions, read and written following the behaviour of Moodle's `qformat_gift`.

Questions are plain dicts in Moodle's shape (see tests/data/gift/expected.json):
`qtype`, `name` (None without a ::title::), `questiontext`, `questiontextformat`,
`generalfeedback`, `generalfeedbackformat`, `defaultmark`, `penalty`, `length`, `idnumber`,
`tags`, and per type `single`/`answers` (multichoice: text, format, fraction, feedback),
`answers` (shortanswer: text, fraction, feedback; numerical: answer, tolerance, fraction,
feedback), `subquestions` (match: text, format, answer), `correctanswer`/`feedbacktrue`/
`feedbackfalse` (truefalse). Feedback is `{"text", "format"}`; formats are the names
moodle, html, plain and markdown. The reader adds `line` (where the block starts, 1-based)
and `category` (from the last `$CATEGORY:` line, or None).

Reading is `gift_reader` (with `gift_answers`), writing is `gift_writer`; this module holds what
both share: the constants and the PHP-compatible helpers. Where Moodle is plainly buggy the
reader says so in a comment and does the sensible thing.
"""

from __future__ import annotations

import math
import re

FORMATS = ("moodle", "html", "plain", "markdown")
DEFAULT_PENALTY = 0.3333333
# Limits (docs/QUIZ_FORMAT.md): checked before reading, so a huge file costs nothing.
MAX_GIFT_CHARS = 512 * 1024

# PHP's trim() strips only these; Python's str.strip() would also eat e.g. no-break spaces.
PHP_WHITESPACE = " \t\n\r\0\x0b"
_PHP_NUMERIC_RE = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
_ID_RE = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_RE = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f\x7f])*)\]")
_HTML_TAG_RE = re.compile(r"<[^>]*>")


def php_trim(text: str) -> str:
    """Strip what PHP's trim() strips, and nothing more."""
    return text.strip(PHP_WHITESPACE)


def is_php_numeric(text: str) -> bool:
    """Tell whether PHP's is_numeric() holds for `text` (leading whitespace allowed)."""
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
