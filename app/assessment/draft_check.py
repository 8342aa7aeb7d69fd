"""Check a quiz built in forms by the quiz file rules, and say which question and field is wrong.

There is one set of rules: `quiz_format`. The definition is written as YAML and read back
(as `library.check_definition` does for GIFT), and every problem's line is traced back through
the YAML nodes to its place in the quiz: the question (its number in the list), the field
(`options`, `pass_mark`...) and the row of a list field. Pure: no Flask, no database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import yaml

from app.assessment import quiz_dump, quiz_format
from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.i18n.markers import N_
from app.web.problems import Problem, make_problem

# The question types in words, for messages that name a question ("Question 3 (single choice)").
TYPE_LABELS: dict[str, str] = {
    "single": N_("single choice"),
    "multiple": N_("multiple choice"),
    "truefalse": N_("true or false"),
    "short": N_("short answer"),
    "numeric": N_("number"),
    "matching": N_("matching"),
    "ordering": N_("ordering"),
}

Path = tuple[str | int, ...]

# quiz_format's message, and the same message for the editor in forms, where lines do not exist.
DUPLICATE_QUESTION_ID = "duplicate question id '%(id)s' (first on line %(first)s)"
DUPLICATE_QUESTION_ID_IN_FORMS = N_(
    "the question id '%(id)s' is already used by question %(first)s"
)


@dataclass(frozen=True)
class DraftIssue:
    """A problem of the quiz file rules, placed in the draft.

    `number` is the question's 1-based place in the editor's list (fixed questions, then pool
    questions); `field` the question's key (or the quiz setting) and `row` the 1-based row of
    a list field (options, answers, pairs, items, distractors), `part` the key within that row
    (`weight`, `text`...). `pool` is the 1-based pool for a problem of a pool's own settings.
    """

    problem: Problem
    number: int | None = None
    question_id: str | None = None
    question_type: str | None = None
    field: str | None = None
    row: int | None = None
    part: str | None = None
    pool: int | None = None

    @property
    def is_error(self) -> bool:
        """True for an error (blocks saving or publishing), False for a warning."""
        return self.problem.is_error


def check_quiz(definition: QuizDefinition) -> tuple[QuizDefinition | None, list[DraftIssue]]:
    """Check a whole quiz; return the checked quiz (None on any error) and the placed problems."""
    text = quiz_dump.dump_quiz(definition)
    parsed, problems = quiz_format.parse_quiz_text(text, "draft")
    paths = _line_paths(text)
    placed = []
    for problem in problems:
        issue = _place(definition, problem, paths.get(problem.line, ()))
        if problem.template == DUPLICATE_QUESTION_ID:
            # The line of the first use means nothing in a form: name that question instead.
            first = _place(definition, problem, paths.get(int(problem.params["first"]), ()))
            renamed = make_problem(
                problem.file,
                problem.line,
                DUPLICATE_QUESTION_ID_IN_FORMS,
                id=problem.params["id"],
                first=first.number,
            )
            issue = dataclasses.replace(issue, problem=renamed)
        placed.append(issue)
    return parsed, placed


def _line_paths(text: str) -> dict[int, Path]:
    """The deepest path of keys and list indexes that starts on each line of dumped YAML."""
    paths: dict[int, Path] = {}

    def walk(node: yaml.Node, path: Path) -> None:
        paths[node.start_mark.line + 1] = path
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key_path = (*path, str(key_node.value))
                paths[key_node.start_mark.line + 1] = key_path
                walk(value_node, key_path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    # Our own dump: safe to compose whole, and always valid YAML.
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return paths


def _place(definition: QuizDefinition, problem: Problem, path: Path) -> DraftIssue:
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        return _question_issue(problem, definition.questions, path[1], 0, path[2:])
    if len(path) >= 2 and path[0] == "pools" and isinstance(path[1], int):
        pool_index = path[1]
        if len(path) >= 4 and path[2] == "questions" and isinstance(path[3], int):
            before = len(definition.questions) + sum(
                len(pool.questions) for pool in definition.pools[:pool_index]
            )
            questions = definition.pools[pool_index].questions
            return _question_issue(problem, questions, path[3], before, path[4:])
        return DraftIssue(problem, field="pools", pool=pool_index + 1)
    return DraftIssue(problem, field=str(path[0]) if path else None)


def _question_issue(
    problem: Problem, questions: tuple[Question, ...], index: int, before: int, rest: Path
) -> DraftIssue:
    question = questions[index] if index < len(questions) else None
    field = str(rest[0]) if rest else None
    row = rest[1] + 1 if len(rest) >= 2 and isinstance(rest[1], int) else None
    part = str(rest[2]) if row is not None and len(rest) >= 3 else None
    return DraftIssue(
        problem,
        number=before + index + 1,
        question_id=question.id if question else None,
        question_type=question.type if question else None,
        field=field,
        row=row,
        part=part,
    )
