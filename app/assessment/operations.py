"""Quiz definitions and their stored versions: rebuild, hash and save (a version per change).

They flush; callers commit. Attempts at a quiz are `app.assessment.attempts`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.assessment.models import Quiz, QuizVersion
from app.assessment.parsed_versions import parsed_definition
from app.assessment.questions import Quiz as QuizDefinition
from app.platform.audit import record_event


def definition_of(version: QuizVersion) -> QuizDefinition:
    """The in-memory quiz of a stored version (parsed once per version: `parsed_versions`)."""
    return parsed_definition(version)


def _canonical(value: Any) -> Any:
    """Write whole floats as ints, so that 80 and 80.0 hash alike."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return value


def definition_hash(definition: QuizDefinition) -> str:
    """Return the SHA-256 of the normalised definition (an unchanged quiz hashes the same)."""
    data = json.dumps(
        _canonical(definition.to_dict()), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def save_quiz_definition(
    session: Session,
    definition: QuizDefinition,
    *,
    provider_id: int,
    module_id: int | None,
    now: datetime,
    actor_id: int | None = None,
    source: str = "import",
) -> tuple[Quiz, QuizVersion | None]:
    """Create or update the quiz `definition.id`; add a version only when the content changed.

    Returns the quiz and the new version (None when the definition was unchanged).
    """
    quiz = session.scalar(select(Quiz).where(Quiz.slug == definition.id))
    if quiz is None:
        quiz = Quiz(
            slug=definition.id, provider_id=provider_id, module_id=module_id, created_at=now
        )
        session.add(quiz)
        session.flush()
    quiz.provider_id = provider_id
    quiz.module_id = module_id
    content_hash = definition_hash(definition)
    current = quiz.current_version
    if current is not None and current.content_hash == content_hash:
        session.flush()
        return quiz, None
    number = (
        session.scalar(select(func.max(QuizVersion.number)).where(QuizVersion.quiz_id == quiz.id))
        or 0
    ) + 1
    version = QuizVersion(
        quiz_id=quiz.id,
        number=number,
        content_hash=content_hash,
        definition=definition.to_dict(),
        pass_mark=float(definition.pass_mark),
        created_at=now,
    )
    session.add(version)
    session.flush()
    quiz.current_version = version
    record_event(
        session,
        "quiz.version_created",
        actor_id=actor_id,
        object_type="quiz",
        object_id=quiz.id,
        now=now,
        slug=quiz.slug,
        version=number,
        source=source,
    )
    session.flush()
    return quiz, version
