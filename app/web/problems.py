"""Problems found in content files, reported as `file:line: message` (modules and quizzes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """A problem in a file; `str()` gives `file:line: message` (1-based line; 0 = whole file).

    `template` is the untranslated N_() message and `params` its %-style arguments, so the
    Flask layer can show it translated with `gettext(problem.template, **problem.params)`.
    """

    file: str
    line: int
    message: str
    severity: str = ERROR
    template: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        """True for an error (the content cannot be imported), False for a warning."""
        return self.severity == ERROR

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


def make_problem(
    file: str, line: int, template: str, severity: str = ERROR, **params: Any
) -> Problem:
    """Build a Problem whose message is `template % params`."""
    message = template % params if params else template
    return Problem(str(file), line, message, severity, template, params)


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any of the problems is an error rather than a warning."""
    return any(p.severity == ERROR for p in problems)


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Only the errors, in their original order."""
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    """Only the warnings, in their original order."""
    return [p for p in problems if p.severity != ERROR]


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Sort by file, then line, errors before warnings on the same line."""
    return sorted(problems, key=lambda p: (p.file, p.line, p.severity != ERROR, p.message))
