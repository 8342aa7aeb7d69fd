"""Recording events: statements, derived tables, completions, versions, expiry, bad input."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.assessment.announcements import quiz_graded_event
from app.content.models import ModulePage, ModuleStatus
from app.extensions import db
from app.people.models import Role
from app.platform.events import PageRead
from app.platform.hooks import XAPI_REGISTRATIONS
from app.tracking.completion import CompletionStatus
from app.tracking.models import (
    AppendOnlyError,
    Certificate,
    Completion,
    ModuleProgress,
    PageProgress,
    Statement,
)
from app.tracking.my_learning import my_learning
from app.tracking.operations import Outcome
from app.tracking.page_views import record_page_view
from app.tracking.quiz_results import record_attempt
from app.tracking.statements import Verb
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0, add_version, make_module, read_pages, take_quiz


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def learner(org):
    return make_user(org.branch_a1, Role.LEARNER)


def verbs(user_id: int) -> list[str]:
    return [
        verb.value
        for verb in db.session.scalars(
            select(Statement.verb).where(Statement.user_id == user_id).order_by(Statement.id)
        )
    ]


def current_completion(user_id: int, module_id: int) -> Completion | None:
    return db.session.scalar(
        select(Completion).where(
            Completion.user_id == user_id,
            Completion.module_id == module_id,
            Completion.is_current.is_(True),
        )
    )


def test_reading_every_page_of_a_module_without_quiz_completes_it(org, learner):
    built = make_module(org.provider, languages={"fr": 3})
    results = read_pages(learner, built.page_ids("fr"))
    assert [r.outcome for r in results] == [Outcome.RECORDED] * 3
    assert verbs(learner.id) == [
        "launched",
        "experienced",
        "experienced",
        "experienced",
        "completed",
    ]
    done = current_completion(learner.id, built.module.id)
    assert done is not None and done.number == 1 and done.score_percent is None
    assert done.module_version_id == built.current.id
    assert done.completed_at == T0 + timedelta(minutes=2)
    assert results[-1].completion is not None
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate is not None and len(certificate.code) == 12
    progress = db.session.scalar(select(ModuleProgress).where(ModuleProgress.user_id == learner.id))
    assert progress.cycle == 1 and progress.module_version_id == built.current.id


def test_launched_comes_once_per_version_and_cycle_whichever_page_is_read_first(org, learner):
    built = make_module(org.provider, languages={"fr": 3})
    first, second, third = built.page_ids("fr")
    read_pages(learner, [second, second, first, third])
    read = ["experienced"] * 3
    assert verbs(learner.id) == ["launched", *read, "completed"]
    read_pages(learner, [third, first], now=T0 + timedelta(days=1))  # the next cycle
    assert verbs(learner.id)[5:] == ["launched", "experienced", "experienced"]


def test_pages_seen_are_stored_per_learner_and_version(org, learner):
    built = make_module(org.provider, languages={"fr": 3, "de": 2})
    read_pages(learner, built.page_ids("fr")[:2])
    rows = db.session.scalars(select(PageProgress).where(PageProgress.user_id == learner.id)).all()
    assert {row.page_id for row in rows} == set(built.page_ids("fr")[:2])
    assert {row.module_version_id for row in rows} == {built.current.id}
    assert current_completion(learner.id, built.module.id) is None


def test_any_one_language_completes_but_languages_do_not_add_up(org, learner):
    built = make_module(org.provider, languages={"fr": 3, "de": 2})
    read_pages(learner, built.page_ids("fr")[:2] + built.page_ids("de")[:1])
    assert current_completion(learner.id, built.module.id) is None
    read_pages(learner, built.page_ids("de")[1:], now=T0 + timedelta(hours=1))
    assert current_completion(learner.id, built.module.id) is not None


def test_with_a_quiz_reading_is_not_enough(org, learner):
    built = make_module(org.provider, languages={"fr": 2}, with_quiz=True)
    read_pages(learner, built.page_ids())
    assert current_completion(learner.id, built.module.id) is None
    attempt = take_quiz(learner, built.quiz, correct=False, now=T0 + timedelta(hours=1))
    assert attempt.is_passed is False
    assert current_completion(learner.id, built.module.id) is None
    attempt = take_quiz(learner, built.quiz, correct=True, now=T0 + timedelta(hours=2))
    assert attempt.is_passed is True
    done = current_completion(learner.id, built.module.id)
    assert done is not None and done.score_percent == 100.0 and done.attempt_id == attempt.id
    assert verbs(learner.id).count("failed") == 1 and verbs(learner.id).count("passed") == 1
    assert verbs(learner.id)[-1] == "completed"


def test_passing_the_quiz_first_completes_when_the_last_page_is_read(org, learner):
    built = make_module(org.provider, languages={"fr": 2}, with_quiz=True)
    read_pages(learner, built.page_ids()[:1])
    take_quiz(learner, built.quiz, correct=True, now=T0 + timedelta(hours=1))
    assert current_completion(learner.id, built.module.id) is None
    read_pages(learner, built.page_ids()[1:], now=T0 + timedelta(hours=2))
    done = current_completion(learner.id, built.module.id)
    assert done is not None and done.score_percent == 100.0


def test_answered_statements_carry_each_graded_answer(org, learner):
    built = make_module(org.provider, languages={"fr": 1}, with_quiz=True)
    attempt = take_quiz(learner, built.quiz, correct=True)
    rows = db.session.scalars(
        select(Statement).where(Statement.attempt_id == attempt.id).order_by(Statement.id)
    ).all()
    assert [row.verb for row in rows] == [Verb.ATTEMPTED, Verb.ANSWERED, Verb.ANSWERED, Verb.PASSED]
    answered = rows[1].payload
    assert answered["result"] == {
        "score": {"scaled": 1.0, "raw": 1.0, "min": 0, "max": 1.0},
        "success": True,
    }
    assert answered["object"]["definition"]["interactionType"] == "choice"
    passed = rows[-1].payload
    assert passed["result"]["score"]["scaled"] == 1.0
    assert passed["result"]["duration"] == "PT2M"


def test_a_replayed_event_is_ignored_and_logged(org, learner, caplog):
    built = make_module(org.provider, languages={"fr": 2})
    page_id = built.page_ids()[0]
    read_pages(learner, [page_id])
    before = db.session.scalar(select(func.count(Statement.id)))
    with caplog.at_level(logging.INFO, logger="app.tracking.operations"):
        result = record_page_view(db.session, learner, page_id, now=T0 + timedelta(minutes=5))
    assert result.outcome == Outcome.DUPLICATE
    assert db.session.scalar(select(func.count(Statement.id))) == before
    assert "already recorded" in caplog.text


def test_a_graded_attempt_is_recorded_once(org, learner):
    built = make_module(org.provider, languages={"fr": 1}, with_quiz=True)
    attempt = take_quiz(learner, built.quiz, correct=True)
    before = db.session.scalar(select(func.count(Statement.id)))
    again = record_attempt(
        db.session, quiz_graded_event(db.session, attempt, now=T0 + timedelta(hours=1))
    )
    assert again.outcome == Outcome.DUPLICATE
    assert db.session.scalar(select(func.count(Statement.id))) == before


def test_events_for_missing_pages_are_refused(org, learner, caplog):
    with caplog.at_level(logging.WARNING, logger="app.tracking.operations"):
        result = record_page_view(db.session, learner, 999_999, now=T0)
    assert result.outcome == Outcome.REFUSED and result.reason == "no such page"
    assert "event refused: no such page" in caplog.text
    assert db.session.scalar(select(func.count(Statement.id))) == 0


def test_events_from_an_inactive_learner_are_refused(org):
    built = make_module(org.provider)
    inactive = make_user(org.branch_a1, Role.LEARNER, is_active=False)
    result = record_page_view(db.session, inactive, built.page_ids()[0], now=T0)
    assert result.outcome == Outcome.REFUSED
    assert db.session.scalar(select(func.count(Statement.id))) == 0
    assert db.session.scalar(select(func.count(PageProgress.id))) == 0


def test_an_attempt_of_an_inactive_learner_is_refused(org, caplog):
    built = make_module(org.provider, languages={"fr": 1}, with_quiz=True)
    learner = make_user(org.branch_a1, Role.LEARNER, is_active=False)
    with caplog.at_level(logging.WARNING, logger="app.tracking.operations"):
        attempt = take_quiz(learner, built.quiz, correct=True)
    assert attempt.is_passed  # grading is the quiz's business; the record refuses it
    assert db.session.scalar(select(func.count(Statement.id))) == 0
    assert "inactive or unknown learner" in caplog.text
    graded = quiz_graded_event(db.session, attempt, now=T0)
    assert record_attempt(db.session, graded).outcome == Outcome.REFUSED


def test_unpublished_modules_are_refused(org, learner):
    built = make_module(org.provider, status=ModuleStatus.DRAFT)
    result = record_page_view(db.session, learner, built.page_ids()[0], now=T0)
    assert result.outcome == Outcome.REFUSED and result.reason == "module not published"


def test_a_version_never_given_is_refused_but_a_started_one_is_kept(org, learner):
    built = make_module(org.provider, languages={"fr": 3})
    first = built.current
    # The learner starts version 1; version 2 appears while they read: they may go on in 1.
    read_pages(learner, built.page_ids("fr", first)[:1])
    add_version(built, languages={"fr": 3})
    result = record_page_view(
        db.session, learner, built.page_ids("fr", first)[1], now=T0 + timedelta(minutes=5)
    )
    assert result.outcome == Outcome.RECORDED
    # Another learner never opened version 1: its pages are not theirs to record.
    other = make_user(org.branch_a1, Role.LEARNER)
    refused = record_page_view(db.session, other, built.page_ids("fr", first)[0], now=T0)
    assert refused.outcome == Outcome.REFUSED
    assert refused.reason == "version never given to the learner"


def status_of(user, built, now):
    learning = my_learning(db.session, user.id, language="fr", now=now)
    items = {
        section: [item.slug for item in getattr(learning, section)]
        for section in ("todo", "in_progress", "redo", "expiring", "completed")
    }
    for item in (*learning.completed, *learning.expiring, *learning.redo, *learning.in_progress):
        if item.module_id == built.module.id:
            return item, items
    return None, items


def test_a_minor_version_keeps_the_completion_valid(org, learner):
    built = make_module(org.provider, languages={"fr": 2})
    read_pages(learner, built.page_ids())
    add_version(built, languages={"fr": 3}, is_major=False)
    item, _ = status_of(learner, built, T0 + timedelta(days=1))
    assert item.completion.status == CompletionStatus.VALID


def test_a_major_version_makes_the_completion_out_of_date_and_the_redo_counts(org, learner):
    built = make_module(org.provider, languages={"fr": 2})
    read_pages(learner, built.page_ids())
    add_version(built, languages={"fr": 2}, is_major=True)
    item, sections = status_of(learner, built, T0 + timedelta(days=1))
    assert item.completion.status == CompletionStatus.OUT_OF_DATE
    assert sections["redo"] == [built.module.slug]
    read_pages(learner, built.page_ids(), now=T0 + timedelta(days=2))
    done = current_completion(learner.id, built.module.id)
    assert done.number == 2 and done.module_version_id == built.current.id
    item, sections = status_of(learner, built, T0 + timedelta(days=3))
    assert item.completion.status == CompletionStatus.VALID
    assert sections["completed"] == [built.module.slug]
    assert db.session.scalar(select(func.count(Certificate.id))) == 2


def test_validity_expiry_and_renewal(org, learner):
    built = make_module(org.provider, languages={"fr": 2}, valid_days=365)
    read_pages(learner, built.page_ids())
    done = current_completion(learner.id, built.module.id)
    assert done.expires_at == done.completed_at + timedelta(days=365)
    item, _ = status_of(learner, built, T0 + timedelta(days=200))
    assert item.completion.status == CompletionStatus.VALID
    item, sections = status_of(learner, built, T0 + timedelta(days=350))
    assert item.completion.status == CompletionStatus.EXPIRING_SOON
    assert sections["expiring"] == [built.module.slug]
    item, sections = status_of(learner, built, T0 + timedelta(days=366))
    assert item.completion.status == CompletionStatus.EXPIRED
    assert sections["redo"] == [built.module.slug]
    # Reading the module again in a new cycle renews it.
    later = T0 + timedelta(days=367)
    read_pages(learner, built.page_ids(), now=later)
    renewed = current_completion(learner.id, built.module.id)
    assert renewed.number == 2 and renewed.expires_at == renewed.completed_at + timedelta(days=365)
    old = db.session.scalar(select(Completion).where(Completion.number == 1))
    assert old.is_current is False


def test_after_a_completion_the_quiz_must_be_passed_again_in_the_new_cycle(org, learner):
    built = make_module(org.provider, languages={"fr": 1}, valid_days=30, with_quiz=True)
    read_pages(learner, built.page_ids())
    take_quiz(learner, built.quiz, correct=True, now=T0 + timedelta(minutes=10))
    assert current_completion(learner.id, built.module.id).number == 1
    read_pages(learner, built.page_ids(), now=T0 + timedelta(days=40))
    assert current_completion(learner.id, built.module.id).number == 1
    take_quiz(learner, built.quiz, correct=True, now=T0 + timedelta(days=41))
    assert current_completion(learner.id, built.module.id).number == 2


def test_statements_cannot_be_changed_or_deleted(org, learner):
    built = make_module(org.provider, languages={"fr": 1})
    read_pages(learner, built.page_ids())
    statement = db.session.scalars(select(Statement)).first()
    statement.verb = Verb.FAILED
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    statement = db.session.scalars(select(Statement)).first()
    db.session.delete(statement)
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_statement_ids_follow_the_natural_key(org, learner):
    from app.tracking.operations import tracking_config

    built = make_module(org.provider, languages={"fr": 1})
    read_pages(learner, built.page_ids())
    page_id = built.page_ids()[0]
    expected = tracking_config().iris.statement_id(
        f"experienced|user:{learner.id}|page:{page_id}|cycle:0"
    )
    stored = db.session.scalar(select(Statement.uuid).where(Statement.page_id == page_id))
    assert stored == expected


def test_a_campaign_can_give_events_their_xapi_registration(app, org, learner):
    from app.tracking.page_views import on_page_view

    registration = "6f1b2a9e-1c0d-4e7b-9a39-0d3b3f1d2c11"
    built = make_module(org.provider, languages={"fr": 1})
    asked = []

    def resolver(session, user_id, module_id, now):
        asked.append((user_id, module_id))
        return registration

    from flask import current_app

    XAPI_REGISTRATIONS.connect(current_app, resolver)
    try:
        page = db.session.get(ModulePage, built.page_ids()[0])
        read = PageRead(
            user_id=learner.id,
            module_id=built.module.id,
            version_id=built.current.id,
            page_id=page.id,
            language="fr",
            at=T0,
        )
        on_page_view(db.session, read)
        db.session.commit()
    finally:
        XAPI_REGISTRATIONS.disconnect(current_app, resolver)
    assert asked == [(learner.id, built.module.id)]
    rows = db.session.scalars(select(Statement)).all()
    assert [row.verb for row in rows] == [Verb.LAUNCHED, Verb.EXPERIENCED, Verb.COMPLETED]
    assert {row.registration for row in rows} == {registration}
    assert {row.payload["context"]["registration"] for row in rows} == {registration}
