"""Submitting is idempotent under concurrency: 20 requests at once grade the attempt once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.assessment.models import Attempt, AttemptAnswer, AttemptState
from app.extensions import db
from app.platform.hooks import QUIZ_GRADED
from tests.assessment.quiz_factories import RIGHT, make_quiz, save, start, token_of
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user

THREADS = 20


def test_twenty_simultaneous_submits_grade_exactly_once(app):
    org = make_org()
    learner = make_user(org.branch_a1, language="en")
    quiz = make_quiz(org.provider)
    graded: list[int] = []
    guard = threading.Lock()

    def count_gradings(session, event):
        with guard:
            graded.append(event.attempt_id)

    QUIZ_GRADED.connect(app, count_gradings)
    first = app.test_client()
    login_as(first, learner)
    attempt_id = start(first, quiz)
    token = token_of(first, attempt_id)
    for question_id, response in RIGHT.items():
        assert save(first, attempt_id, token, question_id, response).status_code == 200

    # One client per "tab", each with its own session and CSRF token, all for the same learner.
    tabs = []
    for _ in range(THREADS):
        client = app.test_client()
        login_as(client, learner)
        page = client.get(f"/attempts/{attempt_id}/confirm").get_data(as_text=True)
        tabs.append((client, csrf_token_from(page)))
    barrier = threading.Barrier(THREADS)
    replies: list[tuple[int, dict | None]] = [(0, None)] * THREADS
    failures: list[BaseException] = []

    def submit_from(index: int) -> None:
        client, csrf = tabs[index]
        try:
            barrier.wait(timeout=30)
            reply = client.post(
                f"/attempts/{attempt_id}/submit",
                data={"csrf_token": csrf, "submit_key": f"tab-{index}"},
                headers={"Accept": "application/json"},
            )
            replies[index] = (reply.status_code, reply.get_json(silent=True))
        except BaseException as exc:  # reported below, with the thread's index
            failures.append(exc)

    threads = [threading.Thread(target=submit_from, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    statuses = [status for status, _ in replies]
    assert statuses == [200] * THREADS, statuses
    bodies = {repr(sorted(body.items())) for _, body in replies}
    assert len(bodies) == 1, bodies
    body = replies[0][1]
    assert body["state"] == "submitted" and body["score_percent"] == 100.0

    assert graded == [attempt_id]
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.score_percent == 100.0
    assert attempt.submit_key.startswith("tab-")
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    assert db.session.scalar(select(func.count(AttemptAnswer.id))) == len(RIGHT)


def test_simultaneous_starts_open_one_attempt(app):
    org = make_org()
    learner = make_user(org.branch_a1, language="en")
    quiz = make_quiz(org.provider)
    tabs = []
    for _ in range(5):
        client = app.test_client()
        login_as(client, learner)
        page = client.get(f"/quizzes/{quiz.slug}").get_data(as_text=True)
        tabs.append((client, csrf_token_from(page)))
    barrier = threading.Barrier(len(tabs))
    locations: list[str | None] = [None] * len(tabs)

    def start_from(index: int) -> None:
        client, csrf = tabs[index]
        barrier.wait(timeout=30)
        reply = client.post(f"/quizzes/{quiz.slug}/attempts", data={"csrf_token": csrf})
        locations[index] = f"{reply.status_code} {reply.headers.get('Location')}"

    threads = [threading.Thread(target=start_from, args=(i,)) for i in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    attempt_id = db.session.scalar(select(Attempt.id))
    assert set(locations) == {f"303 /attempts/{attempt_id}"}
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
