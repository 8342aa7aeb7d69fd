"""The foundation's API routes: who am I, units and people within the token user's scope."""

from __future__ import annotations

import pytest

from app.people.models import Role
from tests.api.conftest import assert_error, make_token
from tests.factories import make_org, make_user


def test_me_describes_the_tokens_user(app, api):
    org = make_org()
    user = make_user(
        org.branch_a1, Role.MANAGER, Role.TRAINER, provider=org.provider, language="de"
    )
    response = api.get("/api/v1/me", make_token(user))
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["id"] == user.id
    assert data["email"] == user.email
    assert data["name"] == user.display_name
    assert data["language"] == "de"
    assert data["unit"] == {
        "id": org.branch_a1.id,
        "code": "a1",
        "name": "Branch A1",
        "kind": "branch",
    }
    roles = {r["role"]: r for r in data["roles"]}
    assert roles["manager"]["unit"]["id"] == org.branch_a1.id
    assert roles["trainer"]["provider"]["slug"] == "ju-it"
    assert roles["trainer"]["unit"] is None


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [row["code"] for row in response.get_json()["data"]]


def test_units_are_limited_to_the_managers_scope(app, api):
    org = make_org()
    branch_manager = make_user(org.branch_a1, Role.MANAGER)
    region_manager = make_user(org.region_a, Role.MANAGER)
    admin = make_user(org.network, Role.ADMIN)

    branch = api.get("/api/v1/units", make_token(branch_manager))
    assert _codes(branch) == ["a1"]
    assert branch.get_json()["data"][0]["parent_id"] == org.region_a.id
    assert _codes(api.get("/api/v1/units", make_token(region_manager))) == ["ra", "a1", "a2"]
    everything = api.get("/api/v1/units", make_token(admin))
    assert _codes(everything) == ["net", "ra", "a1", "a2", "rb", "b1", "b2"]
    first = everything.get_json()["data"][0]
    assert first == {
        "id": org.network.id,
        "parent_id": None,
        "code": "net",
        "name": "Network",
        "kind": "network",
        "depth": 0,
        "people": 1,
    }


def test_people_are_limited_to_the_managers_scope(app, api):
    org = make_org()
    manager = make_user(org.branch_a1, Role.MANAGER)
    colleague = make_user(org.branch_a1)
    elsewhere = make_user(org.branch_a2)
    far_away = make_user(org.branch_b1)

    response = api.get("/api/v1/people", make_token(manager))
    assert response.status_code == 200
    body = response.get_json()
    ids = {row["id"] for row in body["data"]}
    assert ids == {manager.id, colleague.id}
    assert body["meta"]["total"] == 2
    assert elsewhere.id not in ids and far_away.id not in ids
    row = next(row for row in body["data"] if row["id"] == colleague.id)
    assert row == {
        "id": colleague.id,
        "name": colleague.display_name,
        "email": colleague.email,
        "unit_name": "Branch A1",
        "language": colleague.preferred_language,
        "is_active": True,
        "roles": ["learner"],
    }


def test_people_can_be_searched(app, api):
    org = make_org()
    admin = make_user(org.network, Role.ADMIN)
    target = make_user(org.branch_b2, email="needle@example.org")
    response = api.get("/api/v1/people?q=needle", make_token(admin))
    assert [row["id"] for row in response.get_json()["data"]] == [target.id]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.TRAINER])
@pytest.mark.parametrize("path", ["/api/v1/people", "/api/v1/units"])
def test_learners_and_trainers_tokens_are_forbidden_manager_lists(app, api, role, path):
    org = make_org()
    user = make_user(org.branch_a1, role, provider=org.provider)
    assert_error(api.get(path, make_token(user)), 403, "forbidden")


def test_pages_link_to_their_neighbours(app, api):
    org = make_org()
    manager = make_user(org.branch_a1, Role.MANAGER)
    for _ in range(4):
        make_user(org.branch_a1)
    secret = make_token(manager)

    first = api.get("/api/v1/people?per_page=2&q=example", secret).get_json()
    assert first["meta"] == {"page": 1, "per_page": 2, "total": 5}
    assert len(first["data"]) == 2
    assert first["links"]["prev"] is None
    assert first["links"]["next"].startswith("http://localhost/api/v1/people?")
    assert "page=2" in first["links"]["next"] and "q=example" in first["links"]["next"]
    assert "per_page=2" in first["links"]["next"]

    next_path = first["links"]["next"].removeprefix("http://localhost")
    second = api.get(next_path, secret).get_json()
    assert second["meta"]["page"] == 2
    assert "page=1" in second["links"]["prev"]

    last = api.get("/api/v1/people?per_page=2&page=3", secret).get_json()
    assert len(last["data"]) == 1
    assert last["links"]["next"] is None

    seen = [row["id"] for page in (first, second, last) for row in page["data"]]
    assert len(set(seen)) == 5

    beyond = api.get("/api/v1/people?per_page=2&page=9", secret).get_json()
    assert beyond["data"] == [] and beyond["links"]["next"] is None


def test_units_are_paged_too(app, api):
    org = make_org()
    admin = make_user(org.network, Role.ADMIN)
    body = api.get("/api/v1/units?per_page=3&page=2", make_token(admin)).get_json()
    assert [row["code"] for row in body["data"]] == ["a2", "rb", "b1"]
    assert body["meta"] == {"page": 2, "per_page": 3, "total": 7}


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=", "page"),
        ("page=100001", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("per_page=%EF%BC%95", "per_page"),  # a full-width digit five
        ("per_page=+5", "per_page"),
        ("q=" + "x" * 101, "q"),
    ],
)
def test_absurd_paging_is_refused_naming_the_parameter(app, api, query, parameter):
    org = make_org()
    manager = make_user(org.branch_a1, Role.MANAGER)
    error = assert_error(
        api.get(f"/api/v1/people?{query}", make_token(manager)), 400, "bad_request"
    )
    assert f"“{parameter}”" in error["message"]


def test_the_largest_page_size_is_accepted(app, api):
    org = make_org()
    manager = make_user(org.branch_a1, Role.MANAGER)
    body = api.get("/api/v1/people?per_page=200", make_token(manager)).get_json()
    assert body["meta"]["per_page"] == 200
