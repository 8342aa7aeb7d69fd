"""Who sees what: managers only their units, records only for their owner and managers in scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.attestations.queries import PersonState, people_in_scope
from app.extensions import db
from app.people.models import Role
from app.tracking.certificates import format_code
from app.tracking.models import Certificate
from tests.attestations.helpers import make_attestation, read_and_confirm
from tests.conftest import login_as
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def scene(org):
    """Anne (A1) confirmed, Bert (A1) did not, Chloé (B1) did not; a manager of A1 and of B."""
    built = make_attestation(org.provider, slug="home-office")
    anne = make_user(org.branch_a1, Role.LEARNER)
    bert = make_user(org.branch_a1, Role.LEARNER)
    chloe = make_user(org.branch_b1, Role.LEARNER)
    read_and_confirm(anne, built)
    return {
        "built": built,
        "anne": anne,
        "bert": bert,
        "chloe": chloe,
        "manager_a1": make_user(org.branch_a1, Role.MANAGER),
        "manager_b": make_user(org.region_b, Role.MANAGER),
        "admin": make_user(org.network, Role.ADMIN),
        "code": format_code(db.session.scalar(select(Certificate.code))),
    }


def test_people_in_scope_are_only_the_managers_units(scene):
    rows = people_in_scope(db.session, scene["manager_a1"], scene["built"].module, now=T0)
    assert [(row.user_id, row.state) for row in rows] == [
        (scene["bert"].id, PersonState.NOT_CONFIRMED),
        (scene["anne"].id, PersonState.CONFIRMED),
    ]
    rows = people_in_scope(db.session, scene["manager_b"], scene["built"].module, now=T0)
    assert [row.user_id for row in rows] == [scene["chloe"].id]
    everyone = people_in_scope(db.session, scene["admin"], scene["built"].module, now=T0)
    assert {row.user_id for row in everyone} >= {
        scene["anne"].id,
        scene["bert"].id,
        scene["chloe"].id,
    }


def test_the_manager_page_lists_only_their_people(client, scene):
    login_as(client, scene["manager_a1"])
    html = client.get("/attestations/home-office/people").get_data(as_text=True)
    assert scene["bert"].display_name in html and scene["anne"].display_name in html
    assert scene["chloe"].display_name not in html
    assert "1 person in your units has not confirmed the current version." in html
    overview = client.get("/attestations/").get_data(as_text=True)
    assert "/attestations/home-office/people" in overview


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("anne", "/attestations/", 403),
        ("anne", "/attestations/home-office/people", 403),
        ("manager_a1", "/attestations/no-such-thing/people", 404),
        ("anne", "record", 200),
        ("bert", "record", 404),
        ("chloe", "record", 404),
        ("manager_a1", "record", 200),
        ("manager_b", "record", 404),
        ("admin", "record", 200),
    ],
)
def test_access(client, scene, who, path, status):
    login_as(client, scene[who])
    if path == "record":
        path = f"/attestations/records/{scene['code']}"
    assert client.get(path).status_code == status


def test_signed_out_visitors_reach_only_the_public_check(client, scene):
    record = client.get(f"/attestations/records/{scene['code']}")
    assert record.status_code == 302 and "/login" in record.headers["Location"]
    assert client.get("/attestations/").status_code == 302
    assert client.get(f"/attestations/verify/{scene['code']}").status_code == 200
    response = client.post("/attestations/home-office/confirm", data={})
    assert response.status_code in (302, 400)
