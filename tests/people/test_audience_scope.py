"""Campaign audience pages name only people inside the viewer's scope (issue 11)."""

from __future__ import annotations

from app.campaigns import audience_operations as campaign_ops
from app.extensions import db
from app.people.models import Role
from tests.campaigns.builders import at, make_campaign, make_module
from tests.conftest import login_as
from tests.factories import make_org, make_user


def test_an_excluded_persons_name_does_not_leak_to_another_branch(app):
    org = make_org()
    manager_a1 = make_user(org.branch_a1, Role.MANAGER)
    admin = make_user(org.network, Role.ADMIN)
    outsider = make_user(org.branch_b1, Role.LEARNER)
    outsider.last_name = "Outsidername"
    insider = make_user(org.branch_a1, Role.LEARNER)
    insider.last_name = "Insidername"
    module = make_module(org.provider, "tax", titles={"fr": "Impôts", "en": "Taxes"})
    campaign = make_campaign(
        owner_unit=org.network, modules=[module], units=[org.region_a, org.region_b]
    )
    for person in (outsider, insider):
        campaign_ops.set_audience_person(
            db.session, campaign, person, is_excluded=True, now=at("2027-01-11T09:00")
        )
    db.session.commit()

    branch = app.test_client()
    login_as(branch, manager_a1)
    html = branch.get(f"/campaigns/{campaign.id}/audience").get_data(as_text=True)
    assert "Insidername" in html
    assert "Outsidername" not in html

    whole = app.test_client()
    login_as(whole, admin)
    html = whole.get(f"/campaigns/{campaign.id}/audience").get_data(as_text=True)
    assert "Insidername" in html and "Outsidername" in html
