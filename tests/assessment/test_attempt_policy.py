"""Attempt rules on the database: limit, cool-down, time limit, late grading, score policy."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.assessment import grading
from app.assessment.attempts import (
    AnswerRefused,
    AttemptClosed,
    AttemptExpired,
    AttemptRefused,
    save_answer,
    start_attempt,
    submit_attempt,
)
from app.assessment.models import DEADLINE_GRACE, Attempt, AttemptAnswer, AttemptState
from app.assessment.operations import definition_of
from app.assessment.queries import attempt_policy, best_result
from app.assessment.trainer_queries import quiz_statistics
from app.extensions import db
from tests.assessment.quiz_factories import NOW, RIGHT, WRONG, make_quiz
from tests.factories import make_org, make_user


@pytest.fixture
def setup(app):
    org = make_org()
    learner = make_user(org.branch_a1)
    return org, learner


def answer_all(attempt, answers, now):
    for question_id in attempt.question_ids:
        save_answer(db.session, attempt, question_id, answers[question_id], now=now)


def take(quiz, learner, answers, now):
    """Start, answer every question and submit; return the attempt."""
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=now)
    answer_all(attempt, answers, now)
    submit_attempt(db.session, attempt, now=now + timedelta(minutes=1))
    db.session.commit()
    return attempt


def test_start_draws_and_stores_questions_and_resumes_the_open_attempt(setup):
    org, learner = setup
    text = """\
id: pooled
title: Pooled
pass_mark: 50
shuffle_questions: true
questions:
  - {id: fixed, type: truefalse, stem: Fixed, answer: true}
pools:
  - id: extra
    draw: 2
    questions:
      - {id: p1, type: truefalse, stem: One, answer: true}
      - {id: p2, type: truefalse, stem: Two, answer: true}
      - {id: p3, type: truefalse, stem: Three, answer: false}
"""
    quiz = make_quiz(org.provider, text)
    attempt, is_new = start_attempt(db.session, learner.id, quiz, now=NOW)
    db.session.commit()
    assert is_new and attempt.number == 1 and attempt.state == AttemptState.OPEN
    assert len(attempt.question_ids) == 3 and "fixed" in attempt.question_ids
    # The stored seed gives back the same draw.
    redrawn = grading.draw_questions(definition_of(attempt.version), random.Random(attempt.seed))
    assert [q.id for q in redrawn] == attempt.question_ids
    again, is_new = start_attempt(db.session, learner.id, quiz, now=NOW + timedelta(hours=1))
    assert again.id == attempt.id and not is_new


def test_attempt_limit_refuses_with_a_clear_reason(setup):
    org, learner = setup
    quiz = make_quiz(org.provider, attempts=2, cooldown=0)
    take(quiz, learner, WRONG, NOW)
    take(quiz, learner, WRONG, NOW + timedelta(minutes=5))
    with pytest.raises(AttemptRefused) as refused:
        start_attempt(db.session, learner.id, quiz, now=NOW + timedelta(days=1))
    assert refused.value.status == 409
    assert refused.value.message == "You have used all 2 attempts at this quiz."
    policy = attempt_policy(db.session, learner, quiz, now=NOW + timedelta(days=1))
    assert policy.attempts_left == 0 and not policy.can_start


def test_cooldown_says_until_when_and_ends_on_time(setup):
    org, learner = setup
    quiz = make_quiz(org.provider, attempts=0, cooldown=10)
    first = take(quiz, learner, WRONG, NOW)
    ended = first.submitted_at
    assert ended == NOW + timedelta(minutes=1)
    with pytest.raises(AttemptRefused) as refused:
        start_attempt(db.session, learner.id, quiz, now=ended + timedelta(minutes=9, seconds=59))
    assert refused.value.params["until"] == ended + timedelta(minutes=10)
    assert "You can start the next attempt at" in refused.value.message
    second, is_new = start_attempt(db.session, learner.id, quiz, now=ended + timedelta(minutes=10))
    assert is_new and second.number == 2


def test_answers_only_to_the_attempts_own_questions_in_the_right_shape(setup):
    org, learner = setup
    quiz = make_quiz(org.provider)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    bad = [
        ("not-in-attempt", "x", "This question is not part of your attempt."),
        ("q-single", "opt-forged", "unknown option"),
        ("q-single", ["opt-eid"], "choose one option"),
        ("q-multi", ["m-salary", "m-forged"], "unknown option"),
        ("q-multi", "m-salary", "a list of options is expected"),
        ("q-tf", "maybe", "true or false is expected"),
        ("q-short", "x" * 1001, "the answer is too long"),
        ("q-num", "abc", "please enter a number"),
        ("q-num", "1e300", "the number is out of range"),
        ("q-num", "NaN", "please enter a number"),
        ("q-num", True, "a number is expected, not true/false"),
        ("q-match", {"p-forged": "Pays taxes"}, "unknown prompt"),
        ("q-match", {"p-mail": "Forged choice"}, "unknown choice"),
        ("q-order", ["s-open", "s-login"], "a list of all items is expected"),
        ("q-order", ["s-open", "s-open", "s-fill"], "a list of all items is expected"),
    ]
    for question_id, response, message in bad:
        with pytest.raises(AnswerRefused) as refused:
            save_answer(db.session, attempt, question_id, response, now=NOW)
        assert refused.value.message == message, (question_id, response)
        assert refused.value.status == 400
    # A negative number is a real answer (it is simply wrong here).
    save_answer(db.session, attempt, "q-num", "-12,5", now=NOW)
    # Nothing chosen clears an answer instead of storing an empty one.
    save_answer(db.session, attempt, "q-multi", [], now=NOW)
    db.session.commit()
    stored = {a.question_id: a.response for a in db.session.scalars(select(AttemptAnswer))}
    assert stored == {"q-num": "-12,5", "q-multi": None}


def test_nothing_changes_after_submission(setup):
    org, learner = setup
    quiz = make_quiz(org.provider)
    attempt = take(quiz, learner, RIGHT, NOW)
    with pytest.raises(AttemptClosed) as closed:
        save_answer(db.session, attempt, "q-single", "opt-ahv", now=NOW + timedelta(minutes=2))
    assert closed.value.status == 409
    again = submit_attempt(db.session, attempt, now=NOW + timedelta(minutes=3))
    assert not again.graded_now and again.attempt.score_percent == 100


def test_right_and_wrong_answers_are_graded_once_and_listeners_run_inside(setup, app):
    org, learner = setup
    quiz = make_quiz(org.provider)
    calls = []
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    answer_all(attempt, RIGHT, NOW)
    save_answer(db.session, attempt, "q-order", ["s-fill", "s-login", "s-open"], now=NOW)

    def listener(session, graded):
        calls.append((graded.attempt_id, graded.score_percent, graded.at))

    outcome = submit_attempt(db.session, attempt, now=NOW, key="k1", listeners=[listener])
    db.session.commit()
    # Ordering s-fill, s-login, s-open has only s-login in place: 1/3 of a point.
    assert outcome.graded_now
    assert attempt.score_percent == pytest.approx((6 + 1 / 3) / 7 * 100)
    assert attempt.is_passed is True and attempt.submit_key == "k1"
    assert calls == [(attempt.id, attempt.score_percent, NOW)]
    second = submit_attempt(db.session, attempt, now=NOW, key="k2", listeners=[listener])
    assert not second.graded_now and len(calls) == 1 and attempt.submit_key == "k1"


def test_time_limit_late_submission_is_graded_on_what_was_saved_by_the_deadline(setup):
    org, learner = setup
    quiz = make_quiz(org.provider, time_limit=15)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    assert attempt.deadline_at == NOW + timedelta(minutes=15)
    save_answer(db.session, attempt, "q-single", "opt-eid", now=NOW + timedelta(minutes=14))
    # Within the grace for requests in flight the answer still counts...
    save_answer(db.session, attempt, "q-tf", True, now=attempt.deadline_at + DEADLINE_GRACE)
    db.session.commit()
    # ...after it, the attempt is submitted and the answer refused.
    late = attempt.deadline_at + DEADLINE_GRACE + timedelta(seconds=1)
    with pytest.raises(AttemptExpired) as expired:
        save_answer(db.session, attempt, "q-short", "zephyrportal", now=late)
    db.session.commit()
    assert expired.value.status == 410
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.score_percent == pytest.approx(2 / 7 * 100)
    # A second, later submission changes nothing.
    outcome = submit_attempt(db.session, attempt, now=late + timedelta(hours=1))
    assert not outcome.graded_now and attempt.score_percent == pytest.approx(2 / 7 * 100)


def test_an_answer_stored_after_the_deadline_does_not_count(setup):
    org, learner = setup
    quiz = make_quiz(org.provider, time_limit=5)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    save_answer(db.session, attempt, "q-single", "opt-eid", now=NOW)
    # As if written behind the application's back after the deadline.
    db.session.add(
        AttemptAnswer(
            attempt_id=attempt.id,
            question_id="q-tf",
            response=True,
            saved_at=attempt.deadline_at + timedelta(minutes=5),
        )
    )
    db.session.flush()
    submit_attempt(db.session, attempt, now=attempt.deadline_at + timedelta(hours=2))
    db.session.commit()
    assert attempt.score_percent == pytest.approx(1 / 7 * 100)


def test_an_expired_open_attempt_is_submitted_when_the_learner_starts_again(setup):
    org, learner = setup
    quiz = make_quiz(org.provider, time_limit=5, cooldown=10)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    save_answer(db.session, attempt, "q-single", "opt-eid", now=NOW)
    db.session.commit()
    # Cool-down counts from the deadline (when the attempt ended), not from the next visit.
    with pytest.raises(AttemptRefused):
        start_attempt(db.session, learner.id, quiz, now=NOW + timedelta(minutes=6))
    db.session.commit()
    db.session.refresh(attempt)
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.submitted_at == NOW + timedelta(minutes=5)
    second, is_new = start_attempt(db.session, learner.id, quiz, now=NOW + timedelta(minutes=15))
    assert is_new and second.number == 2


@pytest.mark.parametrize(("policy", "expected"), [("highest", 100.0), ("last", 0.0)])
def test_score_policy_highest_or_last(setup, policy, expected):
    org, learner = setup
    quiz = make_quiz(org.provider, score=policy, cooldown=0)
    take(quiz, learner, RIGHT, NOW)
    take(quiz, learner, WRONG, NOW + timedelta(minutes=5))
    result = best_result(db.session, learner, quiz)
    assert result.score_percent == pytest.approx(expected)
    assert result.number == (1 if policy == "highest" else 2)


def test_unanswered_questions_count_in_the_statistics(setup):
    org, learner = setup
    other = make_user(org.branch_a2)
    quiz = make_quiz(org.provider)
    take(quiz, learner, RIGHT, NOW)
    attempt, _ = start_attempt(db.session, other.id, quiz, now=NOW)
    save_answer(db.session, attempt, "q-single", "opt-eid", now=NOW)
    submit_attempt(db.session, attempt, now=NOW)
    db.session.commit()
    assert db.session.scalar(select(func.count(AttemptAnswer.id))) == 14
    stats = quiz_statistics(db.session, quiz)
    assert (stats.attempts, stats.learners, stats.passed_attempts) == (2, 2, 1)
    assert stats.pass_rate == 0.5
    rows = {row.question_id: row for row in stats.questions}
    assert rows["q-single"].facility == 1.0 and rows["q-tf"].facility == 0.5
    assert rows["q-tf"].asked == 2


def test_attempt_numbers_are_unique_per_learner_and_quiz(setup):
    org, learner = setup
    quiz = make_quiz(org.provider)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    db.session.commit()
    duplicate = Attempt(
        user_id=learner.id,
        quiz_id=quiz.id,
        quiz_version_id=attempt.quiz_version_id,
        number=1,
        seed=1,
        question_ids=[],
        option_orders={},
        started_at=NOW,
    )
    db.session.add(duplicate)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
