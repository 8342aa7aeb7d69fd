"""The plain-language remarks the module editor's preview shows beside the text."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from app.content.models import Module
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.plain_language.checker import DEFAULT_MAX_WORDS, check_module_text
from app.plain_language.queries import (
    accepted_keys,
    glossary_terms,
)
from app.plain_language.remarks import HARD_PAGE, LONG_SENTENCE, READABILITY, TERM


def max_words() -> int:
    """The sentence length above which the check warns (setting PLAIN_LANGUAGE_MAX_WORDS)."""
    return int(current_app.config.get("PLAIN_LANGUAGE_MAX_WORDS", DEFAULT_MAX_WORDS))


def editor_remarks(module: Module, language: str, markdown: str, title: str = "") -> list[str]:
    """The plain-language remarks the editor's preview shows (translated, lines of the text box)."""
    if language not in LANGUAGES or not markdown.strip():
        return []
    limit = max_words()
    reports = check_module_text(
        markdown,
        language,
        glossary_terms(db.session, language, module.provider_id),
        title=title,
        accepted=accepted_keys(db.session, module.id, language),
        max_words=limit,
    )
    remarks: list[str] = []
    for report in reports:
        for term in report.terms:
            remarks.append(
                _(
                    "line %(line)d: %(message)s",
                    line=term.line,
                    message=_(TERM, found=term.found, suggestion=term.suggestion),
                )
            )
        for sentence in report.long_sentences:
            message = _(LONG_SENTENCE, words=sentence.words, max=limit, start=sentence.start)
            remarks.append(_("line %(line)d: %(message)s", line=sentence.line, message=message))
        figure = report.readability
        if figure is not None:
            template = HARD_PAGE if figure.is_hard else READABILITY
            remarks.append(
                _(
                    template,
                    page=report.number,
                    title=report.title,
                    formula=_(figure.formula),
                    score=f"{figure.score:.0f}",
                    band=_(figure.band),
                )
            )
    return remarks
