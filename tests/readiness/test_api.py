"""/api/v1 readiness routes: the dashboard's numbers, scope, paging, bad input, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openapi_spec_validator import validate

from app.api.models import ApiToken
from app.api.tokens import revoke_token
from app.campaigns.models import Campaign
from app.extensions import db
from app.readiness.models import ReadinessSnapshot
from app.timekeeping.clock import now as clock_now
from tests.api.conftest import assert_error, bearer, make_token
from tests.conftest import login_as
from tests.readiness.helpers import NOW


def get(client, url, secret):
    return client.get(url, headers=bearer(secret))


def test_readiness_per_unit_matches_the_dashboard(client, scene):
    secret = make_token(scene.region_a_manager)
    body = get(client, f"/api/v1/campaigns/{scene.campaign_id}/readiness", secret).get_json()
    units = {row["unit"]["code"]: row for row in body["data"]}
    assert list(units) == ["ra", "a1", "a2"]  # tree order, region A only
    assert (units["ra"]["assigned"], units["ra"]["ready"], units["ra"]["overdue"]) == (5, 2, 2)
    assert (units["a1"]["assigned"], units["a1"]["ready"]) == (3, 2)
    assert units["a2"]["branches_short"] == 1 and units["ra"]["branches_short"] == 1
    assert units["a1"]["status"] == "not_ready" and units["a1"]["is_met"] is False
    assert body["meta"] == {"page": 1, "per_page": 50, "total": 3}
    # The same numbers on the manager's page.
    login_as(client, scene.region_a_manager)
    html = client.get(
        f"/readiness/campaigns/{scene.campaign_id}/units/{scene.org.region_a.id}"
    ).get_data(as_text=True)
    table = html.split('id="units-table"')[1].split("</table>")[0]
    for code, name in (("a1", "Branch A1"), ("a2", "Branch A2")):
        row = table.split(name)[1].split("</tr>")[0]
        cells = [c.split("<")[0] for c in row.split('<td class="num">')[1:4]]
        assert cells == [
            str(units[code]["assigned"]),
            str(units[code]["ready"]),
            cells[2],
        ]
        assert f'<td class="num">{units[code]["overdue"]}</td>' in row


def test_readiness_of_a_subtree_and_paging(client, scene):
    secret = make_token(scene.network_manager)
    url = f"/api/v1/campaigns/{scene.campaign_id}/readiness"
    page = get(client, f"{url}?unit={scene.org.region_b.id}&per_page=2", secret).get_json()
    assert [r["unit"]["code"] for r in page["data"]] == ["rb", "b1"]
    assert page["meta"]["total"] == 3 and page["links"]["next"]
    assert (page["data"][0]["assigned"], page["data"][0]["ready"]) == (2, 1)


def test_overdue_assignments(client, scene):
    secret = make_token(scene.network_manager)
    body = get(client, f"/api/v1/campaigns/{scene.campaign_id}/overdue", secret).get_json()
    pairs = sorted((r["person"]["name"], r["module"]["slug"]) for r in body["data"])
    assert pairs == [
        ("Cat Muster", "tax-online"),
        ("Dan Muster", "tax-basics"),
        ("Dan Muster", "tax-online"),
        ("Gus Muster", "tax-basics"),
        ("Gus Muster", "tax-online"),
    ]
    assert all(r["days_overdue"] == 2 for r in body["data"])


def test_snapshots_over_time(client, scene, app):
    today = NOW.date()
    for offset, ready in ((2, 1), (1, 2)):
        db.session.add(
            ReadinessSnapshot(
                campaign_id=scene.campaign_id,
                unit_id=scene.org.branch_a1.id,
                day=today - timedelta(days=offset),
                assigned=3,
                ready=ready,
                overdue=1,
                taken_at=NOW,
            )
        )
        db.session.add(
            ReadinessSnapshot(
                campaign_id=scene.campaign_id,
                unit_id=scene.org.branch_b1.id,
                day=today - timedelta(days=offset),
                assigned=2,
                ready=1,
                overdue=1,
                taken_at=NOW,
            )
        )
    db.session.commit()
    secret = make_token(scene.a1_manager)
    url = f"/api/v1/campaigns/{scene.campaign_id}/snapshots"
    body = get(client, url, secret).get_json()
    assert [(r["unit"]["code"], r["ready"]) for r in body["data"]] == [("a1", 1), ("a1", 2)]
    only = get(client, f"{url}?from={today - timedelta(days=1)}", secret).get_json()
    assert [r["day"] for r in only["data"]] == [(today - timedelta(days=1)).isoformat()]


@pytest.mark.parametrize("suffix", ["readiness", "overdue", "snapshots"])
def test_scope_and_unknown_ids_are_404(client, scene, suffix):
    secret = make_token(scene.a1_manager)
    c = scene.campaign_id
    own = get(client, f"/api/v1/campaigns/{c}/{suffix}?unit={scene.org.branch_a1.id}", secret)
    assert own.status_code == 200
    for url in (
        f"/api/v1/campaigns/{c}/{suffix}?unit={scene.org.branch_b1.id}",
        f"/api/v1/campaigns/{c}/{suffix}?unit={scene.org.region_a.id}",
        f"/api/v1/campaigns/{c}/{suffix}?unit=999999",
        f"/api/v1/campaigns/999999/{suffix}",
    ):
        assert_error(get(client, url, secret), 404, "not_found")


@pytest.mark.parametrize(
    "query", ["per_page=1000", "page=0", "unit=abc", "unit=-1", "per_page=x", "from=yesterday"]
)
def test_absurd_parameters_are_400(client, scene, query):
    secret = make_token(scene.network_manager)
    suffix = "snapshots" if query.startswith("from") else "readiness"
    response = get(client, f"/api/v1/campaigns/{scene.campaign_id}/{suffix}?{query}", secret)
    assert_error(response, 400, "bad_request")


def test_revoked_and_missing_tokens_are_401_and_learners_403(client, scene):
    secret = make_token(scene.network_manager)
    token = db.session.query(ApiToken).filter_by(user_id=scene.network_manager.id).one()
    revoke_token(db.session, token, now=clock_now(), actor=scene.network_manager)
    db.session.commit()
    url = f"/api/v1/campaigns/{scene.campaign_id}/readiness"
    assert_error(get(client, url, secret), 401, "unauthenticated")
    assert_error(client.get(url), 401, "unauthenticated")
    learner = make_token(scene.people["ann"])
    assert_error(get(client, url, learner), 403, "forbidden")


def test_routes_are_in_the_openapi_document(client, scene):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    for suffix in ("readiness", "overdue", "snapshots"):
        operation = spec["paths"][f"/api/v1/campaigns/{{campaign_id}}/{suffix}"]["get"]
        assert {"200", "400", "401", "403", "404"} <= set(operation["responses"])
    assert "UnitReadiness" in spec["components"]["schemas"]


def test_the_forecast_says_whether_it_is_known_and_its_range(client, scene):
    secret = make_token(scene.region_a_manager)
    body = get(client, f"/api/v1/campaigns/{scene.campaign_id}/readiness", secret).get_json()
    forecast = body["data"][0]["forecast"]
    # The scene's campaign is past its due date: closed, known, no range.
    assert forecast["method"] == "closed" and forecast["is_known"] is True
    assert forecast["low"] is None and forecast["high"] is None
    campaign = db.session.get(Campaign, scene.campaign_id)
    campaign.assign_at = NOW - timedelta(hours=1)
    campaign.due_at = NOW + timedelta(days=20)
    db.session.commit()
    body = get(client, f"/api/v1/campaigns/{scene.campaign_id}/readiness", secret).get_json()
    units = {row["unit"]["code"]: row for row in body["data"]}
    assert units["a1"]["forecast"]["method"] == "too_early"
    assert units["a1"]["forecast"]["is_known"] is False
    assert units["a1"]["forecast"]["will_meet"] is False
    assert units["a1"]["status"] == "too_early" and units["ra"]["status"] == "too_early"
