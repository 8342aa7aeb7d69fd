"""A report page runs a fixed number of SQL statements, whatever the number of units."""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.campaigns.models import Assignment, CampaignModule
from app.extensions import db
from app.people.models import Role, UnitKind, User
from app.people.unit_operations import create_unit
from tests.conftest import login_as
from tests.factories import make_user
from tests.query_count import statements_during
from tests.readiness.helpers import NOW, complete, make_campaign, make_module

_codes = itertools.count(1)


def build_network(branches: int, people_per_branch: int = 2):
    """A network with one region of `branches` branches, people assigned, some done."""
    tag = next(_codes)
    session = db.session
    network = create_unit(session, code=f"n{tag}", name="Network", kind=UnitKind.NETWORK)
    region = create_unit(
        session, code=f"r{tag}", name="Region", kind=UnitKind.REGION, parent=network
    )
    units = [
        create_unit(
            session, code=f"b{tag}-{n}", name=f"Branch {n:03d}", kind=UnitKind.BRANCH, parent=region
        )
        for n in range(branches)
    ]
    session.commit()
    from app.people.unit_operations import get_or_create_provider

    provider = get_or_create_provider(session, slug=f"p{tag}", name="Provider")
    session.commit()
    modules = [make_module(provider), make_module(provider)]
    setup = make_campaign(
        network, modules, assign_at=NOW - timedelta(days=20), due_at=NOW - timedelta(days=1)
    )
    cms = session.query(CampaignModule).filter_by(campaign_id=setup.campaign.id).all()
    people = []
    for unit in units:
        for n in range(people_per_branch):
            people.append(
                User(
                    email=f"p{tag}-{unit.id}-{n}@example.org",
                    first_name="P",
                    last_name=f"{unit.id}-{n}",
                    unit_id=unit.id,
                )
            )
    session.add_all(people)
    session.flush()
    session.add_all(
        Assignment(
            campaign_id=setup.campaign.id,
            campaign_module_id=cm.id,
            user_id=person.id,
            module_id=cm.module_id,
            is_required=True,
            assigned_at=setup.campaign.assign_at,
            due_at=setup.campaign.due_at,
        )
        for person in people
        for cm in cms
    )
    session.commit()
    for person in people[::2]:
        complete(person, modules[0])
    return network, region, units, setup


def _statements_for(app, client, url) -> int:
    client.get(url)  # warm up (first-request work such as loading the session user)
    with statements_during(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def test_report_pages_take_the_same_number_of_queries_for_10_and_100_units(app, client):
    counts = {}
    for size in (10, 100):
        network, region, units, setup = build_network(size)
        admin = make_user(network, Role.ADMIN)
        login_as(client, admin)
        c = setup.campaign.id
        counts[size] = (
            _statements_for(app, client, f"/readiness/campaigns/{c}/units/{region.id}"),
            _statements_for(app, client, f"/readiness/campaigns/{c}/units/{units[0].id}"),
            _statements_for(app, client, f"/readiness/campaigns/{c}/overdue"),
        )
    print("statements per page (unit, branch, overdue):", counts)
    assert counts[10] == counts[100], counts
    assert counts[10][0] <= 25, counts


def test_the_api_takes_the_same_number_of_queries(app, client):
    from tests.api.conftest import bearer, make_token

    results = {}
    for size in (10, 100):
        network, _region, _units, setup = build_network(size)
        secret = make_token(make_user(network, Role.MANAGER))
        url = f"/api/v1/campaigns/{setup.campaign.id}/readiness?per_page=200"
        client.get(url, headers=bearer(secret))
        with statements_during(app) as statements:
            response = client.get(url, headers=bearer(secret))
        assert response.status_code == 200
        assert response.get_json()["meta"]["total"] == size + 2
        results[size] = len(statements)
    assert results[10] == results[100], results
