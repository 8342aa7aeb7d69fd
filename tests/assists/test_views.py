"""The counter, managers' and trainers' pages: CSRF, scope, bad input, export and the API."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.assists import operations
from app.assists.models import CounterAssist
from app.extensions import db
from app.people.models import Role
from app.platform.audit import AuditEvent
from app.tracking.models import Statement
from app.tracking.statements import Verb
from tests.api.conftest import make_token
from tests.assists.helpers import NOW, log, make_tagged_module
from tests.conftest import csrf_token_from, get_csrf, login_as
from tests.factories import make_org, make_user
from tests.readiness.helpers import assign, complete, make_campaign

BASE = "https://readiness.invalid"


@pytest.fixture
def app_config(app_config):
    # Campaign builders live in February 2027; the pages read the app's clock.
    app_config["CLOCK_OFFSET"] = NOW - datetime.now(UTC)
    return app_config


@pytest.fixture
def world(app):
    org = make_org()
    tax = make_tagged_module(org.provider, {"fr": ["impots", "declaration"]}, slug="tax")
    campaign = make_campaign(org.network, [tax])
    helper = make_user(org.branch_a1, Role.LEARNER, language="en")
    colleague = make_user(org.branch_a1, Role.LEARNER, language="en")
    far_away = make_user(org.branch_b1, Role.LEARNER, language="en")
    for person in (helper, colleague, far_away):
        assign(campaign, person)
    complete(helper, tax)
    manager_a = make_user(org.region_a, Role.MANAGER, language="fr")
    trainer = make_user(None, Role.TRAINER, provider=org.provider)
    return {
        "org": org,
        "campaign": campaign,
        "helper": helper,
        "colleague": colleague,
        "far_away": far_away,
        "manager_a": manager_a,
        "trainer": trainer,
    }


def assists() -> int:
    return db.session.scalar(select(func.count(CounterAssist.id))) or 0


def counter_form(client) -> dict[str, str]:
    html = client.get("/assists/counter").get_data(as_text=True)
    key = html.split('name="submit_key" value="', 1)[1].split('"', 1)[0]
    return {"csrf_token": csrf_token_from(html), "submit_key": key}


def test_the_counter_shows_my_topics_as_tiles_and_three_outcomes(world, client):
    login_as(client, world["helper"])
    html = client.get("/assists/counter").get_data(as_text=True)
    assert 'type="radio" name="topic" id="topic-1" value="declaration" required' in html
    assert 'value="impots"' in html
    for outcome in ("solved", "referred", "coming_back"):
        assert f'name="outcome" value="{outcome}"' in html
    assert "Nothing about the citizen is recorded" in html


def test_two_taps_log_an_assist_with_a_confirmation_and_an_undo(world, client):
    login_as(client, world["helper"])
    form = counter_form(client) | {"topic": "impots", "outcome": "solved"}
    answer = client.post("/assists/counter/log", data=form)
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Logged:" in page and "impots – Solved" in page
    assert "Undo" in page
    assert "You have logged 1 assist this week." in page
    # A double tap sends the same form again: still one assist.
    assert client.post("/assists/counter/log", data=form).status_code == 303
    assert assists() == 1


def test_a_post_without_csrf_token_saves_nothing(world, client):
    login_as(client, world["helper"])
    form = counter_form(client) | {"topic": "impots", "outcome": "solved", "csrf_token": ""}
    assert client.post("/assists/counter/log", data=form).status_code == 400
    assert assists() == 0


def test_an_unknown_topic_gets_a_clear_message_and_saves_nothing(world, client):
    login_as(client, world["helper"])
    form = counter_form(client) | {"topic": "<b>taxes-foncieres</b>", "outcome": "solved"}
    answer = client.post("/assists/counter/log", data=form)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert (
        "“&lt;b&gt;taxes-foncieres&lt;/b&gt;” is not one of your topics; nothing was logged."
        in html
    )
    assert 'role="alert"' in html
    assert assists() == 0
    assert (
        db.session.scalar(select(func.count(Statement.id)).where(Statement.verb == Verb.ASSISTED))
        == 0
    )


def test_undo_from_the_confirmation(world, client):
    login_as(client, world["helper"])
    client.post(
        "/assists/counter/log",
        data=counter_form(client) | {"topic": "impots", "outcome": "referred"},
    )
    assist = db.session.scalar(select(CounterAssist))
    token = get_csrf(client, f"/assists/counter?logged={assist.id}")
    assert client.post(f"/assists/{assist.id}/undo", data={}).status_code == 400  # no CSRF
    answer = client.post(f"/assists/{assist.id}/undo", data={"csrf_token": token})
    assert answer.status_code == 303
    db.session.expire_all()
    assert db.session.get(CounterAssist, assist.id).voided_at is not None
    assert "Undone: that assist no longer counts." in client.get("/assists/counter").get_data(
        as_text=True
    )


def test_nobody_sees_or_undoes_someone_elses_assist(world, client):
    assist = log(world["helper"], "impots", now=NOW)
    login_as(client, world["colleague"])
    page = client.get(f"/assists/counter?logged={assist.id}").get_data(as_text=True)
    assert "Logged:" not in page
    token = get_csrf(client, "/assists/counter")
    assert client.post(f"/assists/{assist.id}/undo", data={"csrf_token": token}).status_code == 404
    refused = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access.refused"))
    assert refused is not None and refused.actor_id == world["colleague"].id
    assert client.post("/assists/999999/undo", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(CounterAssist, assist.id).voided_at is None


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("helper", "/assists/counter", 200),
        ("helper", "/assists/branches", 403),
        ("helper", "/assists/topics", 403),
        ("manager_a", "/assists/branches", 200),
        ("manager_a", "/assists/counter", 403),
        ("manager_a", "/assists/topics", 403),
        ("trainer", "/assists/topics", 200),
        ("trainer", "/assists/branches", 403),
        (None, "/assists/counter", 302),
        (None, "/assists/branches", 302),
    ],
)
def test_who_may_open_which_page(world, client, who, path, status):
    if who is not None:
        login_as(client, world[who])
    assert client.get(path).status_code == status


def test_managers_see_their_branches_assists_beside_readiness(world, client):
    log(world["helper"], "impots", now=NOW)
    log(world["helper"], "declaration", "referred", now=NOW - timedelta(days=7))
    log(world["far_away"], "impots", now=NOW)
    undone = log(world["colleague"], "impots", now=NOW)
    undone.voided_at = NOW
    db.session.commit()
    login_as(client, world["manager_a"])
    html = client.get("/assists/branches").get_data(as_text=True)
    assert "Branch A1" in html and "Branch A2" in html
    assert "Branch B1" not in html  # another region's branch
    row = html.split("Branch A1", 1)[1].split("</tr>", 1)[0]
    assert "50" in row  # one of the two assigned people in A1 is ready
    assert "impots (1), declaration (1)" in row or "declaration (1), impots (1)" in row
    assert '<td class="num"><strong>2</strong></td>' in row  # the undone assist does not count
    topics = html.split('id="assists-by-topic"', 1)[1].split("</table>", 1)[0]
    impots = topics.split(">impots<", 1)[1].split("</tr>", 1)[0]
    assert "<strong>1</strong>" in impots  # A1's one, not B1's


def test_a_campaign_outside_the_managers_units_answers_404(world, client):
    other = make_campaign(world["org"].branch_b1, [], name="B only")
    login_as(client, world["manager_a"])
    assert client.get(f"/assists/branches?campaign={other.campaign.id}").status_code == 404


def test_the_csv_export_is_in_the_readers_dialect_scoped_and_audited(world, client):
    log(world["helper"], "impots", now=NOW)
    log(world["far_away"], "impots", now=NOW)
    login_as(client, world["manager_a"])
    token = get_csrf(client, "/assists/branches")
    answer = client.post("/assists/branches.csv?weeks=4", data={"csrf_token": token})
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    text = answer.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))  # French: semicolons
    assert rows[0][:6] == ["week", "unit_code", "unit_name", "topic", "outcome", "assists"]
    assert rows[1][:6] == ["2027-W07", "a1", "Branch A1", "impots", "solved", "1"]
    assert rows[1][7] == "50,0"  # A1's readiness, with fr-CH's decimal comma
    assert len(rows) == 2  # Branch B1 is not the manager's
    assert client.post("/assists/branches.csv", data={}).status_code == 400
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "assists.exported" in actions


def test_trainers_see_the_topics_asked_most(world, client):
    log(world["helper"], "impots", now=NOW)
    log(world["far_away"], "impots", "coming_back", now=NOW)
    log(world["helper"], "declaration", now=NOW)
    login_as(client, world["trainer"])
    html = client.get("/assists/topics").get_data(as_text=True)
    table = html.split('id="topic-ranking"', 1)[1]
    assert table.index("impots") < table.index("declaration")
    assert "50%" in table  # half of the impots assists were not solved at once


def test_assists_are_statements_of_the_api_filterable_by_verb(world, client):
    log(world["helper"], "impots", now=NOW)
    verb = quote(f"{BASE}/xapi/verbs/assisted", safe="")
    body = client.get(
        f"/api/v1/xapi/statements?verb={verb}",
        headers={"Authorization": f"Bearer {make_token(world['manager_a'])}"},
    ).get_json()
    assert [s["verb"]["id"] for s in body["statements"]] == [f"{BASE}/xapi/verbs/assisted"]
    assert body["statements"][0]["object"]["id"] == f"{BASE}/xapi/topics/impots"
    everything = client.get(
        "/api/v1/xapi/statements",
        headers={"Authorization": f"Bearer {make_token(world['manager_a'])}"},
    ).get_json()
    assert len(everything["statements"]) > 1  # the completion is there too, unfiltered
    other_region = make_user(world["org"].region_b, Role.MANAGER)
    hidden = client.get(
        f"/api/v1/xapi/statements?verb={verb}",
        headers={"Authorization": f"Bearer {make_token(other_region)}"},
    ).get_json()
    assert hidden["statements"] == []


def test_the_assists_api_gives_grouped_counts_of_the_managers_units(world, client):
    log(world["helper"], "impots", now=NOW)
    log(world["helper"], "impots", now=NOW)
    log(world["far_away"], "impots", now=NOW)
    answer = client.get(
        "/api/v1/assists?weeks=2",
        headers={"Authorization": f"Bearer {make_token(world['manager_a'])}"},
    )
    assert answer.status_code == 200
    assert answer.get_json()["data"] == [
        {
            "unit": {"id": world["org"].branch_a1.id, "code": "a1", "name": "Branch A1"},
            "week": "2027-W07",
            "topic": "impots",
            "outcome": "solved",
            "assists": 2,
        }
    ]
    learner = client.get(
        "/api/v1/assists", headers={"Authorization": f"Bearer {make_token(world['helper'])}"}
    )
    assert learner.status_code == 403
    bad = client.get(
        "/api/v1/assists?weeks=0",
        headers={"Authorization": f"Bearer {make_token(world['manager_a'])}"},
    )
    assert bad.status_code == 400 and "weeks" in bad.get_data(as_text=True)


def test_my_assists_are_in_my_personal_data_export(world, client):
    log(world["helper"], "impots", now=NOW)
    login_as(client, world["helper"])
    token = get_csrf(client, "/learning")
    answer = client.post("/learning/my-data/statements.csv", data={"csrf_token": token})
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "assisted" in text and f"{BASE}/xapi/topics/impots" in text


def test_an_undone_assist_leaves_the_statements_api_its_voiding_statement_stays(world, client):
    kept = log(world["helper"], "impots", now=NOW)
    undone = log(world["helper"], "declaration", now=NOW)
    operations.undo_assist(db.session, world["helper"], undone, now=NOW + timedelta(seconds=5))
    db.session.commit()
    headers = {"Authorization": f"Bearer {make_token(world['helper'])}"}
    assisted = quote(f"{BASE}/xapi/verbs/assisted", safe="")
    listed = client.get(f"/api/v1/xapi/statements?verb={assisted}", headers=headers).get_json()
    kept_uuid = db.session.get(Statement, kept.statement_id).uuid
    undone_uuid = db.session.get(Statement, undone.statement_id).uuid
    assert [s["id"] for s in listed["statements"]] == [kept_uuid]
    voided = client.get("/api/v1/xapi/statements?verb=voided", headers=headers).get_json()
    assert [s["object"]["id"] for s in voided["statements"]] == [undone_uuid]
