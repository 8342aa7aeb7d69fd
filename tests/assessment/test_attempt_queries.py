"""The quiz pages run a fixed, small number of SQL statements whatever the learner's history.

Issue 14: quiz start and attempt pages at most 5 statements and 30 KB; saving an answer a small
fixed number. Statements are counted on the serving app's engine (the test body works in a
twin app, see `tests.conftest.serving`); BEGIN is not a statement of the page.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.assessment.models import Attempt, AttemptState, QuizVersion
from app.assessment.operations import definition_of
from app.assessment.queries import SHOWN_ATTEMPTS
from app.extensions import db
from app.tracking.models import Statement
from tests.assessment.quiz_factories import (
    NOW,
    RIGHT,
    WRONG,
    form_fields,
    make_module,
    make_quiz,
    save,
    start,
    submit,
    token_of,
)
from tests.conftest import login_as
from tests.factories import make_org, make_user
from tests.query_count import statements_during
from tests.tracking.helpers import make_module as tracking_module
from tests.tracking.helpers import read_pages

PAGE_CAP = 5
SAVE_CAP = 5
# Submitting: user, attempt, answers, the result, the points, the campaign's registration, the
# replay check, the module, the statements, the module's progress read and written, the
# completion rule's two reads, and PostgreSQL's learner lock (was 30 on SQLite).
SUBMIT_CAP = 14
COMPLETION_EXTRA = 7
MAX_BYTES = 30 * 1024


def statements_of(app):
    """Record the statements the app under test sends (transaction control left out)."""
    return statements_during(app, transaction_control=False)


@pytest.fixture
def taking(app):
    """A learner of a published module's quiz (no attempt limit, no cool-down), signed in."""
    org = make_org()
    module = make_module(org.provider)
    quiz = make_quiz(org.provider, module=module, attempts=0, cooldown=0)
    client = app.test_client()
    login_as(client, make_user(org.branch_a1, language="en"))
    return client, quiz


def _add_history(client, quiz, count: int) -> None:
    """Submitted attempts, passed and failed in turn."""
    for number in range(count):
        attempt_id = start(client, quiz)
        token = token_of(client, attempt_id)
        for question_id, response in (RIGHT if number % 2 else WRONG).items():
            assert save(client, attempt_id, token, question_id, response).status_code == 200
        assert submit(client, attempt_id, token).status_code == 303


def _count_get(app, client, url: str) -> tuple[int, int, str]:
    with statements_of(app) as log:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(log), len(response.get_data()), log.report()


def test_quiz_start_and_attempt_pages_stay_within_the_cap_as_history_grows(app, taking):
    client, quiz = taking
    counts = []
    for history in (3, 6):
        _add_history(client, quiz, 3)
        start_count, start_bytes, report = _count_get(app, client, f"/quizzes/{quiz.slug}")
        assert start_count <= PAGE_CAP, f"start page after {history} attempts:\n{report}"
        assert start_bytes <= MAX_BYTES
        attempt_id = start(client, quiz)
        token = token_of(client, attempt_id)
        save(client, attempt_id, token, "q-single", "opt-eid")
        page_count, page_bytes, report = _count_get(app, client, f"/attempts/{attempt_id}")
        assert page_count <= PAGE_CAP, f"attempt page after {history} attempts:\n{report}"
        assert page_bytes <= MAX_BYTES
        counts.append((start_count, page_count))
        assert submit(client, attempt_id, token).status_code == 303
    assert counts[0] == counts[1], "the statements grew with the learner's history"


def test_a_long_history_keeps_the_start_page_small_and_still_counts_every_attempt(app):
    org = make_org()
    quiz = make_quiz(org.provider, attempts=0, cooldown=0)
    learner = make_user(org.branch_a1, language="en")
    total = SHOWN_ATTEMPTS + 12
    for number in range(1, total + 1):
        # The first attempt is the best one: it must still count once out of the list.
        score = 100.0 if number == 1 else 10.0
        db.session.add(
            Attempt(
                user_id=learner.id,
                quiz_id=quiz.id,
                quiz_version_id=quiz.current_version_id,
                number=number,
                state=AttemptState.SUBMITTED,
                seed=number,
                question_ids=list(RIGHT),
                option_orders={},
                started_at=NOW,
                submitted_at=NOW,
                score_percent=score,
                is_passed=number == 1,
            )
        )
    db.session.commit()
    client = app.test_client()
    login_as(client, learner)
    count, size, report = _count_get(app, client, f"/quizzes/{quiz.slug}")
    page = client.get(f"/quizzes/{quiz.slug}").get_data(as_text=True)
    assert count <= PAGE_CAP, report
    assert size <= MAX_BYTES
    assert page.count('<th scope="row">') == SHOWN_ATTEMPTS
    assert f"Start attempt {total + 1}" in page
    assert "Score: 100%" in page


def test_saving_answers_runs_a_small_fixed_number_of_statements(app, taking):
    client, quiz = taking
    _add_history(client, quiz, 2)
    attempt_id = start(client, quiz)
    token = token_of(client, attempt_id)
    for response in ("opt-eid", "opt-ahv"):  # a first save inserts, the next one updates
        with statements_of(app) as log:
            reply = save(client, attempt_id, token, "q-single", response)
        assert reply.status_code == 200 and reply.get_json()["saved"] is True
        assert len(log) <= SAVE_CAP, log.report()
    for question_id, response in RIGHT.items():
        save(client, attempt_id, token, question_id, response)
    data = {"csrf_token": token, "page": "1", "go": "finish", "shown": list(RIGHT)}
    for question_id, response in WRONG.items():
        data.update(form_fields(question_id, response))
    with statements_of(app) as log:  # the whole page saved at once, without JavaScript
        reply = client.post(f"/attempts/{attempt_id}/save", data=data)
    assert reply.status_code == 303, reply.get_data(as_text=True)
    assert len(log) <= SAVE_CAP, log.report()
    with statements_of(app) as log:
        reply = submit(client, attempt_id, token)
    assert reply.status_code == 303
    assert not any(sql.lstrip().upper().startswith("SELECT QUIZ_VERSIONS") for sql in log)


def test_a_version_is_parsed_once_and_a_replaced_definition_is_parsed_again(app, taking):
    _client, quiz = taking
    version = db.session.get(QuizVersion, quiz.current_version_id)
    first = definition_of(version)
    assert definition_of(version) is first
    version.definition = {**version.definition, "cooldown_minutes": 7}
    assert definition_of(version).cooldown_minutes == 7


def _submit_counted(app, client, attempt_id: int, token: str):
    with statements_of(app) as log:
        reply = submit(client, attempt_id, token)
    assert reply.status_code == 303, reply.get_data(as_text=True)
    return log


def _inserts_into(log, table: str) -> int:
    return sum(1 for sql in log if sql.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"))


def test_submitting_stores_the_grade_and_the_statements_in_a_fixed_number_of_statements(app):
    """Grade, points and the xAPI statements of an attempt go in batches (issue 14).

    The attempt, quiz and version come in one statement, the answers in one; the result is
    one conditional UPDATE; attempted + answered + passed/failed are one INSERT.
    """
    org = make_org()
    built = tracking_module(org.provider, languages={"fr": 3}, with_quiz=True)
    learner = make_user(org.branch_a1, language="fr")
    read_pages(learner, built.page_ids())
    client = app.test_client()
    login_as(client, learner)
    logs, first_attempt = [], 0
    for answer in ("b", "a", "a"):  # failed; passed, which completes the module; passed again
        attempt_id = start(client, built.quiz)
        token = token_of(client, attempt_id)
        for question_id in ("q1", "q2"):
            assert save(client, attempt_id, token, question_id, answer).status_code == 200
        logs.append(_submit_counted(app, client, attempt_id, token))
        first_attempt = first_attempt or attempt_id
    failed, completing, passed = logs
    # One INSERT keeps the recording order: the ids say attempted, answered (as asked), failed.
    recorded = db.session.execute(
        select(Statement.verb, Statement.object_iri)
        .where(Statement.attempt_id == first_attempt)
        .order_by(Statement.id)
    ).all()
    assert [verb for verb, _iri in recorded] == ["attempted", "answered", "answered", "failed"]
    assert [iri.rsplit("/", 1)[1] for _verb, iri in recorded[1:3]] == ["q1", "q2"]
    for log in (failed, passed):
        assert len(log) <= SUBMIT_CAP, log.report()
        assert _inserts_into(log, "statements") == 1, log.report()
    # The completion adds the rule's reads, the `completed` statement, its row and certificate.
    assert len(completing) <= SUBMIT_CAP + COMPLETION_EXTRA, completing.report()
    assert _inserts_into(completing, "statements") == 2, completing.report()
    assert _inserts_into(completing, "certificates") == 1, completing.report()
