"""The administration pages in the browser's shoes: allowed, refused (and logged), audited."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import Provider, Role, RoleAssignment, Unit, User
from app.platform.audit import AuditEvent
from tests.conftest import get_csrf, login_as
from tests.factories import make_org, make_user


@pytest.fixture
def world(app):
    org = make_org()
    people = {
        "learner_a1": make_user(org.branch_a1, Role.LEARNER),
        "manager_a1": make_user(org.branch_a1, Role.MANAGER),
        "manager_ra_at_a1": make_user(org.branch_a1, Role.MANAGER, scope_unit=org.region_a),
        "manager_ra": make_user(org.region_a, Role.MANAGER),
        "trainer": make_user(org.branch_a2, Role.TRAINER, provider=org.provider),
        "admin": make_user(org.network, Role.ADMIN),
    }
    return org, people


def client_for(app, user):
    client = app.test_client()
    login_as(client, user)
    return client


def post(client, url, data=None, form_page="/admin/"):
    """POST with a CSRF token taken from a page the user may open."""
    token = get_csrf(client, form_page)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def fresh(model, obj_id):
    db.session.expire_all()
    return db.session.get(model, obj_id)


# --- the table: actor x action x target ---------------------------------------------------

CASES = [
    # actor, method, url template, target, expected status
    ("manager_a1", "post", "/admin/people/{id}/deactivate", "manager_ra_at_a1", 403),
    ("manager_a1", "get", "/admin/people/{id}/edit", "manager_ra_at_a1", 403),
    ("manager_a1", "post", "/admin/people/{id}/deactivate", "learner_a1", 303),
    ("manager_a1", "get", "/admin/people/{id}/edit", "learner_a1", 200),
    ("manager_ra", "post", "/admin/people/{id}/deactivate", "trainer", 403),
    ("manager_ra", "post", "/admin/people/{id}/deactivate", "manager_ra_at_a1", 303),
    ("manager_ra", "get", "/admin/people/{id}/edit", "admin", 404),  # outside their units
    ("manager_a1", "post", "/admin/people/{id}/roles/grant", "manager_a1", 403),
    ("trainer", "get", "/admin/people/{id}/edit", "learner_a1", 403),
    ("trainer", "get", "/admin/people", None, 403),
    ("learner_a1", "get", "/admin/", None, 403),
    ("manager_a1", "get", "/admin/units", None, 403),
    ("manager_a1", "get", "/admin/providers", None, 403),
    ("manager_a1", "get", "/admin/audit", None, 403),
    ("admin", "post", "/admin/people/{id}/deactivate", "admin", 403),  # not oneself
    ("admin", "post", "/admin/people/{id}/deactivate", "trainer", 303),
    ("admin", "get", "/admin/audit", None, 200),
    ("manager_ra", "post", "/admin/units/add", None, 403),
    ("manager_ra", "post", "/admin/units/{unit}/rename", None, 403),
    ("manager_ra", "post", "/admin/units/{unit}/move", None, 403),
    ("manager_ra", "post", "/admin/units/{unit}/close", None, 403),
    ("manager_ra", "post", "/admin/providers/add", None, 403),
    ("manager_ra", "get", "/admin/audit.csv", None, 403),
    ("manager_ra", "post", "/admin/people/{id}/reactivate", "admin", 404),
    ("manager_a1", "post", "/admin/people/{id}/reactivate", "manager_ra_at_a1", 403),
    ("manager_a1", "post", "/admin/people/{id}/reactivate", "learner_a1", 303),
    ("trainer", "post", "/admin/people/{id}/roles/grant", "learner_a1", 403),
]


@pytest.mark.parametrize(("actor", "method", "url", "target", "status"), CASES)
def test_admin_actions_by_actor_and_target(app, world, actor, method, url, target, status):
    org, people = world
    client = client_for(app, people[actor])
    path = url.format(id=people[target].id if target else 0, unit=org.branch_a2.id)
    if method == "get":
        response = client.get(path)
    else:
        form_page = "/profile" if actor in ("trainer", "learner_a1") else "/admin/"
        response = post(client, path, {"role": "admin"}, form_page=form_page)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if status in (403, 404) and url.startswith("/admin/people"):
        refused = audit("access.refused") + audit("access.denied")
        assert refused and refused[-1].actor_id == people[actor].id
    if target and status == 403 and "deactivate" in url:
        assert fresh(User, people[target].id).is_active


def test_refusal_page_says_why(app, world):
    _org, people = world
    client = client_for(app, people["manager_a1"])
    response = post(client, f"/admin/people/{people['manager_ra_at_a1'].id}/deactivate")
    text = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "reach beyond your own scope" in text
    (event,) = audit("access.refused")
    assert event.object_id == people["manager_ra_at_a1"].id
    assert "beyond" in event.details["reason"]


def test_a_manager_granting_themselves_admin_is_refused_and_logged(app, world):
    _org, people = world
    me = people["manager_a1"]
    client = client_for(app, me)
    response = post(client, f"/admin/people/{me.id}/roles/grant", {"role": "admin"})
    assert response.status_code == 403
    assert "own account" in response.get_data(as_text=True)
    assert not fresh(User, me.id).has_role(Role.ADMIN)
    assert audit("access.refused")[-1].actor_id == me.id


def test_managers_grant_manager_roles_in_scope_but_never_trainer_or_admin(app, world):
    org, people = world
    learner = people["learner_a1"]
    client = client_for(app, people["manager_a1"])
    url = f"/admin/people/{learner.id}/roles/grant"
    assert post(client, url, {"role": "admin"}).status_code == 403
    assert post(client, url, {"role": "trainer", "provider": org.provider.id}).status_code == 403
    assert post(client, url, {"role": "manager", "unit": org.region_a.id}).status_code == 403
    assert post(client, url, {"role": "manager", "unit": org.branch_a1.id}).status_code == 303
    roles = {(a.role, a.unit_id) for a in fresh(User, learner.id).roles}
    assert roles == {(Role.LEARNER, None), (Role.MANAGER, org.branch_a1.id)}
    granted = [e for e in audit("role.granted") if e.details.get("role") == "manager"]
    assert granted[-1].actor_id == people["manager_a1"].id
    assert granted[-1].details["after"]["unit"] == "a1"


def test_revoke_a_role_and_the_page_hides_what_one_cannot_revoke(app, world):
    org, people = world
    target = people["manager_ra_at_a1"]
    branch_boss = client_for(app, people["manager_a1"])
    page = branch_boss.get(f"/admin/people/{target.id}/roles").get_data(as_text=True)
    assert "/revoke" not in page
    (assignment,) = [a for a in target.roles if a.role == Role.MANAGER]
    assert post(branch_boss, f"/admin/roles/{assignment.id}/revoke").status_code == 403
    admin = client_for(app, people["admin"])
    assert post(admin, f"/admin/roles/{assignment.id}/revoke").status_code == 303
    assert fresh(RoleAssignment, assignment.id) is None
    assert audit("role.revoked")[-1].details["before"]["unit"] == "ra"


def test_admin_grants_a_trainer_role(app, world):
    org, people = world
    client = client_for(app, people["admin"])
    learner = people["learner_a1"]
    response = post(
        client,
        f"/admin/people/{learner.id}/roles/grant",
        {"role": "trainer", "provider": org.other_provider.id},
    )
    assert response.status_code == 303
    assert fresh(User, learner.id).has_role(Role.TRAINER)


def test_manager_creates_edits_and_moves_a_person_within_scope(app, world):
    org, people = world
    client = client_for(app, people["manager_ra"])
    response = post(
        client,
        "/admin/people/new",
        {
            "first_name": "Lea",
            "last_name": "Rossi",
            "email": "Lea.Rossi@example.org",
            "preferred_language": "it",
            "hr_number": "HR-77",
            "unit": org.branch_a2.id,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    person = db.session.scalar(select(User).where(User.email == "lea.rossi@example.org"))
    assert person.unit_id == org.branch_a2.id and person.role_set == {Role.LEARNER}
    # Outside the region: refused, logged, nothing created.
    response = post(
        client,
        "/admin/people/new",
        {
            "first_name": "Out",
            "last_name": "Side",
            "email": "out@example.org",
            "unit": org.branch_b1.id,
        },
    )
    assert response.status_code == 403
    assert db.session.scalar(select(User).where(User.email == "out@example.org")) is None
    # Edit and move to the other branch of the region.
    response = post(
        client,
        f"/admin/people/{person.id}/edit",
        {
            "first_name": "Léa",
            "last_name": "Rossi",
            "email": "lea.rossi@example.org",
            "preferred_language": "fr",
            "hr_number": "HR-77",
            "unit": org.branch_a1.id,
        },
    )
    assert response.status_code == 303
    person = fresh(User, person.id)
    assert (person.first_name, person.preferred_language, person.unit_id) == (
        "Léa",
        "fr",
        org.branch_a1.id,
    )
    event = audit("user.updated")[-1]
    assert event.actor_id == people["manager_ra"].id
    assert event.details["before"] == {
        "first_name": "Lea",
        "preferred_language": "it",
        "unit": "a2",
    }
    assert event.details["after"] == {"first_name": "Léa", "preferred_language": "fr", "unit": "a1"}


def test_errors_are_shown_next_to_the_field(app, world):
    org, people = world
    client = client_for(app, people["admin"])
    response = post(
        client,
        "/admin/people/new",
        {
            "first_name": "Dup",
            "last_name": "Licate",
            "email": people["learner_a1"].email,
            "unit": org.branch_a1.id,
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html and "already used by another person" in html
    assert 'aria-invalid="true"' in html


def test_deactivation_asks_for_confirmation_first(app, world):
    _org, people = world
    learner = people["learner_a1"]
    client = client_for(app, people["manager_a1"])
    page = client.get(f"/admin/people/{learner.id}/deactivate")
    assert page.status_code == 200
    assert "Yes, deactivate" in page.get_data(as_text=True)
    assert fresh(User, learner.id).is_active
    assert post(client, f"/admin/people/{learner.id}/deactivate").status_code == 303
    assert not fresh(User, learner.id).is_active
    assert post(client, f"/admin/people/{learner.id}/reactivate").status_code == 303
    assert fresh(User, learner.id).is_active
    assert [e.action for e in audit("user.deactivated")] == ["user.deactivated"]


def test_admin_builds_the_tree_and_closes_a_branch(app, world):
    org, people = world
    client = client_for(app, people["admin"])
    response = post(
        client,
        "/admin/units/add",
        {"code": "a3", "name": "Branch A3", "kind": "branch", "parent": org.region_a.id},
    )
    assert response.status_code == 303
    a3 = db.session.scalar(select(Unit).where(Unit.code == "a3"))
    assert a3.path == f"{org.region_a.path}{a3.id}/"
    assert post(client, f"/admin/units/{a3.id}/rename", {"name": "Courgenay"}).status_code == 303
    response = post(client, f"/admin/units/{a3.id}/move", {"parent": org.region_b.id})
    assert response.status_code == 303
    a3 = fresh(Unit, a3.id)
    assert a3.path == f"{org.region_b.path}{a3.id}/" and a3.name == "Courgenay"
    # A branch with active people cannot be closed; the page says why.
    response = post(client, f"/admin/units/{org.branch_a1.id}/close")
    assert response.status_code == 400
    assert "active people" in response.get_data(as_text=True)
    assert client.get(f"/admin/units/{a3.id}/close").status_code == 200
    assert fresh(Unit, a3.id).closed_at is None  # the GET only asks
    assert post(client, f"/admin/units/{a3.id}/close").status_code == 303
    assert fresh(Unit, a3.id).closed_at is not None
    # Closed units are no longer offered in the people form.
    page = client.get("/admin/people/new").get_data(as_text=True)
    assert f'<option value="{a3.id}"' not in page and "Branch A2" in page
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "unit", AuditEvent.object_id == a3.id)
            .order_by(AuditEvent.id)
        )
    ]
    assert actions == ["unit.created", "unit.renamed", "unit.moved", "unit.closed"]


def test_unit_form_errors_name_the_field(app, world):
    org, people = world
    client = client_for(app, people["admin"])
    response = post(
        client,
        "/admin/units/add",
        {"code": "a1", "name": "Dup", "kind": "branch", "parent": org.region_a.id},
    )
    assert response.status_code == 400
    assert 'id="code-error"' in response.get_data(as_text=True)


def test_admin_adds_and_renames_providers(app, world):
    _org, people = world
    client = client_for(app, people["admin"])
    assert (
        post(client, "/admin/providers/add", {"slug": "vd-it", "name": "Vaud"}).status_code == 303
    )
    provider = db.session.scalar(select(Provider).where(Provider.slug == "vd-it"))
    response = post(
        client, f"/admin/providers/{provider.id}/rename", {f"p{provider.id}-name": "DGNSI"}
    )
    assert response.status_code == 303
    assert fresh(Provider, provider.id).name == "DGNSI"
    response = post(client, "/admin/providers/add", {"slug": "Bad Slug", "name": "X"})
    assert response.status_code == 400


def test_audit_page_filters_and_exports_formula_safe_csv(app, world):
    _org, people = world
    admin = people["admin"]
    client = client_for(app, admin)
    learner = people["learner_a1"]
    post(
        client,
        f"/admin/people/{learner.id}/edit",
        {
            "first_name": '=HYPERLINK("http://x")',
            "last_name": learner.last_name,
            "email": learner.email,
            "preferred_language": "en",
            "unit": learner.unit_id,
        },
    )
    page = client.get("/admin/audit?action=user.updated&actor=" + admin.email)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "user.updated" in html and "role.granted</td>" not in html
    response = client.get(f"/admin/audit.csv?action=user.updated&object_id={learner.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["id", "occurred_at", "action"]
    assert len(rows) == 2 and rows[1][2] == "user.updated"
    assert rows[1][4] == admin.email
    assert "HYPERLINK" in rows[1][9] and not rows[1][9].startswith("=")
    assert audit("audit.exported")[-1].actor_id == admin.id
    # A bad date is answered 400, not a crash.
    assert client.get("/admin/audit?since=not-a-date").status_code == 400


def test_audit_dates_filter_whole_days(app, world):
    _org, people = world
    client = client_for(app, people["admin"])
    html = client.get("/admin/audit?since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert "No events match." in html


def test_object_refusals_elsewhere_are_logged_too(app, world):
    org, people = world
    outsider = make_user(org.branch_b1, Role.LEARNER)
    client = client_for(app, people["manager_a1"])
    assert client.get(f"/people/{outsider.id}").status_code == 404
    assert client.get("/people/999999").status_code == 404  # missing: nothing to log
    (event,) = audit("access.refused")
    assert (event.actor_id, event.object_type, event.object_id) == (
        people["manager_a1"].id,
        "user",
        outsider.id,
    )
    assert event.details["permission"] == "view_person"


def test_people_list_searches_and_pages(app, world):
    org, people = world
    for n in range(51):
        make_user(org.branch_a2, Role.LEARNER).last_name = f"Paged{n:02d}"
    db.session.commit()
    client = client_for(app, people["manager_ra"])
    first = client.get("/admin/people?q=Paged").get_data(as_text=True)
    assert "51 people" in first and 'rel="next"' in first
    second = client.get("/admin/people?q=Paged&page=2").get_data(as_text=True)
    assert second.count("Paged") >= 1 and 'rel="prev"' in second
    assert "Paged50" in second and "Paged50" not in first
    assert (
        "Paged"
        not in client_for(app, people["manager_a1"])
        .get("/admin/people?q=Paged")
        .get_data(as_text=True)
        .split("<tbody>")[1]
    )


def test_audit_log_is_newest_first_and_paged(app, world):
    from datetime import UTC, datetime, timedelta

    from app.platform.audit import record_event

    _org, people = world
    start = datetime(2030, 1, 1, tzinfo=UTC)
    for n in range(55):
        record_event(db.session, f"test.event{n:02d}", now=start + timedelta(minutes=n))
    db.session.commit()
    client = client_for(app, people["admin"])
    html = client.get("/admin/audit?action=test.").get_data(as_text=True)
    assert "55 events" in html
    table = html.split("<tbody>")[1]
    assert table.index("test.event54") < table.index("test.event53")
    assert "test.event04" not in table  # on page 2
    second = client.get("/admin/audit?action=test.&page=2").get_data(as_text=True)
    assert "test.event04" in second.split("<tbody>")[1]
