"""Writes of the counter assist log: log an assist, undo it within a minute.

Each is one statement (through `app.tracking.operations.record_statement`, so it is replay-safe
and forwarded to the LRS like any other) plus its `CounterAssist` row, in the caller's
transaction (flush, never commit). Bad input raises `AssistError` before anything is written.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n.markers import N_
from app.people.models import Unit, User
from app.tracking import statements as xapi
from app.tracking.models import Statement
from app.tracking.operations import (
    Outcome,
    TrackingConfig,
    record_statement,
    tracking_config,
)

from . import vocabulary
from .models import AssistOutcome, CounterAssist
from .queries import Topic, iso_week, learner_topics

log = logging.getLogger(__name__)

UNDO_WINDOW = timedelta(minutes=1)


class AssistError(ValueError):
    """Bad input for an assist: a message (marked with N_) and its parameters."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def parse_outcome(value: str | None) -> AssistOutcome:
    """Return the outcome named by a form value, or raise AssistError naming it."""
    try:
        return AssistOutcome(value or "")
    except ValueError:
        raise AssistError(N_("Choose how it ended: solved, referred or will come back.")) from None


def log_assist(
    session: Session,
    user: User,
    *,
    topic: str | None,
    outcome: str | None,
    submit_key: str | None,
    language: str,
    now: datetime,
    tz: ZoneInfo,
    config: TrackingConfig | None = None,
) -> CounterAssist:
    """Log that the helper helped a citizen with `topic`; a second submit of a form is ignored.

    The topic must be one of the helper's topics now (`learner_topics`); nothing is written
    otherwise. Returns the assist (the existing one when the same form was sent twice).
    """
    found, chosen_outcome = _checked_choice(
        session, user, topic, outcome, submit_key, language=language, now=now
    )
    config = config or tracking_config()
    key = vocabulary.assist_key(user.id, submit_key or "")
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    body = _assist_body(config, key, user, _facts(found, chosen_outcome, unit), now)
    result = record_statement(
        session,
        user,
        key,
        body,
        verb=xapi.Verb.ASSISTED,
        kind=xapi.ObjectKind.TOPIC,
        now=now,
        registration=found.registration,
        config=config,
    )
    if result.outcome == Outcome.DUPLICATE:
        existing = _assist_of_statement(session, body["id"])
        if existing is not None:
            return existing
    if result.outcome != Outcome.RECORDED:
        raise AssistError(N_("Your account cannot log assists."))
    assist = CounterAssist(
        statement_id=result.statements[0].id,
        user_id=user.id,
        unit_id=unit.id if unit else None,
        topic=found.name,
        language=found.language,
        outcome=chosen_outcome,
        week=iso_week(now, tz),
        assisted_at=now,
    )
    session.add(assist)
    session.flush()
    log.info("assists: user=%s logged topic=%r outcome=%s", user.id, found.name, chosen_outcome)
    return assist


def _checked_choice(
    session: Session,
    user: User,
    topic: str | None,
    outcome: str | None,
    submit_key: str | None,
    *,
    language: str,
    now: datetime,
) -> tuple[Topic, AssistOutcome]:
    """The helper's topic and the outcome a form names; AssistError before anything is written."""
    name = (topic or "").strip()
    if not name:
        raise AssistError(N_("Choose the topic you helped with."))
    chosen_outcome = parse_outcome(outcome)
    if not submit_key or not vocabulary.SUBMIT_KEY.match(submit_key):
        raise AssistError(N_("The form has expired: please choose the topic again."))
    topics = {t.name: t for t in learner_topics(session, user.id, language, now)}
    found = topics.get(name)
    if found is None:
        raise AssistError(
            N_("“%(topic)s” is not one of your topics; nothing was logged."), topic=name[:60]
        )
    return found, chosen_outcome


def _assist_body(
    config: TrackingConfig, key: str, user: User, facts: vocabulary.AssistFacts, now: datetime
) -> dict[str, Any]:
    """The `assisted` statement of the helper, its id derived from the form's key."""
    return vocabulary.assisted(
        config.iris,
        statement_id=config.iris.statement_id(key),
        actor=xapi.Actor(user.email, user.display_name),
        facts=facts,
        timestamp=now,
    )


def _facts(found: Topic, outcome: AssistOutcome, unit: Unit | None) -> vocabulary.AssistFacts:
    """What the assist statement says: the topic, its modules and campaign, outcome and unit."""
    return vocabulary.AssistFacts(
        topic=found.name,
        language=found.language,
        outcome=outcome,
        unit_code=unit.code if unit else None,
        modules=tuple(found.modules),
        registration=found.registration,
    )


def _assist_of_statement(session: Session, statement_uuid: str) -> CounterAssist | None:
    return session.scalar(
        select(CounterAssist)
        .join(Statement, Statement.id == CounterAssist.statement_id)
        .where(Statement.uuid == statement_uuid)
    )


def can_undo(assist: CounterAssist, now: datetime) -> bool:
    """Tell whether the assist can still be undone (not yet, and within the minute)."""
    return assist.voided_at is None and now - assist.assisted_at <= UNDO_WINDOW


def undo_assist(
    session: Session,
    user: User,
    assist: CounterAssist,
    *,
    now: datetime,
    config: TrackingConfig | None = None,
) -> None:
    """Take back one's own assist within a minute: a `voided` statement, the row marked."""
    if assist.user_id != user.id:
        raise AssistError(N_("This assist is not yours."))
    if assist.voided_at is not None:
        raise AssistError(N_("This assist has already been undone."))
    if not can_undo(assist, now):
        raise AssistError(N_("An assist can be undone only within a minute; this one stays."))
    config = config or tracking_config()
    target = session.get(Statement, assist.statement_id)
    if target is None:  # the statement cascades with the row: never, unless tampered with
        raise AssistError(N_("This assist has already been undone."))
    key = vocabulary.void_key(target.uuid)
    body = vocabulary.voided(
        statement_id=config.iris.statement_id(key),
        actor=xapi.Actor(user.email, user.display_name),
        target_uuid=target.uuid,
        timestamp=now,
    )
    result = record_statement(
        session,
        user,
        key,
        body,
        verb=xapi.Verb.VOIDED,
        kind=xapi.ObjectKind.STATEMENT,
        now=now,
        config=config,
    )
    if result.outcome == Outcome.REFUSED:
        raise AssistError(N_("Your account cannot log assists."))
    assist.voided_at = now
    session.flush()
    log.info("assists: user=%s undid assist=%s", user.id, assist.id)
