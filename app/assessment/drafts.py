"""Writes on quiz drafts: edit questions and settings in forms, import YAML, publish, discard.

A quiz has at most one draft (`QuizDraft`); learners only ever see published versions. Every
change is checked by the quiz file rules (`draft_check.check_quiz`) before anything is stored,
so a draft never holds a question that fails them; publishing checks the whole quiz again and
stores it as the next `QuizVersion`. Functions flush; the view commits once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.assessment.draft_check import DraftIssue, check_quiz
from app.assessment.models import Quiz, QuizDraft, QuizVersion
from app.assessment.operations import definition_of, save_quiz_definition
from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.content.models import Module
from app.i18n.markers import N_
from app.platform.audit import record_event
from app.web.problems import Problem, make_problem


class DraftConflict(Exception):
    """The draft changed (or was published) since the trainer's form was shown."""


class DraftError(Exception):
    """A refused draft action; `template % params` is the English message (N_-marked)."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


# -- reading ----------------------------------------------------------------------------------


def draft_of(session: Session, quiz: Quiz) -> QuizDraft | None:
    """The quiz's draft, if one is being edited."""
    return session.scalar(select(QuizDraft).where(QuizDraft.quiz_id == quiz.id))


def working_definition(quiz: Quiz, draft: QuizDraft | None) -> QuizDefinition | None:
    """What the editor shows: the draft, else the published version (None if neither)."""
    if draft is not None:
        return QuizDefinition.from_dict(draft.definition)
    if quiz.current_version is not None:
        return definition_of(quiz.current_version)
    return None


def lock_of(draft: QuizDraft | None) -> int:
    """The token a form carries to detect concurrent edits (0: there was no draft)."""
    return draft.lock_version if draft is not None else 0


def all_questions(definition: QuizDefinition) -> list[tuple[Question, int | None]]:
    """Every question in the editor's order, with the 0-based pool it is in (None: fixed)."""
    listed: list[tuple[Question, int | None]] = [(q, None) for q in definition.questions]
    for index, pool in enumerate(definition.pools):
        listed.extend((q, index) for q in pool.questions)
    return listed


# -- the draft row ------------------------------------------------------------------------------


def _current(session: Session, quiz: Quiz, lock: int) -> tuple[QuizDraft | None, QuizDefinition]:
    """The draft (None if there is none yet) and the quiz it holds, or the published one.

    `lock` is what the trainer's form was based on; a different draft means a conflict.
    Nothing is written: a change that breaks a rule must leave no trace, not even a draft.
    """
    draft = draft_of(session, quiz)
    if lock != lock_of(draft):
        raise DraftConflict()
    definition = working_definition(quiz, draft)
    if definition is None:
        raise DraftError(N_("this quiz has neither a draft nor a published version"))
    return draft, definition


def _flush_or_conflict(session: Session) -> None:
    """Write now; a concurrent change (another lock, a second draft row) is a DraftConflict.

    The draft's `lock_version` makes the UPDATE or DELETE match no row when another request
    changed it first; a second draft of the same quiz breaks the unique quiz_id. The caller
    rolls back.
    """
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise DraftConflict() from exc


def _save(
    session: Session,
    quiz: Quiz,
    draft: QuizDraft | None,
    definition: QuizDefinition,
    *,
    now: datetime,
    actor_id: int | None,
) -> QuizDraft:
    """Store the quiz as the draft, starting the draft from the published version if needed."""
    if draft is None:
        draft = QuizDraft(quiz_id=quiz.id, base_version_id=quiz.current_version_id)
        session.add(draft)
    _store(draft, definition, now=now, actor_id=actor_id)
    _flush_or_conflict(session)
    return draft


def _store(
    draft: QuizDraft, definition: QuizDefinition, *, now: datetime, actor_id: int | None
) -> None:
    draft.definition = definition.to_dict()
    draft.updated_by_id = actor_id
    draft.updated_at = now


def _change(
    session: Session,
    quiz: Quiz,
    lock: int,
    edit: Callable[[QuizDefinition], QuizDefinition],
    blocking: Callable[[DraftIssue], bool],
    *,
    now: datetime,
    actor_id: int | None,
) -> list[DraftIssue]:
    """Apply `edit` to the draft; store it unless a `blocking` error is found (then nothing)."""
    draft, definition = _current(session, quiz, lock)
    changed = edit(definition)
    _parsed, issues = check_quiz(changed)
    if any(issue.is_error and blocking(issue) for issue in issues):
        return issues
    _save(session, quiz, draft, changed, now=now, actor_id=actor_id)
    return issues


def _map_questions(
    definition: QuizDefinition, change: Callable[[list[Question]], list[Question]], pool: int | None
) -> QuizDefinition:
    if pool is None:
        return dataclasses.replace(definition, questions=tuple(change(list(definition.questions))))
    pools = list(definition.pools)
    pools[pool] = dataclasses.replace(
        pools[pool], questions=tuple(change(list(pools[pool].questions)))
    )
    return dataclasses.replace(definition, pools=tuple(pools))


def _find(definition: QuizDefinition, question_id: str) -> tuple[int, int | None]:
    """The index of a question in its list and its pool; DraftError when it is not there."""
    for pool, questions in [(None, definition.questions)] + [
        (index, pool.questions) for index, pool in enumerate(definition.pools)
    ]:
        for index, question in enumerate(questions):
            if question.id == question_id:
                return index, pool
    raise DraftError(N_("there is no question '%(id)s' in the draft"), id=question_id)


# -- questions ----------------------------------------------------------------------------------


def save_question(
    session: Session,
    quiz: Quiz,
    question: Question,
    *,
    replaces: str | None,
    lock: int,
    now: datetime,
    actor_id: int | None,
) -> list[DraftIssue]:
    """Add a question (`replaces` None) or replace one; nothing is stored if it breaks a rule.

    Returns every problem found; errors of this question (or of the quiz as a whole, such as a
    duplicate id) mean nothing was stored.
    """

    def edit(definition: QuizDefinition) -> QuizDefinition:
        if replaces is None:
            return dataclasses.replace(definition, questions=definition.questions + (question,))
        index, pool = _find(definition, replaces)

        def put(questions: list[Question]) -> list[Question]:
            questions[index] = question
            return questions

        return _map_questions(definition, put, pool)

    def blocking(issue: DraftIssue) -> bool:
        return issue.question_id == question.id or issue.number is None

    return _change(session, quiz, lock, edit, blocking, now=now, actor_id=actor_id)


def delete_question(
    session: Session,
    quiz: Quiz,
    question_id: str,
    *,
    lock: int,
    now: datetime,
    actor_id: int | None,
) -> None:
    """Take a question out of the draft (an empty quiz is refused only when publishing)."""
    draft, definition = _current(session, quiz, lock)
    index, pool = _find(definition, question_id)
    changed = _map_questions(definition, lambda qs: qs[:index] + qs[index + 1 :], pool)
    _save(session, quiz, draft, changed, now=now, actor_id=actor_id)


def move_question(
    session: Session,
    quiz: Quiz,
    question_id: str,
    offset: int,
    *,
    lock: int,
    now: datetime,
    actor_id: int | None,
) -> bool:
    """Move a question up (-1) or down (+1) within its list; False when it is already at the end."""
    draft, definition = _current(session, quiz, lock)
    index, pool = _find(definition, question_id)
    size = len(definition.questions if pool is None else definition.pools[pool].questions)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < size:
        return False

    def swap(questions: list[Question]) -> list[Question]:
        questions[index], questions[target] = questions[target], questions[index]
        return questions

    _save(session, quiz, draft, _map_questions(definition, swap, pool), now=now, actor_id=actor_id)
    return True


# -- settings and whole quizzes -------------------------------------------------------------------


def blocks_settings(issue: DraftIssue) -> bool:
    """Tell whether a problem is the settings' own (a quiz may still be without questions)."""
    return issue.is_error and issue.number is None and issue.field != "questions"


def save_settings(
    session: Session,
    quiz: Quiz,
    settings: dict[str, Any],
    draws: dict[int, Any],
    *,
    lock: int,
    now: datetime,
    actor_id: int | None,
) -> list[DraftIssue]:
    """Change the quiz settings (`Quiz` fields) and pool draws; nothing stored on an error."""

    def edit(definition: QuizDefinition) -> QuizDefinition:
        pools = tuple(
            dataclasses.replace(pool, draw=draws.get(index, pool.draw))
            for index, pool in enumerate(definition.pools)
        )
        return dataclasses.replace(definition, pools=pools, **settings)

    return _change(session, quiz, lock, edit, blocks_settings, now=now, actor_id=actor_id)


def replace_draft(
    session: Session,
    quiz: Quiz,
    definition: QuizDefinition,
    *,
    lock: int | None,
    now: datetime,
    actor_id: int | None,
) -> QuizDraft:
    """Make a checked quiz (an imported YAML file or GIFT questions) the whole draft."""
    draft = draft_of(session, quiz)
    if lock is not None and lock != lock_of(draft):
        raise DraftConflict()
    return _save(session, quiz, draft, definition, now=now, actor_id=actor_id)


def create_quiz(
    session: Session,
    definition: QuizDefinition,
    *,
    provider_id: int,
    module_id: int | None,
    now: datetime,
    actor_id: int | None,
) -> Quiz:
    """A new quiz with only a draft: learners see it once it is published."""
    quiz = Quiz(slug=definition.id, provider_id=provider_id, module_id=module_id, created_at=now)
    session.add(quiz)
    session.flush()
    replace_draft(session, quiz, definition, lock=None, now=now, actor_id=actor_id)
    record_event(
        session, "quiz.created", actor_id=actor_id, object_type="quiz", object_id=quiz.id, now=now
    )
    return quiz


def discard_draft(
    session: Session, quiz: Quiz, *, lock: int, now: datetime, actor_id: int | None
) -> None:
    """Throw the draft away; the published version stays. A never-published quiz keeps it."""
    draft = draft_of(session, quiz)
    if draft is None or lock != draft.lock_version:
        raise DraftConflict()
    if quiz.current_version is None:
        raise DraftError(N_("this quiz was never published: there is no version to go back to"))
    session.delete(draft)
    record_event(
        session,
        "quiz.draft_discarded",
        actor_id=actor_id,
        object_type="quiz",
        object_id=quiz.id,
        now=now,
    )
    _flush_or_conflict(session)


def module_problems(
    session: Session, definition: QuizDefinition, provider_id: int, line: int = 0
) -> tuple[int | None, list[Problem]]:
    """Find the module a quiz names; it must be on the platform and belong to the provider."""
    if definition.module_id is None:
        return None, []
    module = session.scalar(select(Module).where(Module.slug == definition.module_id))
    if module is None:
        template = N_("module '%(module)s' is not on the platform: import the module first")
        return None, [make_problem("", line, template, module=definition.module_id)]
    if module.provider_id != provider_id:
        template = N_("module '%(module)s' belongs to another provider")
        return None, [make_problem("", line, template, module=definition.module_id)]
    return module.id, []


def publish_draft(
    session: Session, quiz: Quiz, *, lock: int, now: datetime, actor_id: int | None
) -> tuple[QuizVersion | None, list[DraftIssue]]:
    """Check the whole draft and store it as the next version (in the caller's transaction).

    Returns (new version, problems). On any error nothing changes. An unchanged draft adds no
    version; either way the draft is gone afterwards.
    """
    draft = draft_of(session, quiz)
    if draft is None or lock != draft.lock_version:
        raise DraftConflict()
    if draft.base_version_id != quiz.current_version_id:
        # Someone published (or imported the file) after this draft started: publishing it
        # would silently undo their version.
        raise DraftError(
            N_(
                "version %(number)s was published after this draft was started: download "
                "the draft, discard it and apply your changes to the new version"
            ),
            number=quiz.current_version.number if quiz.current_version else 0,
        )
    definition = QuizDefinition.from_dict(draft.definition)
    checked, issues = check_quiz(definition)
    module_id, found = module_problems(session, definition, quiz.provider_id)
    issues += [DraftIssue(problem, field="module") for problem in found]
    if checked is None or found:
        return None, issues
    # The draft goes first: its conditional DELETE lets exactly one of two concurrent
    # publishes through; the other gets a conflict before it numbers a version.
    session.delete(draft)
    _flush_or_conflict(session)
    _quiz, version = save_quiz_definition(
        session,
        checked,
        provider_id=quiz.provider_id,
        module_id=module_id,
        now=now,
        actor_id=actor_id,
        source="draft",
    )
    return version, issues
