"""Findings of the plain-language check as problems (`file:line: warning: ...`) and notes.

Pure: the content check prints them, the editor's preview translates their templates.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.i18n.markers import N_
from app.plain_language.checker import PageReport
from app.web.problems import WARNING, Problem, make_problem

TERM = N_("plain language: '%(found)s' is administrative jargon; plainer: %(suggestion)s")
LONG_SENTENCE = N_(
    "plain language: a sentence of %(words)d words (more than %(max)d) starting '%(start)s'"
)
HARD_PAGE = N_(
    "plain language: page %(page)d is very hard to read: %(formula)s %(score)s (aim for 60 or more)"
)
READABILITY = N_("page %(page)d (%(title)s): %(formula)s %(score)s, %(band)s")


def report_problems(
    file: str, reports: Iterable[PageReport], *, max_words: int, line_offset: int = 0
) -> list[Problem]:
    """Warnings for every term, long sentence and very hard page of the reports."""
    problems: list[Problem] = []
    for report in reports:
        for term in report.terms:
            problems.append(
                make_problem(
                    file,
                    term.line + line_offset,
                    TERM,
                    WARNING,
                    found=term.found,
                    suggestion=term.suggestion,
                )
            )
        for sentence in report.long_sentences:
            problems.append(
                make_problem(
                    file,
                    sentence.line + line_offset,
                    LONG_SENTENCE,
                    WARNING,
                    words=sentence.words,
                    max=max_words,
                    start=sentence.start,
                )
            )
        if report.readability is not None and report.readability.is_hard:
            problems.append(
                make_problem(
                    file,
                    report.line + line_offset,
                    HARD_PAGE,
                    WARNING,
                    page=report.number,
                    formula=report.readability.formula,
                    score=f"{report.readability.score:.0f}",
                )
            )
    return problems


def readability_notes(file: str, reports: Iterable[PageReport]) -> list[Problem]:
    """One note per page with its reading-ease figure (a Problem only for its file:line form)."""
    return [
        make_problem(
            file,
            report.line,
            READABILITY,
            "note",
            page=report.number,
            title=report.title,
            formula=report.readability.formula,
            score=f"{report.readability.score:.0f}",
            band=report.readability.band,
        )
        for report in reports
        if report.readability is not None
    ]
