"""The hooks, end to end over HTTP: the content reader's POST and the quiz's submission."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.assessment.models import Attempt
from app.extensions import db
from app.people.models import Role
from app.tracking.models import Completion, Statement
from app.tracking.statements import Verb
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user
from tests.tracking.helpers import make_module


def read_in_browser(client, slug: str, pages: int) -> None:
    for number in range(1, pages + 1):
        html = client.get(f"/modules/{slug}/pages/{number}").get_data(as_text=True)
        version_id = re.search(r'name="version_id" value="(\d+)"', html).group(1)
        response = client.post(
            f"/modules/{slug}/pages/{number}/done",
            data={"csrf_token": csrf_token_from(html), "version_id": version_id, "language": "fr"},
        )
        assert response.status_code == 303


def test_reading_and_passing_through_the_app_records_everything(app, client):
    org = make_org()
    learner = make_user(org.branch_a1, Role.LEARNER)
    built = make_module(org.provider, slug="hooked", languages={"fr": 2}, with_quiz=True)
    login_as(client, learner)
    read_in_browser(client, "hooked", 2)
    read_in_browser(client, "hooked", 1)  # reading again records nothing new
    verbs = db.session.scalars(select(Statement.verb).order_by(Statement.id)).all()
    assert verbs == [Verb.LAUNCHED, Verb.EXPERIENCED, Verb.EXPERIENCED]
    # The quiz: start, answer (autosave JSON), submit.
    html = client.get(f"/quizzes/{built.quiz.slug}").get_data(as_text=True)
    token = csrf_token_from(html)
    assert (
        client.post(f"/quizzes/{built.quiz.slug}/attempts", data={"csrf_token": token}).status_code
        == 303
    )
    attempt = db.session.scalar(select(Attempt))
    for question_id in attempt.question_ids:
        saved = client.post(
            f"/attempts/{attempt.id}/answers",
            json={"question_id": question_id, "response": "a"},
            headers={"X-CSRFToken": token},
        )
        assert saved.status_code == 200, saved.get_data(as_text=True)
    submitted = client.post(
        f"/attempts/{attempt.id}/submit", data={"csrf_token": token, "submit_key": "k1"}
    )
    assert submitted.status_code == 303
    client.post(f"/attempts/{attempt.id}/submit", data={"csrf_token": token, "submit_key": "k1"})
    completion = db.session.scalar(select(Completion))
    assert completion is not None and completion.score_percent == 100.0
    verbs = db.session.scalars(select(Statement.verb).order_by(Statement.id)).all()
    assert verbs[-1] == Verb.COMPLETED and verbs.count(Verb.PASSED) == 1
    html = client.get("/learning").get_data(as_text=True)
    assert "Certificate" in html


def test_a_tampered_version_in_the_reader_form_records_nothing(app, client):
    org = make_org()
    learner = make_user(org.branch_a1, Role.LEARNER)
    first = make_module(org.provider, slug="first", languages={"fr": 2})
    old_version = first.current.id
    from tests.tracking.helpers import add_version

    add_version(first, languages={"fr": 2})
    login_as(client, learner)
    html = client.get("/modules/first/pages/1").get_data(as_text=True)
    client.post(
        "/modules/first/pages/1/done",
        data={"csrf_token": csrf_token_from(html), "version_id": old_version, "language": "fr"},
    )
    assert db.session.scalars(select(Statement)).all() == []
