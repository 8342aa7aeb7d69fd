"""Campaign pages: create with field messages, schedule checks, scoping (404 outside the
manager's units), the confirmation before removing a required module, audience editing,
yearly copy, the calendar view, the API list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.campaigns.models import Assignment, Campaign, CampaignModule, CampaignState
from app.extensions import db
from app.people.models import Role
from tests.campaigns.builders import at, make_campaign, make_module, rows, tick
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_user

FORM = {
    "name_fr": "Déclaration d'impôt 2027",
    "name_de": "",
    "name_it": "",
    "name_en": "",
    "theme_fr": "Mars",
    "description_fr": "Tout sur **mars**.",
    "assign_on": "2027-02-01",
    "due_on": "2027-03-01",
    "starts_on": "2027-03-01",
    "ends_on": "2027-03-31",
    "readiness_percent": "80",
    "readiness_min_per_branch": "2",
    "reminder_days": "21, 7, 2",
    "remind_weekly_overdue": "y",
    "send_digests": "y",
    "late_joiner_days": "14",
}


def page(response) -> str:
    return response.get_data(as_text=True)


def token(client, path: str) -> str:
    return csrf_token_from(page(client.get(path)))


@pytest.fixture
def jura(app, org):
    """Region A is "Jura" (manager Mia), region B is "Basel" (manager Bea)."""
    mia = make_user(org.region_a, Role.MANAGER, email="mia@example.org")
    bea = make_user(org.region_b, Role.MANAGER, email="bea@example.org")
    learner = make_user(org.branch_a1, Role.LEARNER, email="lea@example.org")
    module = make_module(org.provider, "ju-tax", titles={"fr": "Impôts", "en": "Taxes"})
    return {"mia": mia, "bea": bea, "learner": learner, "module": module}


def test_a_manager_creates_a_draft_with_the_form(app, client, org, jura):
    login_as(client, jura["mia"])
    form = dict(FORM, owner=f"unit:{org.region_a.id}", csrf_token=token(client, "/campaigns/new"))
    response = client.post("/campaigns/new", data=form)
    assert response.status_code == 303
    campaign = db.session.scalar(select(Campaign))
    assert campaign.state == CampaignState.DRAFT and campaign.owner_unit_id == org.region_a.id
    assert campaign.due_at == at("2027-03-01T22:59:59")
    assert "<strong>mars</strong>" in campaign.descriptions_html["fr"]
    detail = page(client.get(response.headers["Location"]))
    assert "Déclaration d&#39;impôt 2027" in detail and 'aria-current="step"' in detail


def test_bad_input_is_named_field_by_field(app, client, org, jura):
    login_as(client, jura["mia"])
    form = dict(
        FORM,
        name_fr="",
        due_on="2027-01-15",
        readiness_percent="",
        readiness_min_per_branch="",
        reminder_days="21, soon",
        owner=f"unit:{org.region_a.id}",
        csrf_token=token(client, "/campaigns/new"),
    )
    response = client.post("/campaigns/new", data=form)
    assert response.status_code == 400
    html = page(response)
    assert "Reminders: write whole numbers of days" in html
    form["reminder_days"] = "21, 7"
    html = page(client.post("/campaigns/new", data=form))
    assert (
        'href="#due_on"' in html
        and 'href="#name_de"' in html
        and 'href="#readiness_percent"' in html
    )
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(Campaign.id)) is None


def test_an_owner_outside_the_scope_is_refused(app, client, org, jura):
    login_as(client, jura["mia"])
    form = dict(FORM, owner=f"unit:{org.region_b.id}", csrf_token=token(client, "/campaigns/new"))
    assert client.post("/campaigns/new", data=form).status_code == 400
    assert db.session.scalar(select(Campaign.id)) is None


def test_scheduling_an_empty_campaign_says_what_is_missing(app, client, org, jura):
    campaign = make_campaign(owner_unit=org.region_a)
    login_as(client, jura["mia"])
    csrf = token(client, f"/campaigns/{campaign.id}")
    response = client.post(f"/campaigns/{campaign.id}/schedule", data={"csrf_token": csrf})
    assert response.status_code == 400
    html = page(response)
    assert "The audience is empty" in html and "Add at least one required module" in html
    db.session.refresh(campaign)
    assert campaign.state == CampaignState.DRAFT


def test_a_basel_manager_never_sees_a_jura_campaign(app, client, org, jura):
    campaign = make_campaign(
        owner_unit=org.region_a, modules=[jura["module"]], units=[org.region_a], schedule=True
    )
    tick(at("2027-02-01T07:00"), deliver=False)
    login_as(client, jura["bea"])
    for path in (
        f"/campaigns/{campaign.id}",
        f"/campaigns/{campaign.id}/audience",
        f"/campaigns/{campaign.id}/edit",
        f"/campaigns/{campaign.id}/close",
        f"/campaigns/{campaign.id}/modules/{campaign.modules[0].id}/remove",
    ):
        assert client.get(path).status_code == 404, path
    assert "Déclaration" not in page(client.get("/campaigns"))
    csrf = token(client, "/campaigns")
    assert (
        client.post(f"/campaigns/{campaign.id}/close", data={"csrf_token": csrf}).status_code == 404
    )
    # Mia (Jura) sees it; a learner may not open campaign pages at all.
    login_as(client, jura["mia"])
    assert client.get(f"/campaigns/{campaign.id}").status_code == 200
    login_as(client, jura["learner"])
    assert client.get("/campaigns").status_code == 403


def test_a_network_campaign_is_visible_read_only_below(app, client, org, jura):
    boss = make_user(org.network, Role.MANAGER)
    make_user(org.branch_b1, Role.LEARNER)
    campaign = make_campaign(owner_unit=org.network, modules=[jura["module"]], units=[org.network])
    login_as(client, jura["bea"])
    html = page(client.get(f"/campaigns/{campaign.id}"))
    assert "Delete the draft" not in html and "Edit" not in html
    assert client.get(f"/campaigns/{campaign.id}/edit").status_code == 404
    preview = page(client.get(f"/campaigns/{campaign.id}/audience"))
    assert "Branch B1" in preview and "Branch A1" not in preview
    login_as(client, boss)
    assert "Delete the draft" in page(client.get(f"/campaigns/{campaign.id}"))


def test_audience_units_are_limited_to_the_managers_scope(app, client, org, jura):
    campaign = make_campaign(owner_unit=org.region_a)
    login_as(client, jura["mia"])
    csrf = token(client, f"/campaigns/{campaign.id}/audience")
    response = client.post(
        f"/campaigns/{campaign.id}/audience/units",
        data={"csrf_token": csrf, "unit-unit": org.branch_b1.id, "unit-include_subunits": "y"},
    )
    assert response.status_code in (400, 404)
    response = client.post(
        f"/campaigns/{campaign.id}/audience/units",
        data={"csrf_token": csrf, "unit-unit": org.branch_a1.id, "unit-include_subunits": "y"},
    )
    assert response.status_code == 303
    html = page(client.get(f"/campaigns/{campaign.id}/audience"))
    assert "Branch A1" in html and "1 person" in html
    # A person outside the scope cannot be added by hand (same answer as an unknown one).
    outsider = make_user(org.branch_b1, Role.LEARNER, email="out@example.org")
    response = client.post(
        f"/campaigns/{campaign.id}/audience/people",
        data={"csrf_token": csrf, "person-email": outsider.email, "person-action": "include"},
    )
    assert response.status_code == 400 and "nobody with this address" in page(response)


def test_removing_a_required_module_from_an_active_campaign_asks_first(app, client, org, jura):
    other = make_module(org.provider, "ju-online", titles={"fr": "En ligne"})
    make_user(org.branch_a2, Role.LEARNER)
    campaign = make_campaign(
        owner_unit=org.region_a,
        modules=[jura["module"], other],
        units=[org.region_a],
        schedule=True,
        roles=[],  # everyone in the units, the manager too
    )
    tick(at("2027-02-01T07:00"), deliver=False)
    cm = db.session.scalar(select(CampaignModule).where(CampaignModule.module_id == other.id))
    login_as(client, jura["mia"])
    path = f"/campaigns/{campaign.id}/modules/{cm.id}/remove"
    csrf = token(client, f"/campaigns/{campaign.id}")
    response = client.post(path, data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    html = page(client.get(path))
    # Mia and the two learners of region A hold it: how many, and where.
    assert "3 people lose this assignment" in html
    assert "Branch A1" in html and "Branch A2" in html and "Region A" in html
    assert (
        len(rows(Assignment, Assignment.module_id == other.id, Assignment.removed_at.is_(None)))
        == 3
    )
    response = client.post(path, data={"csrf_token": csrf, "confirmed": "yes"})
    assert response.status_code == 303
    assert rows(Assignment, Assignment.module_id == other.id, Assignment.removed_at.is_(None)) == []
    assert len(rows(Assignment, Assignment.module_id == other.id)) == 3  # history kept


def test_close_asks_then_closes_and_copy_to_next_year_once(app, client, org, jura):
    campaign = make_campaign(
        owner_unit=org.region_a, modules=[jura["module"]], units=[org.region_a], schedule=True
    )
    login_as(client, jura["mia"])
    assert "Close the campaign" in page(client.get(f"/campaigns/{campaign.id}/close"))
    csrf = token(client, f"/campaigns/{campaign.id}/close")
    response = client.post(
        f"/campaigns/{campaign.id}/close", data={"csrf_token": csrf, "confirmed": "yes"}
    )
    assert response.status_code == 303
    db.session.refresh(campaign)
    assert campaign.state == CampaignState.CLOSED
    assert client.get(f"/campaigns/{campaign.id}/edit").status_code == 303  # read-only now
    response = client.post(f"/campaigns/{campaign.id}/copy", data={"csrf_token": csrf})
    assert response.status_code == 303
    copy = db.session.scalar(select(Campaign).where(Campaign.previous_id == campaign.id))
    assert copy.name["fr"] == "Déclaration d'impôt 2028"
    response = client.post(f"/campaigns/{campaign.id}/copy", data={"csrf_token": csrf})
    assert response.status_code == 409 and "already copied to 2028" in page(response)


def test_active_campaigns_keep_their_assignment_date(app, client, org, jura):
    campaign = make_campaign(
        owner_unit=org.region_a, modules=[jura["module"]], units=[org.region_a], schedule=True
    )
    tick(at("2027-02-01T07:00"), deliver=False)
    login_as(client, jura["mia"])
    form = dict(
        FORM,
        assign_on="2027-02-03",
        due_on="2027-03-08",
        owner=f"unit:{org.region_a.id}",
        csrf_token=token(client, f"/campaigns/{campaign.id}/edit"),
    )
    response = client.post(f"/campaigns/{campaign.id}/edit", data=form)
    assert response.status_code == 400 and "this date can no longer change" in page(response)
    form["assign_on"] = "2027-02-01"
    assert client.post(f"/campaigns/{campaign.id}/edit", data=form).status_code == 303
    dues = {a.due_at for a in rows(Assignment, Assignment.is_required.is_(True))}
    assert dues == {at("2027-03-08T22:59:59")}


def test_the_calendar_lists_campaign_dates_by_month(app, client, org, jura):
    make_campaign(owner_unit=org.region_a, modules=[jura["module"]], units=[org.region_a])
    login_as(client, jura["mia"])
    html = page(client.get("/campaigns/calendar?from=2027-02"))
    assert (
        "Assignments go out" in html and "Due: staff ready" in html and '<th scope="row">' in html
    )
    assert client.get("/campaigns/calendar?from=garbage").status_code == 200


def test_trainers_work_on_their_providers_campaigns(app, client, org, jura):
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider)
    other_trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.other_provider)
    campaign = make_campaign(owner_provider=org.provider, modules=[jura["module"]])
    login_as(client, trainer)
    html = page(client.get(f"/campaigns/{campaign.id}/audience"))
    assert "chosen by an administrator" in html
    assert client.get(f"/campaigns/{campaign.id}/edit").status_code == 200
    login_as(client, other_trainer)
    assert client.get(f"/campaigns/{campaign.id}").status_code == 404


def test_the_api_lists_campaigns_in_scope(app, client, org, jura):
    from tests.api.conftest import bearer, make_token

    jura_campaign = make_campaign(owner_unit=org.region_a, modules=[jura["module"]])
    make_campaign(owner_unit=org.region_b)
    response = client.get("/api/v1/campaigns", headers=bearer(make_token(jura["mia"])))
    assert response.status_code == 200
    body = response.get_json()
    assert [c["id"] for c in body["data"]] == [jura_campaign.id]
    assert body["data"][0]["modules"][0]["module_id"] == jura["module"].id
    assert body["data"][0]["due_at"] == "2027-03-01T22:59:59Z"
    assert body["meta"]["total"] == 1
    learner = client.get("/api/v1/campaigns", headers=bearer(make_token(jura["learner"])))
    assert learner.status_code == 403


def test_learners_see_their_campaigns_with_the_sanitised_description(app, client, org, jura):
    make_campaign(
        owner_unit=org.region_a,
        modules=[jura["module"]],
        units=[org.region_a],
        schedule=True,
        description="**Important** <img src=x onerror=alert(1)>",
    )
    tick(at("2027-02-01T07:00"), deliver=False)
    login_as(client, jura["learner"])
    html = page(client.get("/my-campaigns"))
    assert "<strong>Important</strong>" in html and "onerror" not in html
    assert "Impôts" in html or "Taxes" in html
    assert "My campaigns" in page(client.get("/home"))
