"""The report reads the branches' earlier campaigns from the database and forecasts with them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from app.campaigns.models import CampaignState
from app.extensions import db
from app.people.models import Role, UnitKind
from app.people.unit_operations import create_unit, get_or_create_provider
from app.readiness.forecast import DEADLINE_PACE, REFERENCE_CLASS
from app.readiness.models import ReadinessSnapshot
from app.readiness.queries.report import readiness_report
from app.readiness.queries.scope import campaign_for
from app.readiness.queries.snapshots import reference_curves
from tests.factories import make_user
from tests.readiness.helpers import NOW, assign, complete, make_campaign, make_module

TZ = ZoneInfo("Europe/Zurich")
PEOPLE = 10


def rushed(fraction: float) -> float:
    """An earlier campaign's curve: 10 % by 80 % of the time, then a rush to 90 %."""
    return 0.1 * fraction if fraction < 0.8 else 0.9


def add_curve(campaign, unit, days: int, shape, *, until: int | None = None) -> None:
    """Snapshots of one unit: `shape` of the fraction of `days`, for days 0..until."""
    start = campaign.assign_at.astimezone(TZ).date()
    for day in range((days if until is None else until) + 1):
        db.session.add(
            ReadinessSnapshot(
                campaign_id=campaign.id,
                unit_id=unit.id,
                day=start + timedelta(days=day),
                assigned=PEOPLE,
                ready=round(shape(day / days) * PEOPLE),
                overdue=0,
            )
        )


@pytest.fixture
def network(app):
    """Ten branches, two earlier campaigns that ended in a rush, and a campaign 26 of 40 days in."""
    top = create_unit(db.session, code="n", name="Network", kind=UnitKind.NETWORK)
    region = create_unit(db.session, code="r", name="Region", kind=UnitKind.REGION, parent=top)
    branches = [
        create_unit(
            db.session, code=f"b{n}", name=f"Branch {n}", kind=UnitKind.BRANCH, parent=region
        )
        for n in range(10)
    ]
    db.session.commit()
    provider = get_or_create_provider(db.session, slug="p", name="Provider")
    db.session.commit()
    module = make_module(provider)
    earlier = []
    for years_ago in (1, 2):
        setup = make_campaign(
            top,
            [module],
            state=CampaignState.CLOSED,
            assign_at=NOW - timedelta(days=365 * years_ago + 40),
            due_at=NOW - timedelta(days=365 * years_ago),
            name=f"Tax declaration {2027 - years_ago}",
        )
        earlier.append(setup.campaign)
    upcoming = make_campaign(
        top,
        [module],
        state=CampaignState.SCHEDULED,
        assign_at=NOW + timedelta(days=5),
        due_at=NOW + timedelta(days=45),
        name="Not yet due",
    )
    current = make_campaign(
        top,
        [module],
        assign_at=NOW - timedelta(days=26),
        due_at=NOW + timedelta(days=14),
        name="Tax declaration 2027",
    )
    for branch in branches:
        for campaign in earlier:
            add_curve(campaign, branch, 40, rushed)
        add_curve(upcoming.campaign, branch, 40, lambda f: 1.0, until=3)
        # This year so far: one person of ten ready after two weeks, as in earlier years.
        add_curve(current.campaign, branch, 40, lambda f: 0.1 if f >= 0.4 else 0.0, until=25)
        people = [make_user(branch) for _ in range(PEOPLE)]
        for person in people:
            assign(current, person)
        complete(people[0], module, at=NOW - timedelta(days=10))
    db.session.commit()
    admin = make_user(top, Role.ADMIN)
    return current, earlier, branches, admin


def test_reference_curves_are_the_earlier_campaigns_of_the_units(network):
    current, earlier, branches, _admin = network
    curves = reference_curves(
        db.session, current.campaign.id, [b.id for b in branches[:3]], now=NOW, tz=TZ
    )
    # Two earlier campaigns of three branches: neither this campaign nor one not yet due.
    assert len(curves) == 6
    assert {c.unit_id for c in curves} == {b.id for b in branches[:3]}
    for curve in curves:
        assert curve.people == PEOPLE
        assert curve.at(0.75) == pytest.approx(0.1)
        assert curve.at(1.0) == pytest.approx(0.9)
    assert reference_curves(db.session, current.campaign.id, [], now=NOW, tz=TZ) == []


def test_the_report_expects_the_rush_that_earlier_campaigns_had(network):
    current, _earlier, branches, admin = network
    campaign = campaign_for(db.session, admin, current.campaign.id)
    report = readiness_report(db.session, admin, campaign, root=None, now=NOW, tz=TZ)
    for branch in branches:
        projection = report.units[branch.id].projection
        assert projection.method == REFERENCE_CLASS
        # One ready today; the earlier years ended at 9 of 10.
        assert 8 <= projection.ready <= PEOPLE
        assert projection.low <= 9 <= projection.high


def test_without_earlier_campaigns_the_deadline_pace_is_used(network):
    current, earlier, branches, admin = network
    for campaign in earlier:
        db.session.query(ReadinessSnapshot).filter_by(campaign_id=campaign.id).delete()
    db.session.commit()
    campaign = campaign_for(db.session, admin, current.campaign.id)
    report = readiness_report(db.session, admin, campaign, root=None, now=NOW, tz=TZ)
    projection = report.units[branches[0].id].projection
    assert projection.method == DEADLINE_PACE
    assert projection.ready < 8  # the pace of this year alone does not foresee the rush
