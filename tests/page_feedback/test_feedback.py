"""Module feedback: ratings and problem reports by learners, handled by trainers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import render_template_string

from app.content.models import ModuleStatus
from app.extensions import db
from app.learner_requests.models import ProblemReport, ReportStatus
from app.page_feedback.models import PageRating
from app.people.models import Role
from app.platform.audit import AuditEvent
from app.platform.hooks import READER_PANELS
from tests.conftest import csrf_token_from, get_csrf, login_as
from tests.factories import make_org, make_user
from tests.tracking.helpers import make_module

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def pages(app):
    org = make_org()
    built = make_module(org.provider, slug="digital-post")
    other = make_module(org.other_provider, slug="other-provider")
    learner = make_user(org.branch_a1)
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider)
    outsider = make_user(org.branch_a1, Role.TRAINER, provider=org.other_provider)
    return org, built, other, learner, trainer, outsider


def token(client):
    return get_csrf(client, "/requests/")


def test_the_reader_panel_renders_two_forms_for_the_page(app, client, pages):
    _org, built, *_ = pages
    page_id = built.page_ids()[0]
    reader_page = SimpleNamespace(page_id=page_id, slug=built.module.slug)
    with app.test_request_context(f"/modules/{built.module.slug}/pages/1"):
        panels = [add(reader_page) for add in READER_PANELS.receivers(app)]
        html = render_template_string(
            "{% for panel in panels %}{% include panel.template %}{% endfor %}", panels=panels
        )
    assert f"/requests/ask?module={built.module.slug}" in html
    assert f'action="/readiness/pages/{page_id}/rating"' in html
    assert f'action="/readiness/pages/{page_id}/report"' in html
    assert 'name="csrf_token"' in html and "<script" not in html


def test_rating_a_page_and_changing_ones_mind(client, pages):
    _org, built, _other, learner, *_ = pages
    login_as(client, learner)
    page_id = built.page_ids()[1]
    url = f"/readiness/pages/{page_id}/rating"
    back = f"/modules/{built.module.slug}/pages/2"
    first = client.post(url, data={"csrf_token": token(client), "helpful": "yes", "next": back})
    assert first.status_code == 303 and first.headers["Location"] == back
    client.post(url, data={"csrf_token": token(client), "helpful": "no", "next": back})
    rows = db.session.query(PageRating).filter_by(user_id=learner.id).all()
    assert [(r.page_id, r.is_helpful) for r in rows] == [(page_id, False)]


def test_rating_refuses_missing_csrf_bad_values_and_foreign_redirects(client, pages):
    _org, built, _other, learner, *_ = pages
    login_as(client, learner)
    url = f"/readiness/pages/{built.page_ids()[0]}/rating"
    assert client.post(url, data={"helpful": "yes"}).status_code == 400
    assert (
        client.post(url, data={"csrf_token": token(client), "helpful": "maybe"}).status_code == 400
    )
    response = client.post(
        url, data={"csrf_token": token(client), "helpful": "yes", "next": "//evil.example/x"}
    )
    assert response.headers["Location"] == f"/modules/{built.module.slug}"
    assert client.get(url).status_code == 405


def test_pages_of_unpublished_or_unknown_modules_are_404(client, pages):
    _org, built, *_rest = pages
    learner = pages[3]
    built.module.status = ModuleStatus.DRAFT
    db.session.commit()
    login_as(client, learner)
    for page_id in (built.page_ids()[0], 999999):
        response = client.post(
            f"/readiness/pages/{page_id}/report", data={"csrf_token": token(client), "comment": "x"}
        )
        assert response.status_code == 404


def test_a_report_is_escaped_everywhere_and_its_status_reaches_the_learner(client, pages):
    _org, built, _other, learner, trainer, _outsider = pages
    login_as(client, learner)
    page_id = built.page_ids()[2]
    response = client.post(
        f"/readiness/pages/{page_id}/report",
        data={"csrf_token": token(client), "comment": XSS, "next": "/home"},
    )
    assert response.status_code == 303
    report = db.session.query(ProblemReport).one()
    assert report.comment == XSS and report.status == ReportStatus.RECEIVED
    # The old address of "My reports" leads to "My requests", where reports are listed now.
    assert client.get("/readiness/my-reports").headers["Location"] == "/requests/"
    mine = client.get("/requests/").get_data(as_text=True)
    assert "<script>alert" not in mine and "&lt;script&gt;" in mine and "Received" in mine
    home = client.get("/home").get_data(as_text=True)
    assert "My requests" in home and "Received" in home

    login_as(client, trainer)
    listing = client.get("/readiness/feedback").get_data(as_text=True)
    assert f"/readiness/feedback/modules/{built.module.id}" in listing
    page = client.get(f"/readiness/feedback/modules/{built.module.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    changed = client.post(
        f"/readiness/feedback/reports/{report.id}/status",
        data={"csrf_token": csrf_token_from(page), "status": "in_progress"},
    )
    assert changed.status_code == 303
    db.session.expire_all()
    assert db.session.get(ProblemReport, report.id).status == ReportStatus.IN_PROGRESS
    audit = db.session.query(AuditEvent).filter_by(action="readiness.report_status").one()
    assert audit.actor_id == trainer.id and audit.details["new"] == "in_progress"

    login_as(client, learner)
    assert "In progress" in client.get("/requests/").get_data(as_text=True)


def test_empty_and_too_long_reports_are_refused(client, pages):
    _org, built, _other, learner, *_ = pages
    login_as(client, learner)
    url = f"/readiness/pages/{built.page_ids()[0]}/report"
    for comment in ("   ", "x" * 2001):
        client.post(url, data={"csrf_token": token(client), "comment": comment})
    assert db.session.query(ProblemReport).count() == 0


def test_a_flood_of_reports_is_stopped(client, pages):
    _org, built, _other, learner, *_ = pages
    login_as(client, learner)
    url = f"/readiness/pages/{built.page_ids()[0]}/report"
    for n in range(22):
        client.post(url, data={"csrf_token": token(client), "comment": f"problem {n}"})
    assert db.session.query(ProblemReport).count() == 20


def test_trainers_see_only_their_providers_feedback(client, pages):
    _org, built, other, learner, trainer, outsider = pages
    login_as(client, learner)
    for target in (built, other):
        client.post(
            f"/readiness/pages/{target.page_ids()[0]}/report",
            data={"csrf_token": token(client), "comment": f"about {target.module.slug}"},
        )
    mine = db.session.query(ProblemReport).filter_by(module_id=built.module.id).one()
    login_as(client, outsider)
    listing = client.get("/readiness/feedback").get_data(as_text=True)
    assert "other-provider" in listing and "digital-post" not in listing
    assert client.get(f"/readiness/feedback/modules/{built.module.id}").status_code == 404
    page = client.get(f"/readiness/feedback/modules/{other.module.id}").get_data(as_text=True)
    response = client.post(
        f"/readiness/feedback/reports/{mine.id}/status",
        data={"csrf_token": csrf_token_from(page), "status": "handled"},
    )
    assert response.status_code == 404
    login_as(client, learner)
    assert client.get(f"/readiness/feedback/modules/{built.module.id}").status_code == 403


def test_feedback_exports(client, pages):
    _org, built, _other, learner, trainer, _outsider = pages
    login_as(client, learner)
    client.post(
        f"/readiness/pages/{built.page_ids()[0]}/report",
        data={"csrf_token": token(client), "comment": "=cmd|' /C calc'!A0"},
    )
    login_as(client, trainer)
    page = client.get(f"/readiness/feedback/modules/{built.module.id}").get_data(as_text=True)
    response = client.post(
        f"/readiness/feedback/modules/{built.module.id}/export/reports.csv",
        data={"csrf_token": csrf_token_from(page)},
    )
    text = response.get_data().decode("utf-8-sig")
    assert "'=cmd|" in text
