"""GET /api/v1/xapi/statements and /api/v1/completions: xAPI shape, filters, paging, scope."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest

from app.people.models import Role
from app.tracking.statements import Verb
from tests.api.conftest import assert_error, make_token
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0, make_module, read_pages, take_quiz


@pytest.fixture
def world(app):
    """Anne (branch A1), Ben (branch B1), their managers and an admin, with some learning."""
    org = make_org()
    people = {
        "anne": make_user(org.branch_a1, Role.LEARNER, email="anne@example.org"),
        "ben": make_user(org.branch_b1, Role.LEARNER, email="ben@example.org"),
        "manager_a": make_user(org.region_a, Role.MANAGER, Role.LEARNER),
        "manager_b": make_user(org.branch_b1, Role.MANAGER),
        "admin": make_user(org.network, Role.ADMIN),
    }
    built = make_module(org.provider, slug="eid", languages={"fr": 2}, with_quiz=True)
    read_pages(people["anne"], built.page_ids())
    take_quiz(people["anne"], built.quiz, correct=True, now=T0 + timedelta(hours=1))
    read_pages(people["ben"], built.page_ids()[:1], now=T0 + timedelta(hours=2))
    read_pages(people["manager_a"], built.page_ids(), now=T0 + timedelta(hours=3))
    take_quiz(people["manager_a"], built.quiz, correct=True, now=T0 + timedelta(hours=4))
    people["built"] = built
    return people


def statements(client, who, query: str = "") -> dict:
    response = client.get(
        f"/api/v1/xapi/statements{query}",
        headers={"Authorization": f"Bearer {make_token(who)}"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    return response.get_json()


def actors(body: dict) -> set[str]:
    return {s["actor"]["mbox"] for s in body["statements"]}


def test_statements_are_xapi_and_valid(world, client, ralph_models):
    body = statements(client, world["admin"], "?per_page=200")
    assert set(body) == {"statements", "more"} and body["more"] == ""
    for statement in body["statements"]:
        ralph_models.statement(statement)
        assert "stored" in statement
    stored = [s["stored"] for s in body["statements"]]
    assert stored == sorted(stored, reverse=True)


def test_a_learners_token_sees_only_their_own(world, client):
    body = statements(client, world["anne"], "?per_page=200")
    assert actors(body) == {"mailto:anne@example.org"}
    # Asking for someone else gives nothing rather than their record.
    other = statements(client, world["anne"], "?agent=mailto:ben@example.org")
    assert other["statements"] == []


def test_a_managers_token_sees_their_scope_and_themselves(world, client):
    manager_a = statements(client, world["manager_a"], "?per_page=200")
    assert actors(manager_a) == {"mailto:anne@example.org", f"mailto:{world['manager_a'].email}"}
    manager_b = statements(client, world["manager_b"], "?per_page=200")
    assert actors(manager_b) == {"mailto:ben@example.org"}
    admin = statements(client, world["admin"], "?per_page=200")
    assert len(actors(admin)) == 3


def test_filters_verb_activity_agent_since(world, client):
    admin = world["admin"]
    passed = statements(client, admin, "?verb=" + quote(Verb.PASSED.iri, safe=""))
    assert [s["verb"]["id"] for s in passed["statements"]] == [Verb.PASSED.iri] * 2
    page_iri = "https://readiness.invalid/xapi/modules/eid/versions/1/pages/0"
    by_activity = statements(client, admin, "?activity=" + quote(page_iri, safe=""))
    assert {s["object"]["id"] for s in by_activity["statements"]} == {page_iri}
    assert len(by_activity["statements"]) == 3
    agent = quote(json.dumps({"mbox": "mailto:ben@example.org"}))
    assert actors(statements(client, admin, f"?agent={agent}")) == {"mailto:ben@example.org"}
    everything = statements(client, admin, "?per_page=200")["statements"]
    newest = everything[0]["stored"]
    assert statements(client, admin, "?since=" + quote(newest))["statements"] == []


def test_paging_pins_until_so_pages_do_not_shift(world, client):
    admin = world["admin"]
    first = statements(client, admin, "?per_page=3")
    assert len(first["statements"]) == 3 and "until=" in first["more"] and "page=2" in first["more"]
    path = first["more"].split("localhost", 1)[1]
    second = statements(client, admin, path[len("/api/v1/xapi/statements") :])
    ids = {s["id"] for s in first["statements"]} & {s["id"] for s in second["statements"]}
    assert ids == set()


def test_a_page_that_ends_exactly_at_the_last_statement_has_no_more(world, client):
    admin = world["admin"]
    count = len(statements(client, admin, "?per_page=200")["statements"])
    exact = statements(client, admin, f"?per_page={count}")
    assert len(exact["statements"]) == count and exact["more"] == ""
    one_short = statements(client, admin, f"?per_page={count - 1}")
    assert len(one_short["statements"]) == count - 1 and "page=2" in one_short["more"]


@pytest.mark.parametrize(
    "query",
    [
        "?verb=http://example.org/verbs/liked",
        "?agent=nobody",
        "?agent={bad",
        "?since=yesterday",
        "?per_page=0",
        "?ascending=maybe",
    ],
)
def test_bad_filters_are_400(world, client, query):
    response = client.get(
        f"/api/v1/xapi/statements{query}",
        headers={"Authorization": f"Bearer {make_token(world['admin'])}"},
    )
    assert_error(response, 400, "bad_request")


def test_statements_need_a_token(app, client):
    assert_error(client.get("/api/v1/xapi/statements"), 401, "unauthenticated")
    assert_error(client.get("/api/v1/completions"), 401, "unauthenticated")


def completions(client, who, query: str = "") -> dict:
    response = client.get(
        f"/api/v1/completions{query}", headers={"Authorization": f"Bearer {make_token(who)}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_completions_are_paged_and_scoped(world, client):
    admin = completions(client, world["admin"])
    assert admin["meta"]["total"] == 2
    row = next(r for r in admin["data"] if r["user"]["email"] == "anne@example.org")
    assert row["module"]["slug"] == "eid" and row["score_percent"] == 100.0
    assert row["status"] == "valid" and row["is_current"] and row["version"] == 1
    assert completions(client, world["anne"])["meta"]["total"] == 1
    assert completions(client, world["ben"])["meta"]["total"] == 0
    assert completions(client, world["manager_b"])["meta"]["total"] == 0
    assert completions(client, world["manager_a"])["meta"]["total"] == 2
    assert completions(client, world["admin"], "?module=other")["meta"]["total"] == 0
    one = completions(client, world["admin"], "?per_page=1")
    assert len(one["data"]) == 1 and one["links"]["next"]


def test_both_routes_are_in_the_openapi_document(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/xapi/statements" in spec["paths"]
    assert "/api/v1/completions" in spec["paths"]
    assert {"XapiStatementResult", "Completion"} <= set(spec["components"]["schemas"])
