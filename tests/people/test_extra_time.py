"""Extra time on timed quizzes: who may set it, validation, and the audit row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import Role, User
from app.platform.audit import AuditEvent
from tests.conftest import csrf_token_from, get_csrf, login_as
from tests.factories import make_org, make_user


@pytest.fixture
def world(app):
    org = make_org()
    return {
        "org": org,
        "learner": make_user(org.branch_a1),
        "manager_a1": make_user(org.branch_a1, Role.MANAGER),
        "manager_b1": make_user(org.branch_b1, Role.MANAGER),
        "admin": make_user(org.network, Role.ADMIN),
    }


def post_extra_time(client, person_id, value, token):
    return client.post(
        f"/people/{person_id}/extra-time",
        data={"extra_time_percent": value, "csrf_token": token},
    )


def extra_time_of(user_id: int) -> int:
    db.session.expire_all()
    return db.session.get(User, user_id).extra_time_percent


def audit_rows() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.extra_time_changed"))
    )


def test_new_people_have_no_extra_time(world):
    assert world["learner"].extra_time_percent == 0


def test_a_manager_in_scope_sets_extra_time_and_it_is_audited(app, world):
    learner, manager = world["learner"], world["manager_a1"]
    client = app.test_client()
    login_as(client, manager)
    page = client.get(f"/people/{learner.id}").get_data(as_text=True)
    assert "Extra time for timed quizzes (%)" in page
    response = post_extra_time(client, learner.id, "50", csrf_token_from(page))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/people/{learner.id}")
    assert extra_time_of(learner.id) == 50
    [event] = audit_rows()
    assert event.actor_id == manager.id
    assert (event.object_type, event.object_id) == ("user", learner.id)
    assert event.details == {"previous": 0, "percent": 50}
    followed = client.get(f"/people/{learner.id}").get_data(as_text=True)
    assert 'value="50"' in followed


def test_an_admin_sets_extra_time(app, world):
    client = app.test_client()
    login_as(client, world["admin"])
    token = get_csrf(client, f"/people/{world['learner'].id}")
    assert post_extra_time(client, world["learner"].id, "300", token).status_code == 303
    assert extra_time_of(world["learner"].id) == 300


def test_a_manager_out_of_scope_gets_404(app, world):
    client = app.test_client()
    login_as(client, world["manager_b1"])
    token = get_csrf(client, "/people")
    response = post_extra_time(client, world["learner"].id, "50", token)
    assert response.status_code == 404
    assert extra_time_of(world["learner"].id) == 0
    assert audit_rows() == []


def test_a_learner_gets_403(app, world):
    client = app.test_client()
    login_as(client, world["learner"])
    token = get_csrf(client, "/profile")
    response = post_extra_time(client, world["learner"].id, "50", token)
    assert response.status_code == 403
    assert extra_time_of(world["learner"].id) == 0


@pytest.mark.parametrize("value", ["301", "-1", "abc", ""])
def test_values_outside_0_to_300_get_400_with_the_field_message(app, world, value):
    learner = world["learner"]
    client = app.test_client()
    login_as(client, world["manager_a1"])
    token = get_csrf(client, f"/people/{learner.id}")
    response = post_extra_time(client, learner.id, value, token)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    if value != "abc":
        assert "Enter a whole number from 0 to 300." in page
    assert 'aria-invalid="true"' in page
    assert extra_time_of(learner.id) == 0
    assert audit_rows() == []


def test_without_csrf_token_nothing_changes(app, world):
    client = app.test_client()
    login_as(client, world["manager_a1"])
    response = client.post(
        f"/people/{world['learner'].id}/extra-time", data={"extra_time_percent": "50"}
    )
    assert response.status_code == 400
    assert extra_time_of(world["learner"].id) == 0


@pytest.mark.parametrize("who", ["manager_a1", "admin"])
def test_nobody_sets_their_own_extra_time(app, world, who):
    me = world[who]
    client = app.test_client()
    login_as(client, me)
    page = client.get(f"/people/{me.id}")
    assert "Extra time for timed quizzes" not in page.get_data(as_text=True)
    token = get_csrf(client, "/people")
    assert post_extra_time(client, me.id, "100", token).status_code == 404
    assert extra_time_of(me.id) == 0
    assert audit_rows() == []


def test_the_people_list_does_not_show_extra_time(app, world):
    client = app.test_client()
    login_as(client, world["manager_a1"])
    token = get_csrf(client, f"/people/{world['learner'].id}")
    post_extra_time(client, world["learner"].id, "75", token)
    assert "75 %" in client.get(f"/people/{world['learner'].id}").get_data(as_text=True)
    listing = client.get("/people").get_data(as_text=True)
    assert "75 %" not in listing and "Extra time" not in listing
