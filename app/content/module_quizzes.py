"""Which modules end with a quiz: content asks, the assessment feature answers.

Quizzes belong to assessment, which depends on content; so content (and tracking) ask the
`MODULE_QUIZZES` hook instead of importing assessment.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from app.platform.hooks import MODULE_QUIZZES


def quiz_slugs(session: Session, module_ids: Iterable[int]) -> dict[int, str]:
    """Return the quiz slug of each of the modules that ends with a quiz."""
    wanted = list(module_ids)
    slugs: dict[int, str] = {}
    for answer in MODULE_QUIZZES.receivers():
        for module_id, slug in answer(session, wanted).items():
            slugs.setdefault(module_id, slug)
    return slugs


def has_quiz(session: Session, module_id: int) -> bool:
    """Tell whether the module ends with a quiz (one with a version)."""
    return module_id in quiz_slugs(session, [module_id])
