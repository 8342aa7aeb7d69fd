"""Quiz files (`quizzes/<id>.yaml`, docs/QUIZ_FORMAT.md): parse with exact line numbers.

The YAML is composed into nodes (`yaml.compose` with the safe loader) and checked node by node
(`quiz_nodes`, `quiz_questions`), so every problem names the line it is on. Problems are the
shared `app.web.problems.Problem`: `str()` gives `file:line: message`. Writing is `quiz_dump`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.assessment.questions import (
    LAYOUTS,
    MAX_ATTEMPTS,
    MAX_COOLDOWN_MINUTES,
    MAX_TIME_LIMIT_MINUTES,
    REVIEW_POLICIES,
    SCORE_POLICIES,
    Pool,
    Question,
    Quiz,
)
from app.assessment.quiz_nodes import NULL_TAG, Entry, node_line
from app.assessment.quiz_questions import QuestionReader
from app.assessment.quiz_schema import (
    MAX_POOLS,
    MAX_QUESTIONS,
    MAX_QUIZ_CHARS,
    MAX_TITLE_CHARS,
    MAX_YAML_VALUES,
    POOL_KEYS,
    QUIZ_ID_RE,
    QUIZ_KEYS,
)
from app.content.safe_yaml import compose_limited
from app.i18n.markers import N_
from app.web.problems import ERROR, Problem, make_problem


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


class _QuizReader(QuestionReader):
    """Reads a whole quiz file: its settings, its questions and its pools."""

    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self._question_count = 0

    # -- entry point -----------------------------------------------------------------------

    def read(self, text: str) -> Quiz | None:
        """Compose the YAML text and read the quiz, or None after reporting why not."""
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
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag == NULL_TAG):
            self.error(1, N_("the file is empty"))
            return None
        if not isinstance(root, yaml.MappingNode):
            self.error(node_line(root), N_("the file must start with quiz settings (key: value)"))
            return None
        return self.quiz(root)

    # -- quiz ------------------------------------------------------------------------------

    def quiz(self, root: yaml.MappingNode) -> Quiz | None:
        """Read the quiz settings, questions and pools; None if there was any error."""
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
            if not (isinstance(entry.value, yaml.ScalarNode) and entry.value.tag == NULL_TAG):
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
        if not questions and not pools and not self.error_count():
            line = entries["questions"].line if "questions" in entries else node_line(root)
            self.error(line, N_("the quiz has no questions: add 'questions' or 'pools'"))

        if any(p.severity == ERROR for p in self.problems):
            return None
        return Quiz(questions=tuple(questions), pools=tuple(pools), **settings)

    def pool_list(self, entry: Entry) -> list[Pool]:
        """Read the pools: an id, how many to draw, and their questions."""
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

    def question_list(self, entry: Entry) -> list[Question]:
        """Read a list of questions, counting them against the quiz's limit."""
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
