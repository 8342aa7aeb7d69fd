"""The plain-language part of `flask content check`: module files against the glossary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.plain_language.checker import DEFAULT_MAX_WORDS, check_page_text
from app.plain_language.queries import (
    accepted_keys_by_slug,
    glossary_for_check,
    has_glossary_tables,
)
from app.plain_language.readability import FORMULAS
from app.plain_language.remarks import readability_notes, report_problems
from app.web.problems import Problem


@dataclass
class LibraryCheck:
    """Warnings (terms, long sentences, very hard pages) and the readability note of each page."""

    warnings: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


def check_module_sources(
    session: Session, modules: Iterable, *, max_words: int = DEFAULT_MAX_WORDS
) -> LibraryCheck:
    """Check every language file of the modules read from disk (ModuleSource objects)."""
    result = LibraryCheck()
    glossaries: dict[tuple[str, str | None], list] = {}
    accepted = accepted_keys_by_slug(session) if has_glossary_tables(session) else {}
    for module in modules:
        for language, variant in sorted(module.variants.items()):
            if language not in FORMULAS:
                continue
            key = (language, variant.provider or None)
            if key not in glossaries:
                glossaries[key] = glossary_for_check(session, language, variant.provider)
            reports = [
                check_page_text(
                    page.markdown,
                    language,
                    glossaries[key],
                    accepted=accepted.get((module.id, language), ()),
                    max_words=max_words,
                    first_line=page.markdown_line,
                    number=page.index + 1,
                    title=page.title,
                )
                for page in variant.pages
            ]
            result.warnings.extend(report_problems(str(variant.path), reports, max_words=max_words))
            result.notes.extend(readability_notes(str(variant.path), reports))
    return result
