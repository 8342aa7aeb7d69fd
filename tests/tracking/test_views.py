"""My learning, certificates, the public verification page and the personal data download."""

from __future__ import annotations

import csv
import io
import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Integer, String, event, false, literal, select, union_all

from app.db import TZDateTime
from app.extensions import db
from app.people.models import Role
from app.platform.audit import AuditEvent
from app.tracking.assignment_sources import AssignmentRow, AssignmentSource
from app.tracking.certificates import format_code, new_code, normalise_code
from app.tracking.models import Certificate
from app.tracking.my_learning import my_learning
from tests.conftest import get_csrf, login_as
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0, make_module, read_pages, take_quiz


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def learner(org):
    return make_user(org.branch_a1, Role.LEARNER, email="anne@example.org")


@contextmanager
def counted_queries():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def build_learning(org, learner, modules: int) -> None:
    """Give the learner `modules` modules in every state: completed, in progress, expiring."""
    for n in range(modules):
        built = make_module(
            org.provider, languages={"fr": 2, "de": 2}, valid_days=40, with_quiz=n % 2 == 0
        )
        if n % 3 == 0:
            read_pages(learner, built.page_ids("fr"))
            if built.quiz:
                take_quiz(learner, built.quiz, correct=True)
        elif n % 3 == 1:
            read_pages(learner, built.page_ids("de")[:1])


def literal_source(*rows: tuple[int, object, str]) -> AssignmentSource:
    """An assignment source that assigns exactly `rows` (module id, due date, source name)."""
    parts = [
        select(
            literal(module_id, Integer).label("module_id"),
            literal(due_at, TZDateTime()).label("due_at"),
            literal(name, String).label("source"),
        )
        for module_id, due_at, name in rows
    ] or [select(literal(0, Integer).label("module_id")).where(false())]
    statement = select(union_all(*parts).subquery()) if len(parts) > 1 else parts[0]
    return AssignmentSource(statement, lambda row: AssignmentRow(*row))


def test_my_learning_takes_a_fixed_number_of_queries(org, learner):
    source = literal_source()

    user_id = learner.id
    build_learning(org, learner, 2)
    db.session.expire_all()
    with counted_queries() as few:
        small = my_learning(db.session, user_id, language="fr", now=T0, sources=[source])
    build_learning(org, learner, 9)
    db.session.expire_all()
    with counted_queries() as many:
        large = my_learning(db.session, user_id, language="fr", now=T0, sources=[source])
    assert len(small.completed) + len(small.in_progress) == 2
    assert len(large.completed) + len(large.in_progress) + len(large.expiring) == 8
    assert len(few) == len(many) <= 10


def test_progress_counts_only_the_learners_own_pages_whatever_others_read(org, learner):
    # Other learners in the same version and cycle, further along or not, change nothing.
    built = make_module(org.provider, slug="shared", languages={"fr": 4, "de": 4})
    other = make_module(org.provider, slug="other", languages={"fr": 3})
    colleagues = [make_user(org.branch_a1, Role.LEARNER) for _ in range(3)]
    read_pages(learner, built.page_ids("fr")[:1])
    for colleague in colleagues:
        read_pages(colleague, built.page_ids("fr")[:3])
        read_pages(colleague, built.page_ids("de")[:2])
        read_pages(colleague, other.page_ids())
    read_pages(colleagues[1], built.page_ids("fr"))  # completes it, then nothing counts for anne

    mine = my_learning(db.session, learner.id, language="fr", now=T0, sources=[])
    (item,) = mine.in_progress
    assert item.slug == "shared"
    assert (item.progress.seen, item.progress.total) == (1, 4)
    assert item.resume_number == 2
    assert not mine.completed
    theirs = my_learning(db.session, colleagues[0].id, language="fr", now=T0, sources=[])
    by_slug = {item.slug: item for item in theirs.items()}
    assert (by_slug["shared"].progress.seen, by_slug["shared"].progress.total) == (3, 4)
    assert [item.slug for item in theirs.completed] == ["other"]


def test_assignments_come_first_overdue_before_due(org, learner):
    due_later = make_module(org.provider, slug="due-later")
    overdue = make_module(org.provider, slug="overdue")
    done = make_module(org.provider, slug="done-before-due", languages={"fr": 1})
    read_pages(learner, done.page_ids())

    now = T0 + timedelta(hours=1)
    campaign = literal_source(
        (due_later.module.id, now + timedelta(days=5), "Tax 2027"),
        (overdue.module.id, now - timedelta(days=1), "Tax 2027"),
        (done.module.id, now + timedelta(days=1), "Tax 2027"),
    )

    learning = my_learning(db.session, learner.id, language="fr", now=now, sources=[campaign])
    assert [item.slug for item in learning.todo] == ["overdue", "due-later"]
    assert learning.todo[0].is_overdue and not learning.todo[1].is_overdue
    assert learning.overdue == 1
    assert [item.slug for item in learning.completed] == ["done-before-due"]


def test_my_learning_page_shows_progress_completion_and_certificate(app, client, org, learner):
    started = make_module(org.provider, slug="started", languages={"fr": 4})
    read_pages(learner, started.page_ids()[:1])
    finished = make_module(org.provider, slug="finished", languages={"fr": 1}, with_quiz=True)
    read_pages(learner, finished.page_ids())
    take_quiz(learner, finished.quiz, correct=True)
    login_as(client, learner)
    html = client.get("/learning").get_data(as_text=True)
    assert "1 of 4 pages read" in html
    assert '<progress id="progress-' in html and 'max="4" value="1"' in html
    assert "/modules/started/pages/2" in html  # one tap from resuming
    code = db.session.scalar(select(Certificate.code))
    assert f"/learning/certificates/{format_code(code)}" in html
    assert "100" in html and "Completed" in html
    home = client.get("/home").get_data(as_text=True)
    assert 'href="/learning"' in home
    assert "1 module in progress" in home


def test_a_module_read_but_quiz_not_passed_offers_the_quiz(app, client, org, learner):
    built = make_module(org.provider, slug="needs-quiz", languages={"fr": 1}, with_quiz=True)
    read_pages(learner, built.page_ids())
    login_as(client, learner)
    html = client.get("/learning").get_data(as_text=True)
    assert f"/quizzes/{built.quiz.slug}" in html and "Take the quiz" in html


def certificate_code(learner) -> str:
    return db.session.scalar(select(Certificate.code).where(Certificate.user_id == learner.id))


def test_certificate_is_for_its_learner_their_managers_and_admins(app, client, org, learner):
    built = make_module(org.provider, languages={"fr": 1})
    read_pages(learner, built.page_ids())
    code = format_code(certificate_code(learner))
    login_as(client, learner)
    page = client.get(f"/learning/certificates/{code}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert learner.display_name in text and code in text and "/verify/" in text
    other = app.test_client()
    login_as(other, make_user(org.branch_a1, Role.LEARNER))
    assert other.get(f"/learning/certificates/{code}").status_code == 404
    outsider = app.test_client()
    login_as(outsider, make_user(org.region_b, Role.MANAGER))
    assert outsider.get(f"/learning/certificates/{code}").status_code == 404
    manager = app.test_client()
    login_as(manager, make_user(org.region_a, Role.MANAGER))
    assert manager.get(f"/learning/certificates/{code}").status_code == 200


def test_public_verification_shows_only_name_module_date_and_validity(app, client, org, learner):
    built = make_module(org.provider, languages={"fr": 1}, valid_days=10)
    read_pages(learner, built.page_ids())
    code = certificate_code(learner)
    app.config["CLOCK_OFFSET"] = T0 - __import__("app.db", fromlist=["utcnow"]).utcnow()
    response = client.get(f"/verify/{code.lower()}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert learner.display_name in text and "Valid certificate" in text
    assert learner.email not in text and "anne@" not in text
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    app.config["CLOCK_OFFSET"] += timedelta(days=11)
    text = client.get(f"/verify/{format_code(code)}").get_data(as_text=True)
    assert "Expired certificate" in text


def test_unknown_codes_answer_404_and_the_form_redirects(client, app):
    assert client.get("/verify/AAAA-BBBB-CCCC").status_code == 404
    assert client.get("/verify/not-a-code").status_code == 404
    assert client.get("/verify").status_code == 200
    response = client.get("/verify?code=abcd efgh ijkl")
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/verify/ABCD-EFGH-IJKL"
    )
    assert client.get("/verify?code=nonsense").status_code == 404


def test_codes_are_random_base32_and_normalised():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 12 and normalise_code(code) == code for code in codes)
    assert normalise_code(" abcd-efgh-ijkl ") == "ABCDEFGHIJKL"
    assert normalise_code("ABCD-EFGH-IJK1") is None  # 1 is not base32
    assert format_code("ABCDEFGHIJKL") == "ABCD-EFGH-IJKL"


def test_personal_data_downloads(app, client, org, learner):
    learner.first_name = '=HYPERLINK("http://evil")'
    db.session.commit()
    built = make_module(org.provider, languages={"fr": 2}, with_quiz=True)
    read_pages(learner, built.page_ids())
    take_quiz(learner, built.quiz, correct=True)
    login_as(client, learner)
    token = get_csrf(client, "/learning")
    assert client.post("/learning/my-data.json").status_code == 400  # no CSRF token
    response = client.post("/learning/my-data.json", data={"csrf_token": token})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data())
    assert document["learner"]["email"] == "anne@example.org"
    assert len(document["statements"]) >= 7
    assert all("stored" in s for s in document["statements"])
    assert document["completions"][0]["status"] == "valid"
    assert len(document["page_progress"]) == 2
    response = client.post("/learning/my-data/statements.csv", data={"csrf_token": token})
    assert response.status_code == 200
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "statement_id" and len(rows) == len(document["statements"]) + 1
    completions = client.post("/learning/my-data/completions.csv", data={"csrf_token": token})
    assert "valid" in completions.get_data(as_text=True)
    progress = client.post("/learning/my-data/progress.csv", data={"csrf_token": token})
    assert "Page 1 fr" in progress.get_data(as_text=True)
    assert (
        client.post("/learning/my-data/secrets.csv", data={"csrf_token": token}).status_code == 404
    )
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("personal_data.exported") == 4


def test_nobody_else_can_download_my_data(app, client, org, learner):
    built = make_module(org.provider, languages={"fr": 1})
    read_pages(learner, built.page_ids())
    other = make_user(org.branch_a1, Role.LEARNER)
    login_as(client, other)
    token = get_csrf(client, "/learning")
    document = json.loads(client.post("/learning/my-data.json", data={"csrf_token": token}).data)
    assert document["statements"] == [] and document["learner"]["id"] == other.id


def test_the_nav_offers_my_learning_to_learners(app, client, org, learner):
    login_as(client, learner)
    assert 'href="/learning"' in client.get("/home").get_data(as_text=True)


def test_completed_modules_show_the_most_recent_with_a_link_to_all(
    app, client, org, learner, monkeypatch
):
    monkeypatch.setattr("app.tracking.views.RECENT_COMPLETED", 2)
    for day, slug in enumerate(("first-done", "second-done", "third-done")):
        built = make_module(org.provider, slug=slug, languages={"fr": 1})
        read_pages(learner, built.page_ids(), now=T0 + timedelta(days=day))
    login_as(client, learner)

    recent = client.get("/learning").get_data(as_text=True)
    completed = recent.split('id="section-completed"')[1]
    assert completed.count('<tr class="learning-item">') == 2
    assert "/modules/third-done" in completed and "/modules/first-done" not in completed
    assert "(3)" in completed.split("</h2>")[0]  # the heading counts them all
    assert 'href="/learning?completed=all"' in completed
    assert "Show all 3 completed modules" in completed

    everything = client.get("/learning?completed=all").get_data(as_text=True)
    completed = everything.split('id="section-completed"')[1]
    assert completed.count('<tr class="learning-item">') == 3
    assert "/modules/first-done" in completed
    assert 'href="/learning"' in completed and "Show only the most recent" in completed
