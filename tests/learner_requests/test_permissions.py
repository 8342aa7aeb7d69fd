"""Who sees which request: role × route × object, allowed and denied (another's is a 404)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.content.models import ModuleStatus
from app.extensions import db
from app.learner_requests import asking
from app.learner_requests.access import may_handle_request, may_view_request
from app.learner_requests.models import ProblemReport, RequestEvent
from app.permissions import may
from tests.conftest import get_csrf, login_as

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def requests(world):
    """A question about Jura IT's module, and a general one (no module, no provider)."""
    routed = asking.ask_question(
        db.session,
        user=world.learner,
        module=world.module.module,
        subject="Routed",
        text="About digital post",
        now=T0,
    )
    unrouted = asking.ask_question(
        db.session, user=world.learner, module=None, subject="Unrouted", text="General", now=T0
    )
    db.session.commit()
    return routed, unrouted


# (person, request, status of the requester page, status of the trainer page)
MATRIX = [
    ("learner", "routed", 200, 403),
    ("other_learner", "routed", 404, 403),
    ("manager", "routed", 404, 403),
    ("trainer", "routed", 404, 200),
    ("outsider", "routed", 404, 404),
    ("admin", "routed", 404, 200),
    ("other_learner", "unrouted", 404, 403),
    ("trainer", "unrouted", 404, 200),
    ("outsider", "unrouted", 404, 200),
]


@pytest.mark.parametrize(("who", "which", "as_requester", "as_trainer"), MATRIX)
def test_pages_of_a_request(client, world, requests, who, which, as_requester, as_trainer):
    request = requests[0] if which == "routed" else requests[1]
    login_as(client, getattr(world, who))
    assert client.get(f"/requests/{request.id}").status_code == as_requester
    assert client.get(f"/requests/inbox/{request.id}").status_code == as_trainer


@pytest.mark.parametrize("who", ["other_learner", "trainer", "admin"])
def test_nobody_but_the_requester_adds_a_follow_up(client, world, requests, who):
    routed, _unrouted = requests
    login_as(client, getattr(world, who))
    token = get_csrf(client, "/requests/")
    response = client.post(
        f"/requests/{routed.id}/follow-up", data={"csrf_token": token, "text": "Me too"}
    )
    assert response.status_code == 404
    assert len(db.session.scalars(select(RequestEvent)).all()) == 2  # the two "received"


@pytest.mark.parametrize(("who", "status"), [("outsider", 404), ("learner", 403), ("manager", 403)])
def test_only_the_providers_trainers_answer(client, world, requests, who, status):
    routed, _unrouted = requests
    login_as(client, getattr(world, who))
    token = get_csrf(client, "/requests/")
    response = client.post(
        f"/requests/inbox/{routed.id}/respond",
        data={"csrf_token": token, "answer": "Forged", "status": "handled"},
    )
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(ProblemReport, routed.id).status.value == "received"
    assert len(db.session.scalars(select(RequestEvent)).all()) == 2


def test_the_inbox_lists_only_what_the_trainer_handles(client, world, requests):
    routed, unrouted = requests
    login_as(client, world.outsider)
    page = client.get("/requests/inbox").get_data(as_text=True)
    assert f"/requests/inbox/{unrouted.id}" in page and f"/requests/inbox/{routed.id}" not in page
    login_as(client, world.learner)
    assert client.get("/requests/inbox").status_code == 403
    page = client.get("/requests/").get_data(as_text=True)
    assert "Routed" in page and "Unrouted" in page
    login_as(client, world.other_learner)
    page = client.get("/requests/").get_data(as_text=True)
    assert "Routed" not in page


def test_the_rules_answer_the_same_as_the_pages(world, requests):
    routed, unrouted = requests
    assert may(world.learner, "requests.view", routed)
    assert not may(world.other_learner, "requests.view", routed)
    assert may_view_request(world.learner, unrouted)
    assert may_handle_request(world.trainer, routed) and may_handle_request(world.admin, routed)
    assert not may_handle_request(world.outsider, routed)
    assert may_handle_request(world.outsider, unrouted)
    assert not may_handle_request(world.manager, unrouted)
    assert not may_handle_request(world.learner, unrouted)


def test_signed_out_people_are_sent_to_sign_in(client, requests):
    routed, _unrouted = requests
    for path in ("/requests/", f"/requests/{routed.id}", "/requests/ask", "/requests/inbox"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_no_question_about_a_module_learners_cannot_read(client, world):
    world.module.module.status = ModuleStatus.DRAFT
    db.session.commit()
    login_as(client, world.learner)
    token = get_csrf(client, "/requests/ask")
    response = client.post(
        "/requests/ask",
        data={"csrf_token": token, "module": "digital-post", "subject": "S", "text": "T"},
    )
    assert response.status_code == 400
    assert db.session.scalar(select(ProblemReport.id)) is None
