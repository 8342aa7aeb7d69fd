"""The quiz library on disk (`quizzes/*.yaml`): check files, import them as versions, export them.

`flask content check|import` call `check_quiz_paths` and `import_quizzes` for the quiz files
beside the modules; `flask quizzes ...` and the trainer's browser editor use them too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assessment import gift_export, gift_writer, quiz_dump, quiz_format
from app.assessment.models import Quiz
from app.assessment.operations import definition_of, save_quiz_definition
from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.content.models import Module
from app.content.module_folder import is_module_folder
from app.i18n.markers import N_
from app.people.models import Provider
from app.web.problems import ERROR, WARNING, Problem, make_problem, sort_problems

QUIZ_SUFFIXES = (".yaml", ".yml")


def as_problem(problem: Any) -> Problem:
    """Turn a problem of the quiz format or GIFT reader into the shared `Problem` type."""
    if isinstance(problem, Problem):
        return problem
    return Problem(
        str(problem.file),
        problem.line,
        problem.message,
        problem.severity,
        problem.template,
        dict(problem.params),
    )


def key_line(text: str, key: str) -> int:
    """Return the 1-based line of a top-level `key:` in quiz YAML (1 when not found)."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 1


@dataclass
class QuizFile:
    """One quiz file as read: its text and the quiz (None when it has errors)."""

    path: Path
    text: str
    quiz: QuizDefinition | None


def quiz_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[Problem]]:
    """Expand each path (a quiz file or a folder of them) into quiz files, in a stable order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in QUIZ_SUFFIXES)
            if not found:
                problems.append(make_problem(str(path), 0, N_("no quiz files found here"), WARNING))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(make_problem(str(path), 0, N_("this file or folder does not exist")))
    return files, problems


def read_quiz_files(paths: Iterable[Path | str]) -> tuple[list[QuizFile], list[Problem]]:
    """Read and check quiz files, including what needs several files (duplicate ids)."""
    files, problems = quiz_files(paths)
    read: list[QuizFile] = []
    owners: dict[str, Path] = {}
    for path in files:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig", errors="replace")
        quiz, found = quiz_format.parse_quiz_file(path)
        problems.extend(as_problem(p) for p in found)
        if quiz is not None:
            owner = owners.setdefault(quiz.id, path)
            if owner != path:
                problems.append(
                    make_problem(
                        str(path),
                        key_line(text, "id"),
                        N_("quiz id '%(id)s' is already used by %(other)s"),
                        id=quiz.id,
                        other=str(owner),
                    )
                )
                quiz = None
            elif path.stem != quiz.id:
                problems.append(
                    make_problem(
                        str(path),
                        key_line(text, "id"),
                        N_("the file should be named after the quiz id: %(name)s"),
                        WARNING,
                        name=f"{quiz.id}{path.suffix}",
                    )
                )
        read.append(QuizFile(path, text, quiz))
    return read, problems


def _courses_library(quiz_path: Path) -> Path | None:
    """The `courses` folder next to the folder that holds the quiz file, if there is one."""
    candidate = quiz_path.resolve().parent.parent / "courses"
    return candidate if candidate.is_dir() else None


def check_quiz_paths(paths: list[Path]) -> list[Problem]:
    """Check quiz files or folders of them; errors and warnings as `file:line: message`.

    A `module:` that names no module folder in the sibling `courses/` library is a warning
    (the module may already be in the database).
    """
    read, problems = read_quiz_files(paths)
    for quiz_file in read:
        quiz = quiz_file.quiz
        if quiz is None or quiz.module_id is None:
            continue
        courses = _courses_library(quiz_file.path)
        if courses is not None and not is_module_folder(courses / quiz.module_id):
            problems.append(
                make_problem(
                    str(quiz_file.path),
                    key_line(quiz_file.text, "module"),
                    N_("module '%(module)s' is not in the library %(library)s"),
                    WARNING,
                    module=quiz.module_id,
                    library=str(courses),
                )
            )
    return sort_problems(problems)


@dataclass
class QuizImportReport:
    """What an import did: quizzes created, given a new version, or unchanged; and problems."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        """True when nothing was imported because of errors."""
        return any(p.severity == ERROR for p in self.problems)


@dataclass
class _Plan:
    definition: QuizDefinition
    path: Path
    provider_id: int
    module_id: int | None


def resolve_owner(
    session: Session,
    definition: QuizDefinition,
    *,
    provider: str | None,
    file: str,
    module_line: int = 1,
) -> tuple[int | None, int | None, list[Problem]]:
    """Find the (provider id, module id) a quiz belongs to; problems when they cannot be found.

    The provider is the module's; a standalone quiz keeps its provider or takes `provider`.
    """
    if definition.module_id is not None:
        module = session.scalar(select(Module).where(Module.slug == definition.module_id))
        if module is None:
            problem = make_problem(
                file,
                module_line,
                N_("module '%(module)s' is not on the platform: import the module first"),
                module=definition.module_id,
            )
            return None, None, [problem]
        return module.provider_id, module.id, []
    if provider:
        provider_id = session.scalar(select(Provider.id).where(Provider.slug == provider))
        if provider_id is None:
            problem = make_problem(
                file, 0, N_("there is no provider '%(provider)s'"), provider=provider
            )
            return None, None, [problem]
        return provider_id, None, []
    existing = session.scalar(select(Quiz.provider_id).where(Quiz.slug == definition.id))
    if existing is not None:
        return existing, None, []
    problem = make_problem(
        file,
        1,
        N_("a quiz without a module needs a provider (give --provider)"),
    )
    return None, None, [problem]


def import_quizzes(
    session: Session,
    paths: Iterable[Path | str],
    *,
    now: datetime,
    actor: Any = None,
    progress: Callable[[str], None] | None = None,
    provider: str | None = None,
) -> QuizImportReport:
    """Import quiz files into the caller's transaction: all of them, or nothing on any error.

    An unchanged definition (same hash) adds no version. `progress(done, total, quiz_id)` is
    called after each quiz, as the module importer does. The caller commits (or rolls back
    when `has_errors`).
    """
    report = QuizImportReport()
    read, problems = read_quiz_files(list(paths))
    report.problems.extend(problems)
    plans: list[_Plan] = []
    for quiz_file in read:
        if quiz_file.quiz is None:
            continue
        provider_id, module_id, found = resolve_owner(
            session,
            quiz_file.quiz,
            provider=provider,
            file=str(quiz_file.path),
            module_line=key_line(quiz_file.text, "module"),
        )
        report.problems.extend(found)
        if provider_id is not None:
            plans.append(_Plan(quiz_file.quiz, quiz_file.path, provider_id, module_id))
    report.problems = sort_problems(report.problems)
    if report.has_errors:
        return report
    actor_id = getattr(actor, "id", None)
    for done, plan in enumerate(plans, start=1):
        existed = session.scalar(select(Quiz.id).where(Quiz.slug == plan.definition.id))
        quiz, version = save_quiz_definition(
            session,
            plan.definition,
            provider_id=plan.provider_id,
            module_id=plan.module_id,
            now=now,
            actor_id=actor_id,
            source=str(plan.path.name),
        )
        slug = quiz.slug
        report.versions[slug] = quiz.current_version.number if quiz.current_version else 0
        if version is None:
            report.unchanged.append(slug)
        elif existed is None:
            report.created.append(slug)
        else:
            report.updated.append(slug)
        if progress is not None:
            progress(done, len(plans), slug)
    return report


def export_quiz(session: Session, quiz: Quiz) -> str:
    """Write the quiz's current version in the quiz file format (YAML)."""
    if quiz.current_version is None:
        raise ValueError(f"quiz {quiz.slug!r} has no version")
    return quiz_dump.dump_quiz(definition_of(quiz.current_version))


def export_quiz_gift(quiz: Quiz, language: str | None) -> tuple[str, list[tuple[str, str]]]:
    """Write a quiz's questions as Moodle GIFT in one language; also what GIFT could not hold."""
    if quiz.current_version is None:
        raise ValueError(f"quiz {quiz.slug!r} has no version")
    questions = definition_of(quiz.current_version).all_questions()
    losses = gift_export.gift_export_losses(questions, language)
    return gift_writer.write_gift(gift_export.questions_to_gift(questions, language)), losses


# -- GIFT into quizzes -------------------------------------------------------------------


def merge_questions(definition: QuizDefinition, questions: Iterable[Question]) -> QuizDefinition:
    """Put questions into a quiz: a question with a known id replaces it, a new one is added."""
    incoming = {question.id: question for question in questions}
    used: set[str] = set()

    def replaced(existing: tuple[Question, ...]) -> tuple[Question, ...]:
        out = []
        for question in existing:
            if question.id in incoming:
                used.add(question.id)
                out.append(incoming[question.id])
            else:
                out.append(question)
        return tuple(out)

    fixed = replaced(definition.questions)
    pools = tuple(
        dataclasses.replace(pool, questions=replaced(pool.questions)) for pool in definition.pools
    )
    added = tuple(question for qid, question in incoming.items() if qid not in used)
    return dataclasses.replace(definition, questions=fixed + added, pools=pools)


def check_definition(
    definition: QuizDefinition, file: str
) -> tuple[QuizDefinition | None, list[Problem]]:
    """Re-check a quiz built in memory (from GIFT) by the quiz file rules.

    The quiz is written as YAML and read back, so every rule of the file format applies;
    problems name the question, since the YAML lines do not exist for the user.
    """
    text = quiz_dump.dump_quiz(definition)
    parsed, found = quiz_format.parse_quiz_text(text, file)
    problems = []
    lines = text.splitlines()
    for problem in found:
        question_id = _question_at(lines, problem.line)
        where = f"question '{question_id}': " if question_id else ""
        problems.append(
            Problem(
                file,
                0,
                where + problem.message,
                problem.severity,
                problem.template,
                dict(problem.params),
            )
        )
    return parsed, problems


def _question_at(lines: list[str], line: int) -> str | None:
    for number in range(min(line, len(lines)), 0, -1):
        match = re.match(r"^\s*- id:\s*(\S+)", lines[number - 1])
        if match:
            return match.group(1).strip("'\"")
    return None


def new_definition(
    slug: str, title: str, *, module: str | None, pass_mark: float = 80
) -> QuizDefinition:
    """An empty quiz with the platform's defaults, to receive imported questions."""
    return QuizDefinition(
        id=slug, title={"und": title}, pass_mark=pass_mark, module_id=module, questions=()
    )
