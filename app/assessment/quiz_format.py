"""Quiz files (`quizzes/<id>.yaml`, docs/QUIZ_FORMAT.md): parse with exact line numbers, and dump.

The YAML is composed into nodes (`yaml.compose` with the safe loader) and checked node by node,
so every problem names the line it is on; scalars are built with PyYAML's safe constructor only.
Problems are the shared `app.web.problems.Problem` (also importable from here): `str()` gives
`file:line: message`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from app.assessment.questions import (
    LAYOUTS,
    MAX_ATTEMPTS,
    MAX_COOLDOWN_MINUTES,
    MAX_NUMBER,
    MAX_POINTS,
    MAX_TIME_LIMIT_MINUTES,
    QUESTION_TYPES,
    REVIEW_POLICIES,
    SCORE_POLICIES,
    Item,
    NumericAnswer,
    Option,
    Pair,
    Pool,
    Question,
    Quiz,
    ShortAnswer,
    Texts,
    is_blank,
)
from app.content.safe_yaml import compose_limited
from app.i18n.languages import LANGUAGES, UNDETERMINED
from app.i18n.markers import N_
from app.web.problems import ERROR, WARNING, Problem, make_problem

QUIZ_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ITEM_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

QUIZ_KEYS = (
    "id",
    "module",
    "title",
    "pass_mark",
    "attempts",
    "cooldown_minutes",
    "time_limit_minutes",
    "score",
    "shuffle_questions",
    "shuffle_options",
    "layout",
    "review",
    "questions",
    "pools",
)
POOL_KEYS = ("id", "draw", "questions")
COMMON_QUESTION_KEYS = ("id", "type", "stem", "points", "explanation", "tags")
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "single": ("options",),
    "multiple": ("options",),
    "truefalse": ("answer", "feedback_true", "feedback_false"),
    "short": ("answers", "case_sensitive", "accent_sensitive"),
    "numeric": ("answers",),
    "matching": ("pairs", "distractors"),
    "ordering": ("items",),
}
REQUIRED_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "single": ("options",),
    "multiple": ("options",),
    "truefalse": ("answer",),
    "short": ("answers",),
    "numeric": ("answers",),
    "matching": ("pairs",),
    "ordering": ("items",),
}
SINGLE_OPTION_KEYS = ("id", "text", "correct", "feedback")
MULTIPLE_OPTION_KEYS = ("id", "text", "weight", "feedback")
SHORT_ANSWER_KEYS = ("text", "weight", "feedback")
NUMERIC_ANSWER_KEYS = ("value", "tolerance", "min", "max", "weight", "feedback")
PAIR_KEYS = ("id", "prompt", "match")
ITEM_KEYS = ("id", "text")

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
# Limits (docs/QUIZ_FORMAT.md), checked before the expensive work: the size before parsing,
# nesting depth and the number of values while composing, counts and lengths while reading.
MAX_QUIZ_CHARS = 200_000
MAX_YAML_VALUES = 40_000
MAX_QUESTIONS = 300
MAX_POOLS = 50
MAX_CHOICES = 30  # options, accepted answers, pairs, distractors, items of one question
MAX_TEXT_CHARS = 10_000
MAX_TITLE_CHARS = 200
MAX_ID_CHARS = 60
MAX_TAGS = 30
# Weights are percentages; a float sum of 33.33 + 33.33 + 33.34 must still count as 100.
WEIGHT_EPSILON = 0.01


def parse_quiz_file(path: str | Path) -> tuple[Quiz | None, list[Problem]]:
    """Read and check a quiz file; the quiz is None when there is any error."""
    path = Path(path)
    with path.open("rb") as handle:
        # UTF-8 takes at most 4 bytes a character: anything longer is refused unread.
        raw = handle.read(4 * MAX_QUIZ_CHARS + 1)
    if len(raw) > 4 * MAX_QUIZ_CHARS:
        return None, [_too_large(str(path), len(raw))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [make_problem(str(path), line, N_("the file is not valid UTF-8 text"))]
    return parse_quiz_text(text, str(path))


def parse_quiz_text(text: str, filename: str) -> tuple[Quiz | None, list[Problem]]:
    """Check quiz YAML text; return the quiz (None if any error) and every problem found."""
    if len(text) > MAX_QUIZ_CHARS:
        return None, [_too_large(filename, len(text))]
    reader = _QuizReader(filename)
    quiz = reader.read(text)
    problems = sorted(reader.problems, key=lambda p: p.line)
    if any(p.severity == ERROR for p in problems):
        return None, problems
    return quiz, problems


def _too_large(filename: str, size: int) -> Problem:
    return make_problem(
        filename,
        1,
        N_("the quiz is too large (%(size)s characters, at most %(max)s)"),
        size=size,
        max=MAX_QUIZ_CHARS,
    )


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Entry:
    """A key of a mapping node with its value node."""

    __slots__ = ("key", "key_node", "value")

    def __init__(self, key: str, key_node: yaml.Node, value: yaml.Node) -> None:
        self.key = key
        self.key_node = key_node
        self.value = value

    @property
    def line(self) -> int:
        return _line(self.key_node)


class _QuizReader:
    """Walks the composed YAML nodes, collecting problems and building the model."""

    def __init__(self, filename: str) -> None:
        self.file = filename
        self.problems: list[Problem] = []
        self._errors = 0
        self._constructor = yaml.SafeLoader("")
        self._question_ids: dict[str, int] = {}
        self._question_count = 0

    # -- reporting -------------------------------------------------------------------------

    def error(self, line: int, template: str, **params: Any) -> None:
        self._errors += 1
        self.problems.append(make_problem(self.file, line, template, ERROR, **params))

    def warning(self, line: int, template: str, **params: Any) -> None:
        self.problems.append(make_problem(self.file, line, template, WARNING, **params))

    # -- entry point -----------------------------------------------------------------------

    def read(self, text: str) -> Quiz | None:
        try:
            loader, root = compose_limited(text, max_nodes=MAX_YAML_VALUES)
            loader.dispose()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
            self.error(line, N_("invalid YAML: %(problem)s"), problem=problem)
            return None
        except yaml.YAMLError as exc:
            position = getattr(exc, "position", 0) or 0
            line = text[:position].count("\n") + 1
            self.error(line, N_("invalid YAML: %(problem)s"), problem=str(exc).splitlines()[0])
            return None
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == _NULL):
            self.error(1, N_("the file is empty"))
            return None
        if not isinstance(root, yaml.MappingNode):
            self.error(_line(root), N_("the file must start with quiz settings (key: value)"))
            return None
        return self.quiz(root)

    # -- generic node checks ---------------------------------------------------------------

    def mapping(
        self,
        node: yaml.Node,
        allowed: tuple[str, ...],
        required: tuple[str, ...],
        *,
        line: int | None = None,
    ) -> dict[str, _Entry] | None:
        """Return the entries of a mapping node after checking keys, or None if not a mapping."""
        if not isinstance(node, yaml.MappingNode):
            self.error(line or _line(node), N_("expected a mapping (key: value lines)"))
            return None
        entries: dict[str, _Entry] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL:
                self.error(_line(key_node), N_("keys must be plain words"))
                continue
            key = key_node.value
            if key in entries:
                self.error(
                    _line(key_node),
                    N_("duplicate key '%(key)s' (first on line %(first)s)"),
                    key=key,
                    first=entries[key].line,
                )
                continue
            if key not in allowed:
                self.error(
                    _line(key_node),
                    N_("unknown key '%(key)s' (allowed here: %(allowed)s)"),
                    key=key,
                    allowed=", ".join(allowed),
                )
                continue
            entries[key] = _Entry(key, key_node, value_node)
        for key in required:
            if key not in entries:
                self.error(_line(node), N_("missing required key '%(key)s'"), key=key)
        return entries

    def sequence(self, entry: _Entry, maximum: int | None = None) -> list[yaml.Node] | None:
        if not isinstance(entry.value, yaml.SequenceNode):
            self.error(entry.line, N_("'%(key)s' must be a list"), key=entry.key)
            return None
        if maximum is not None and len(entry.value.value) > maximum:
            self.error(
                entry.line,
                N_("'%(key)s' has %(count)s entries, at most %(max)s"),
                key=entry.key,
                count=len(entry.value.value),
                max=maximum,
            )
            return None
        return list(entry.value.value)

    def _construct(self, entry: _Entry) -> Any:
        """Build a checked scalar with PyYAML's safe constructor (ints, floats, booleans)."""
        return self._constructor.construct_object(entry.value, deep=True)

    def boolean(self, entry: _Entry) -> bool | None:
        node = entry.value
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return bool(self._construct(entry))
        self.error(entry.line, N_("'%(key)s' must be true or false"), key=entry.key)
        return None

    def integer(self, entry: _Entry, minimum: int, maximum: int) -> int | None:
        node = entry.value
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _INT):
            self.error(entry.line, N_("'%(key)s' must be a whole number"), key=entry.key)
            return None
        # Checked on the text: Python refuses to convert a number of thousands of digits.
        value = int(self._construct(entry)) if len(node.value) <= 20 else maximum + 1
        if value < minimum:
            self.error(
                entry.line,
                N_("'%(key)s' must be at least %(minimum)s"),
                key=entry.key,
                minimum=minimum,
            )
            return None
        if value > maximum:
            self.error(
                entry.line,
                N_("'%(key)s' must be at most %(maximum)s"),
                key=entry.key,
                maximum=maximum,
            )
            return None
        return value

    def number(self, entry: _Entry, limit: float = MAX_NUMBER) -> float | None:
        """A finite int or float whose size is at most `limit` (either sign)."""
        node = entry.value
        if not (isinstance(node, yaml.ScalarNode) and node.tag in (_INT, _FLOAT)):
            self.error(entry.line, N_("'%(key)s' must be a number"), key=entry.key)
            return None
        if len(node.value) > 40:
            self.error(entry.line, N_("'%(key)s' is too long for a number"), key=entry.key)
            return None
        value = self._construct(entry)
        if isinstance(value, float) and not math.isfinite(value):
            self.error(entry.line, N_("'%(key)s' must be a finite number"), key=entry.key)
            return None
        if abs(value) > limit:
            self.error(
                entry.line,
                N_("'%(key)s' must be between -%(max)s and %(max)s"),
                key=entry.key,
                max=_plain_number(limit),
            )
            return None
        return value

    def string(self, entry: _Entry, maximum: int = MAX_TEXT_CHARS) -> str | None:
        """Return a scalar as the text written in the file (numbers keep their spelling)."""
        node = entry.value
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
            self.error(entry.line, N_("'%(key)s' must be a text"), key=entry.key)
            return None
        if len(node.value) > maximum:
            self._too_long(entry, len(node.value), maximum)
            return None
        return node.value

    def _too_long(self, entry: _Entry, length: int, maximum: int) -> None:
        self.error(
            entry.line,
            N_("'%(key)s' is too long (%(length)s characters, at most %(max)s)"),
            key=entry.key,
            length=length,
            max=maximum,
        )

    def identifier(self, entry: _Entry, pattern: re.Pattern[str] = ITEM_ID_RE) -> str | None:
        value = self.string(entry, MAX_ID_CHARS)
        if value is None:
            return None
        if not pattern.match(value):
            if pattern is QUIZ_ID_RE:
                template = N_("'%(key)s' must be a lowercase slug (a-z, 0-9 and -): '%(value)s'")
            else:
                template = N_(
                    "'%(key)s' may contain only letters, digits, '-', '_' and '.': '%(value)s'"
                )
            self.error(entry.line, template, key=entry.key, value=value)
            return None
        return value

    def choice(self, entry: _Entry, allowed: tuple[str, ...]) -> str | None:
        value = self.string(entry)
        if value is None:
            return None
        if value not in allowed:
            self.error(
                entry.line,
                N_("'%(key)s' must be one of %(allowed)s, not '%(value)s'"),
                key=entry.key,
                allowed=", ".join(allowed),
                value=value,
            )
            return None
        return value

    def text(
        self, entry: _Entry, *, required: bool = False, maximum: int = MAX_TEXT_CHARS
    ) -> Texts | None:
        """Return a text: a plain string (stored under 'und') or a language -> text mapping."""
        node = entry.value
        texts: Texts = {}
        if isinstance(node, yaml.ScalarNode):
            if node.tag != _NULL:
                texts = {UNDETERMINED: node.value}
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                lang = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                if lang not in LANGUAGES:
                    self.error(
                        _line(key_node),
                        N_("unknown language '%(lang)s' in '%(key)s' (use de, fr, it or en)"),
                        lang=lang,
                        key=entry.key,
                    )
                    return None
                if lang in texts:
                    self.error(
                        _line(key_node),
                        N_("language '%(lang)s' appears twice in '%(key)s'"),
                        lang=lang,
                        key=entry.key,
                    )
                    return None
                if not isinstance(value_node, yaml.ScalarNode):
                    self.error(
                        _line(value_node),
                        N_("the '%(lang)s' text of '%(key)s' must be a text"),
                        lang=lang,
                        key=entry.key,
                    )
                    return None
                texts[lang] = "" if value_node.tag == _NULL else value_node.value
        else:
            self.error(
                entry.line,
                N_("'%(key)s' must be a text or a mapping of language to text"),
                key=entry.key,
            )
            return None
        if required and is_blank(texts):
            self.error(entry.line, N_("'%(key)s' is empty"), key=entry.key)
            return None
        longest = max((len(value) for value in texts.values()), default=0)
        if longest > maximum:
            self._too_long(entry, longest, maximum)
            return None
        return texts

    # -- quiz ------------------------------------------------------------------------------

    def quiz(self, root: yaml.MappingNode) -> Quiz | None:
        entries = self.mapping(root, QUIZ_KEYS, ("id", "title", "pass_mark"))
        if entries is None:
            return None
        settings: dict[str, Any] = {}
        if "id" in entries:
            settings["id"] = self.identifier(entries["id"], QUIZ_ID_RE)
        if "module" in entries:
            settings["module_id"] = self.identifier(entries["module"], QUIZ_ID_RE)
        if "title" in entries:
            settings["title"] = self.text(entries["title"], required=True, maximum=MAX_TITLE_CHARS)
        if "pass_mark" in entries:
            pass_mark = self.number(entries["pass_mark"])
            if pass_mark is not None and not 0 <= pass_mark <= 100:
                self.error(entries["pass_mark"].line, N_("'pass_mark' must be between 0 and 100"))
            settings["pass_mark"] = pass_mark
        if "attempts" in entries:
            settings["attempts"] = self.integer(entries["attempts"], 0, MAX_ATTEMPTS)
        if "cooldown_minutes" in entries:
            settings["cooldown_minutes"] = self.integer(
                entries["cooldown_minutes"], 0, MAX_COOLDOWN_MINUTES
            )
        if "time_limit_minutes" in entries:
            entry = entries["time_limit_minutes"]
            if not (isinstance(entry.value, yaml.ScalarNode) and entry.value.tag == _NULL):
                settings["time_limit_minutes"] = self.integer(entry, 1, MAX_TIME_LIMIT_MINUTES)
        for key, attribute, allowed in (
            ("score", "score_policy", SCORE_POLICIES),
            ("layout", "layout", LAYOUTS),
            ("review", "review", REVIEW_POLICIES),
        ):
            if key in entries:
                settings[attribute] = self.choice(entries[key], allowed)
        for key in ("shuffle_questions", "shuffle_options"):
            if key in entries:
                settings[key] = self.boolean(entries[key])

        questions: list[Question] = []
        if "questions" in entries:
            questions = self.question_list(entries["questions"])
        pools: list[Pool] = []
        if "pools" in entries:
            pools = self.pool_list(entries["pools"])
        if not questions and not pools and not self._error_count():
            line = entries["questions"].line if "questions" in entries else _line(root)
            self.error(line, N_("the quiz has no questions: add 'questions' or 'pools'"))

        if any(p.severity == ERROR for p in self.problems):
            return None
        return Quiz(questions=tuple(questions), pools=tuple(pools), **settings)

    def pool_list(self, entry: _Entry) -> list[Pool]:
        nodes = self.sequence(entry, MAX_POOLS)
        pools: list[Pool] = []
        seen: dict[str, int] = {}
        for node in nodes or ():
            entries = self.mapping(node, POOL_KEYS, POOL_KEYS)
            if entries is None:
                continue
            pool_id = self.identifier(entries["id"]) if "id" in entries else None
            if pool_id is not None:
                if pool_id in seen:
                    self.error(
                        entries["id"].line,
                        N_("duplicate pool id '%(id)s' (first on line %(first)s)"),
                        id=pool_id,
                        first=seen[pool_id],
                    )
                seen.setdefault(pool_id, entries["id"].line)
            questions = self.question_list(entries["questions"]) if "questions" in entries else []
            draw = self.integer(entries["draw"], 1, MAX_QUESTIONS) if "draw" in entries else None
            if (
                draw is not None
                and "questions" in entries
                and isinstance(entries["questions"].value, yaml.SequenceNode)
            ):
                size = len(entries["questions"].value.value)
                if draw > size:
                    self.error(
                        entries["draw"].line,
                        N_("the pool draws %(draw)s questions but has only %(size)s"),
                        draw=draw,
                        size=size,
                    )
            if pool_id is not None and draw is not None:
                pools.append(Pool(id=pool_id, draw=draw, questions=tuple(questions)))
        return pools

    def question_list(self, entry: _Entry) -> list[Question]:
        nodes = self.sequence(entry)
        questions: list[Question] = []
        if nodes and self._question_count + len(nodes) > MAX_QUESTIONS:
            self.error(
                entry.line,
                N_("a quiz has at most %(max)s questions (pools included)"),
                max=MAX_QUESTIONS,
            )
            return questions
        self._question_count += len(nodes or ())
        for node in nodes or ():
            question = self.question(node)
            if question is not None:
                questions.append(question)
        return questions

    # -- questions -------------------------------------------------------------------------

    def question(self, node: yaml.Node) -> Question | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(_line(node), N_("expected a question (key: value lines)"))
            return None
        qtype = None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "type":
                if isinstance(value_node, yaml.ScalarNode) and value_node.value in QUESTION_TYPES:
                    qtype = value_node.value
                else:
                    self.error(
                        _line(value_node),
                        N_("unknown question type '%(type)s' (use %(allowed)s)"),
                        type=getattr(value_node, "value", "?"),
                        allowed=", ".join(QUESTION_TYPES),
                    )
                    qtype = "?"
        errors_before = self._error_count()
        if qtype is None:
            self.error(_line(node), N_("missing required key '%(key)s'"), key="type")
            qtype = "?"
        if qtype == "?":
            # Without a type only the common keys can be checked; the rest would be noise.
            allowed = COMMON_QUESTION_KEYS + tuple(
                sorted({key for keys in TYPE_KEYS.values() for key in keys})
            )
            self.mapping(node, allowed, ("id", "stem"))
            return None
        entries = self.mapping(
            node,
            COMMON_QUESTION_KEYS + TYPE_KEYS[qtype],
            ("id", "type", "stem") + REQUIRED_TYPE_KEYS[qtype],
        )
        if entries is None:
            return None
        fields: dict[str, Any] = {"type": qtype}
        if "id" in entries:
            question_id = self.identifier(entries["id"])
            if question_id is not None:
                if question_id in self._question_ids:
                    self.error(
                        entries["id"].line,
                        N_("duplicate question id '%(id)s' (first on line %(first)s)"),
                        id=question_id,
                        first=self._question_ids[question_id],
                    )
                self._question_ids.setdefault(question_id, entries["id"].line)
            fields["id"] = question_id
        if "stem" in entries:
            fields["stem"] = self.text(entries["stem"], required=True)
        if "points" in entries:
            points = self.number(entries["points"])
            if points is not None and points <= 0:
                self.error(entries["points"].line, N_("'points' must be more than 0"))
            elif points is not None and points > MAX_POINTS:
                self.error(
                    entries["points"].line, N_("'points' must be at most %(max)s"), max=MAX_POINTS
                )
            fields["points"] = points
        if "explanation" in entries:
            fields["explanation"] = self.text(entries["explanation"])
        if "tags" in entries:
            fields["tags"] = self.tags(entries["tags"])
        if all(key in entries for key in REQUIRED_TYPE_KEYS[qtype]):
            getattr(self, f"_{qtype}")(entries, fields)
        if self._error_count() > errors_before:
            return None
        return Question(**fields)

    def _error_count(self) -> int:
        return self._errors

    def tags(self, entry: _Entry) -> tuple[str, ...]:
        nodes = self.sequence(entry, MAX_TAGS)
        tags = []
        for node in nodes or ():
            if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
                self.error(_line(node), N_("each tag must be a text"))
                continue
            if len(node.value) > MAX_ID_CHARS:
                self._too_long(_Entry("tags", node, node), len(node.value), MAX_ID_CHARS)
                continue
            tags.append(node.value)
        return tuple(tags)

    def _unique(self, entry: _Entry, seen: dict[str, int], kind: str) -> str | None:
        value = self.identifier(entry)
        if value is None:
            return None
        if value in seen:
            self.error(
                entry.line,
                N_("duplicate %(kind)s id '%(id)s' (first on line %(first)s)"),
                kind=kind,
                id=value,
                first=seen[value],
            )
            return None
        seen[value] = entry.line
        return value

    def _options(self, entries: dict[str, _Entry], keys: tuple[str, ...]) -> list[Option]:
        nodes = self.sequence(entries["options"], MAX_CHOICES) or []
        options = []
        seen: dict[str, int] = {}
        for node in nodes:
            option = self.mapping(node, keys, ("id", "text"))
            if option is None:
                continue
            values: dict[str, Any] = {}
            if "id" in option:
                values["id"] = self._unique(option["id"], seen, "option")
            if "text" in option:
                values["text"] = self.text(option["text"], required=True)
            if "feedback" in option:
                values["feedback"] = self.text(option["feedback"])
            if "correct" in option:
                values["correct"] = self.boolean(option["correct"])
            if "weight" in option:
                weight = self.number(option["weight"])
                if weight is not None and not -100 <= weight <= 100:
                    self.error(option["weight"].line, N_("'weight' must be between -100 and 100"))
                values["weight"] = weight
            # A missing id or text was reported by mapping(); such an option is left out.
            if {"id", "text"} <= values.keys() and all(v is not None for v in values.values()):
                options.append(Option(**values))
        if len(nodes) < 2:
            self.error(entries["options"].line, N_("a choice question needs at least 2 options"))
        return options

    def _single(self, entries: dict[str, _Entry], fields: dict[str, Any]) -> None:
        before = self._error_count()
        options = self._options(entries, SINGLE_OPTION_KEYS)
        if self._error_count() == before:
            correct = sum(1 for option in options if option.correct)
            if correct != 1:
                self.error(
                    entries["options"].line,
                    N_("a single-choice question needs exactly one correct option, found %(n)s"),
                    n=correct,
                )
        fields["options"] = tuple(options)

    def _multiple(self, entries: dict[str, _Entry], fields: dict[str, Any]) -> None:
        before = self._error_count()
        options = self._options(entries, MULTIPLE_OPTION_KEYS)
        if self._error_count() == before:
            total = sum(option.weight for option in options if option.weight > 0)
            if abs(total - 100) > WEIGHT_EPSILON:
                self.error(
                    entries["options"].line,
                    N_("the positive weights must add up to 100, they add up to %(total)s"),
                    total=_plain_number(total),
                )
        fields["options"] = tuple(options)

    def _truefalse(self, entries: dict[str, _Entry], fields: dict[str, Any]) -> None:
        fields["answer"] = self.boolean(entries["answer"])
        for key in ("feedback_true", "feedback_false"):
            if key in entries:
                fields[key] = self.text(entries[key])

    def _short(self, entries: dict[str, _Entry], fields: dict[str, Any]) -> None:
        nodes = self.sequence(entries["answers"], MAX_CHOICES) or []
        answers = []
        for node in nodes:
            answer = self.mapping(node, SHORT_ANSWER_KEYS, ("text",))
            if answer is None:
                continue
            values: dict[str, Any] = {}
            if "text" in answer:
                if isinstance(answer["text"].value, yaml.MappingNode):
                    self.error(
                        answer["text"].line,
                        N_(
                            "an accepted answer is one text: list each language's answer "
                            "as a separate answer"
                        ),
                    )
                    continue
                text = self.string(answer["text"])
                if text is not None and not text.strip():
                    self.error(answer["text"].line, N_("'text' is empty"))
                    text = None
                values["text"] = text
            self._answer_extras(answer, values)
            if values.get("text") is not None and all(v is not None for v in values.values()):
                answers.append(ShortAnswer(**values))
        if not nodes:
            self.error(entries["answers"].line, N_("a question needs at least one answer"))
        elif answers and not any(a.weight >= 100 for a in answers):
            self.warning(entries["answers"].line, N_("no answer gives full marks (weight 100)"))
        fields["answers"] = tuple(answers)
        for key in ("case_sensitive", "accent_sensitive"):
            if key in entries:
                fields[key] = self.boolean(entries[key])

    def _answer_extras(self, answer: dict[str, _Entry], values: dict[str, Any]) -> None:
        if "weight" in answer:
            weight = self.number(answer["weight"])
            if weight is not None and not 0 <= weight <= 100:
                self.error(answer["weight"].line, N_("'weight' must be between 0 and 100"))
            values["weight"] = weight
        if "feedback" in answer:
            values["feedback"] = self.text(answer["feedback"])

    def _numeric(self, entries: dict[str, _Entry], fields: dict[str, Any]) -> None:
        nodes = self.sequence(entries["answers"], MAX_CHOICES) or []
        answers = []
        for node in nodes:
            answer = self.mapping(node, NUMERIC_ANSWER_KEYS, ())
            if answer is None:
                continue
            values: dict[str, Any] = {}
            for key in ("value", "tolerance", "min", "max"):
                if key in answer:
                    values[key] = self.number(answer[key])
            has_range = "min" in answer or "max" in answer
            if "value" not in answer and not has_range:
                self.error(_line(node), N_("a numeric answer needs 'value' or 'min' and 'max'"))
                continue
            if "value" in answer and has_range:
                self.error(_line(node), N_("a numeric answer has either 'value' or 'min'/'max'"))
                continue
            if has_range and not ("min" in answer and "max" in answer):
                missing = "max" if "min" in answer else "min"
                self.error(_line(node), N_("missing required key '%(key)s'"), key=missing)
                continue
            if has_range and "tolerance" in answer:
                self.error(answer["tolerance"].line, N_("'tolerance' goes with 'value' only"))
                continue
            tolerance = values.get("tolerance")
            if tolerance is not None and tolerance < 0:
                self.error(answer["tolerance"].line, N_("'tolerance' must not be negative"))
                continue
            low, high = values.get("min"), values.get("max")
            if low is not None and high is not None and low > high:
                self.error(answer["min"].line, N_("'min' must not be greater than 'max'"))
                continue
            self._answer_extras(answer, values)
            if all(value is not None for value in values.values()):
                answers.append(NumericAnswer(**values))
        if not nodes:
            self.error(entries["answers"].line, N_("a question needs at least one answer"))
        elif answers and not any(a.weight >= 100 for a in answers):
            self.warning(entries["answers"].line, N_("no answer gives full marks (weight 100)"))
        fields["answers"] = tuple(answers)

    def _matching(self, entries: dict[str, _Entry], fields: dict[str, Any]) -> None:
        nodes = self.sequence(entries["pairs"], MAX_CHOICES) or []
        pairs = []
        seen: dict[str, int] = {}
        for node in nodes:
            pair = self.mapping(node, PAIR_KEYS, PAIR_KEYS)
            if pair is None or len(pair) < len(PAIR_KEYS):
                continue
            values = {
                "id": self._unique(pair["id"], seen, "pair"),
                "prompt": self.text(pair["prompt"], required=True),
                "match": self.text(pair["match"], required=True),
            }
            if all(value is not None for value in values.values()):
                pairs.append(Pair(**values))
        if len(nodes) < 2:
            self.error(entries["pairs"].line, N_("a matching question needs at least 2 pairs"))
        fields["pairs"] = tuple(pairs)
        if "distractors" in entries:
            distractors = []
            for node in self.sequence(entries["distractors"], MAX_CHOICES) or ():
                entry = _Entry("distractors", node, node)
                text = self.text(entry, required=True)
                if text is not None:
                    distractors.append(text)
            fields["distractors"] = tuple(distractors)

    def _ordering(self, entries: dict[str, _Entry], fields: dict[str, Any]) -> None:
        nodes = self.sequence(entries["items"], MAX_CHOICES) or []
        items = []
        seen: dict[str, int] = {}
        for node in nodes:
            item = self.mapping(node, ITEM_KEYS, ITEM_KEYS)
            if item is None or len(item) < len(ITEM_KEYS):
                continue
            item_id = self._unique(item["id"], seen, "item")
            text = self.text(item["text"], required=True)
            if item_id is not None and text is not None:
                items.append(Item(id=item_id, text=text))
        if len(nodes) < 2:
            self.error(entries["items"].line, N_("an ordering question needs at least 2 items"))
        elif len(items) == len(nodes) and _ids_reveal_order([item.id for item in items]):
            self.warning(
                entries["items"].line,
                N_(
                    "the item ids follow the correct order, so they give the answer away: "
                    "use ids that do not count up"
                ),
            )
        fields["items"] = tuple(items)


def _ids_reveal_order(ids: list[str]) -> bool:
    """Tell whether ids like 1,2,3 / a,b,c / step1,step2 list the items in their sorted order."""
    if len(ids) < 2:
        return False
    numbered = [re.fullmatch(r"(\D*?)(\d+)", item_id) for item_id in ids]
    if all(numbered):
        prefixes = {m.group(1) for m in numbered if m}
        numbers = [int(m.group(2)) for m in numbered if m]
        return len(prefixes) == 1 and numbers == sorted(numbers)
    if all(len(item_id) == 1 for item_id in ids):
        return ids == sorted(ids)
    return False


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# -- dumping -------------------------------------------------------------------------------


class _QuizDumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line text as literal blocks and never uses aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent lists under their key, as trainers write them in the examples.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(_STR, value, style=style)


_QuizDumper.add_representer(str, _represent_str)


def dump_quiz(quiz: Quiz) -> str:
    """Write a quiz in the quiz file format; `parse_quiz_text` of the result gives an equal Quiz."""
    data: dict[str, Any] = {"id": quiz.id}
    if quiz.module_id is not None:
        data["module"] = quiz.module_id
    data["title"] = _dump_text(quiz.title)
    data["pass_mark"] = quiz.pass_mark
    data["attempts"] = quiz.attempts
    data["cooldown_minutes"] = quiz.cooldown_minutes
    if quiz.time_limit_minutes is not None:
        data["time_limit_minutes"] = quiz.time_limit_minutes
    data["score"] = quiz.score_policy
    data["shuffle_questions"] = quiz.shuffle_questions
    data["shuffle_options"] = quiz.shuffle_options
    data["layout"] = quiz.layout
    data["review"] = quiz.review
    if quiz.questions or not quiz.pools:
        data["questions"] = [_dump_question(q) for q in quiz.questions]
    if quiz.pools:
        data["pools"] = [
            {
                "id": pool.id,
                "draw": pool.draw,
                "questions": [_dump_question(q) for q in pool.questions],
            }
            for pool in quiz.pools
        ]
    return yaml.dump(
        data,
        Dumper=_QuizDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def _dump_text(texts: Texts) -> str | dict[str, str]:
    if set(texts) == {UNDETERMINED}:
        return texts[UNDETERMINED]
    return dict(texts)


def _put_text(target: dict[str, Any], key: str, texts: Texts) -> None:
    if texts:
        target[key] = _dump_text(texts)


def _dump_question(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "stem": _dump_text(question.stem),
    }
    if question.points != 1:
        data["points"] = question.points
    _put_text(data, "explanation", question.explanation)
    if question.tags:
        data["tags"] = list(question.tags)
    if question.type in ("single", "multiple"):
        data["options"] = [_dump_option(question.type, option) for option in question.options]
    elif question.type == "truefalse":
        data["answer"] = question.answer
        _put_text(data, "feedback_true", question.feedback_true)
        _put_text(data, "feedback_false", question.feedback_false)
    elif question.type in ("short", "numeric"):
        data["answers"] = [_dump_answer(answer) for answer in question.answers]
        if question.type == "short":
            if question.case_sensitive:
                data["case_sensitive"] = True
            if question.accent_sensitive:
                data["accent_sensitive"] = True
    elif question.type == "matching":
        data["pairs"] = [
            {"id": p.id, "prompt": _dump_text(p.prompt), "match": _dump_text(p.match)}
            for p in question.pairs
        ]
        if question.distractors:
            data["distractors"] = [_dump_text(text) for text in question.distractors]
    elif question.type == "ordering":
        data["items"] = [{"id": i.id, "text": _dump_text(i.text)} for i in question.items]
    return data


def _dump_option(qtype: str, option: Option) -> dict[str, Any]:
    data: dict[str, Any] = {"id": option.id, "text": _dump_text(option.text)}
    if qtype == "single":
        if option.correct:
            data["correct"] = True
    elif option.weight != 0:
        data["weight"] = option.weight
    _put_text(data, "feedback", option.feedback)
    return data


def _dump_answer(answer: ShortAnswer | NumericAnswer) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if isinstance(answer, ShortAnswer):
        data["text"] = answer.text
    elif answer.value is not None:
        data["value"] = answer.value
        if answer.tolerance != 0:
            data["tolerance"] = answer.tolerance
    else:
        data["min"] = answer.min
        data["max"] = answer.max
    if answer.weight != 100:
        data["weight"] = answer.weight
    _put_text(data, "feedback", answer.feedback)
    return data
