"""Readiness arithmetic on hand-made cases: thresholds, minimum per branch, expiry, major
versions, people who left, late joiners, refreshers, roll-up and status."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from app.campaigns.models import Assignment, CampaignModule
from app.extensions import db
from app.people.models import Role
from app.readiness.queries.overdue import overdue_people
from app.readiness.queries.people import people_in_unit, person_modules
from app.readiness.queries.report import readiness_report
from app.readiness.queries.scope import campaign_for, scoped_unit
from app.readiness.rules import Status
from tests.factories import make_org, make_user
from tests.readiness.helpers import (
    ASSIGN_AT,
    NOW,
    add_version,
    assign,
    complete,
    make_campaign,
    make_module,
)

TZ = ZoneInfo("Europe/Zurich")


@pytest.fixture
def world(app):
    """The small org, two required modules, an admin viewer."""
    org = make_org()
    m1 = make_module(org.provider, slug="tax-basics")
    m2 = make_module(org.provider, slug="tax-online")
    admin = make_user(org.network, Role.ADMIN)
    return org, [m1, m2], admin


def report_for(viewer, setup, unit=None, now=NOW):
    campaign = campaign_for(db.session, viewer, setup.campaign.id)
    root = scoped_unit(db.session, viewer, unit.id) if unit is not None else None
    return readiness_report(db.session, viewer, campaign, root=root, now=now, tz=TZ)


def people(unit, n):
    return [make_user(unit) for _ in range(n)]


def done_all(user, modules):
    for module in modules:
        complete(user, module)


def test_share_reaches_the_threshold_exactly(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=80)
    staff = people(org.branch_a1, 5)
    for person in staff:
        assign(setup, person)
    for person in staff[:4]:
        done_all(person, modules)
    node = report_for(admin, setup).units[org.branch_a1.id]
    assert (node.assigned, node.ready) == (5, 4)
    assert node.share == pytest.approx(0.8)
    assert node.is_met and node.status == Status.READY


def test_one_module_missing_means_not_ready(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=80)
    staff = people(org.branch_a1, 5)
    for person in staff:
        assign(setup, person)
    for person in staff[:3]:
        done_all(person, modules)
    complete(staff[3], modules[0])  # only one of the two required modules
    node = report_for(admin, setup).units[org.branch_a1.id]
    assert (node.assigned, node.ready) == (5, 3)
    assert not node.is_met


def test_minimum_per_branch_without_a_share(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=None, min_per_branch=2)
    a1, a2 = people(org.branch_a1, 10), people(org.branch_a2, 2)
    for person in a1 + a2:
        assign(setup, person)
    for person in a1[:2] + a2[:1]:
        done_all(person, modules)
    report = report_for(admin, setup)
    assert report.units[org.branch_a1.id].is_met  # 2 of 10: the minimum, whatever the size
    assert not report.units[org.branch_a2.id].is_met  # 1 of 2: below the minimum
    region = report.units[org.region_a.id]
    assert (region.assigned, region.ready, region.branches, region.branches_short) == (12, 3, 2, 1)
    assert not region.is_met  # a region is ready only when every branch in it is


def test_share_and_minimum_both_apply(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=50, min_per_branch=3)
    staff = people(org.branch_b1, 4)
    for person in staff:
        assign(setup, person)
    for person in staff[:2]:
        done_all(person, modules)
    node = report_for(admin, setup).units[org.branch_b1.id]
    assert node.share == pytest.approx(0.5)
    assert not node.is_met  # the share is reached, the minimum of 3 is not


def test_no_rule_means_everybody(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=None, min_per_branch=None)
    staff = people(org.branch_a1, 2)
    for person in staff:
        assign(setup, person)
    done_all(staff[0], modules)
    assert not report_for(admin, setup).units[org.branch_a1.id].is_met
    done_all(staff[1], modules)
    assert report_for(admin, setup).units[org.branch_a1.id].is_met


def test_expired_completions_do_not_count(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules)
    expired, valid = people(org.branch_a1, 2)
    for person in (expired, valid):
        assign(setup, person)
    complete(expired, modules[0], expires_at=NOW - timedelta(days=1))
    complete(expired, modules[1])
    complete(valid, modules[0], expires_at=NOW + timedelta(days=1))
    complete(valid, modules[1])
    node = report_for(admin, setup).units[org.branch_a1.id]
    assert (node.assigned, node.ready) == (2, 1)
    # The day after, the second one has expired too.
    later = report_for(admin, setup, now=NOW + timedelta(days=2)).units[org.branch_a1.id]
    assert later.ready == 0


def test_a_major_version_makes_earlier_completions_out_of_date(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules)
    person = make_user(org.branch_a1)
    assign(setup, person)
    done_all(person, modules)
    assert report_for(admin, setup).units[org.branch_a1.id].ready == 1
    add_version(modules[0], is_major=False)  # a minor version: still valid
    assert report_for(admin, setup).units[org.branch_a1.id].ready == 1
    add_version(modules[0], is_major=True)  # a major version: redo the module
    assert report_for(admin, setup).units[org.branch_a1.id].ready == 0
    complete(person, modules[0])  # done again, with the new version
    assert report_for(admin, setup).units[org.branch_a1.id].ready == 1


def test_only_the_current_completion_counts(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules)
    person = make_user(org.branch_a1)
    assign(setup, person)
    complete(person, modules[1])
    complete(person, modules[0])
    # A later completion that has already expired replaces the earlier valid one.
    complete(person, modules[0], expires_at=NOW - timedelta(hours=1))
    assert report_for(admin, setup).units[org.branch_a1.id].ready == 0


def test_people_who_left_drop_out(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules)
    stays = make_user(org.branch_a1)
    deactivated = make_user(org.branch_a1, is_active=False)
    moved_out = make_user(org.branch_a1)
    assign(setup, stays)
    assign(setup, deactivated)
    assign(setup, moved_out, removed=True)
    node = report_for(admin, setup).units[org.branch_a1.id]
    assert (node.assigned, node.overdue) == (1, 0)
    listed = people_in_unit(db.session, admin, setup.campaign.id, _node(admin, org.branch_a1), NOW)
    assert [p.user_id for p in listed] == [stays.id]


def _node(viewer, unit):
    return scoped_unit(db.session, viewer, unit.id)


def test_late_joiners_count_with_their_own_due_date(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, due_at=NOW - timedelta(days=1))
    early = make_user(org.branch_a1)
    late_joiner = make_user(org.branch_a1)
    assign(setup, early)
    assign(setup, late_joiner, assigned_at=NOW - timedelta(days=2), due_at=NOW + timedelta(days=12))
    node = report_for(admin, setup).units[org.branch_a1.id]
    assert node.assigned == 2  # both count towards readiness ...
    assert node.overdue == 1  # ... but only the early one is overdue
    overdue, total = overdue_people(db.session, admin, setup.campaign.id, NOW, root_path=None)
    assert total == 1 and overdue[0].user_id == early.id
    assert set(overdue[0].missing_module_ids) == {m.id for m in modules}


def test_optional_modules_do_not_count(world, app):
    org, modules, admin = world
    optional = make_module(org.provider, slug="tax-extra")
    setup = make_campaign(org.network, modules, optional=[optional])
    person = make_user(org.branch_a1)
    assign(setup, person)
    done_all(person, modules)
    node = report_for(admin, setup).units[org.branch_a1.id]
    assert node.ready == 1


def test_refresher_or_full_module_both_count(world):
    org, modules, admin = world
    refresher = make_module(org.provider, slug="tax-basics-refresher")
    setup = make_campaign(org.network, modules[:1])
    cm = db.session.query(CampaignModule).filter_by(campaign_id=setup.campaign.id).one()
    cm.refresher_module_id = refresher.id
    db.session.commit()
    with_refresher, with_full = make_user(org.branch_a1), make_user(org.branch_a1)
    for person in (with_refresher, with_full):
        assign(setup, person)
        row = db.session.query(Assignment).filter_by(user_id=person.id).one()
        row.module_id = refresher.id
        row.is_refresher = True
    db.session.commit()
    complete(with_refresher, refresher)
    complete(with_full, modules[0])
    assert report_for(admin, setup).units[org.branch_a1.id].ready == 2


def test_regions_and_network_add_up_their_branches(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=50)
    a1, b2 = people(org.branch_a1, 2), people(org.branch_b2, 4)
    for person in a1 + b2:
        assign(setup, person)
    done_all(a1[0], modules)
    for person in b2[:3]:
        done_all(person, modules)
    report = report_for(admin, setup)
    assert (report.units[org.region_a.id].assigned, report.units[org.region_a.id].ready) == (2, 1)
    assert (report.units[org.region_b.id].assigned, report.units[org.region_b.id].ready) == (4, 3)
    network = report.units[org.network.id]
    assert (network.assigned, network.ready) == (6, 4)
    assert report.units[org.branch_a2.id].status == Status.NO_ONE


def test_a_manager_sees_only_their_units(world):
    org, modules, _admin = world
    setup = make_campaign(org.network, modules)
    for unit in (org.branch_a1, org.branch_b1):
        for person in people(unit, 2):
            assign(setup, person)
    manager = make_user(org.region_a, Role.MANAGER)
    report = report_for(manager, setup)
    assert set(report.units) == {org.region_a.id, org.branch_a1.id, org.branch_a2.id}
    assert [r.id for r in report.roots] == [org.region_a.id]
    assert report.total(report.campaign.rule).assigned == 2


def add_snapshots(setup, series):
    """Daily snapshots as the scheduler takes them: each unit counts its whole subtree.

    `series` maps a unit to its own people's (assigned, [ready per day, oldest first]),
    ending yesterday.
    """
    from collections import defaultdict

    from app.readiness.models import ReadinessSnapshot

    today = NOW.astimezone(TZ).date()
    totals = defaultdict(lambda: [0, 0])
    for unit, (assigned, ready_per_day) in series.items():
        for index, ready in enumerate(ready_per_day):
            day = today - timedelta(days=len(ready_per_day) - index)
            chain = [int(part) for part in unit.path.strip("/").split("/") if part]
            for unit_id in chain:
                totals[(unit_id, day)][0] += assigned
                totals[(unit_id, day)][1] += ready
    for (unit_id, day), (assigned, ready) in totals.items():
        db.session.add(
            ReadinessSnapshot(
                campaign_id=setup.campaign.id,
                unit_id=unit_id,
                day=day,
                assigned=assigned,
                ready=ready,
                overdue=0,
                taken_at=NOW,
            )
        )
    db.session.commit()


def test_status_follows_the_forecast(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=80)
    fast, slow = people(org.branch_a1, 5), people(org.branch_b1, 5)
    for person in fast + slow:
        assign(setup, person)
    for person in fast[:3]:
        done_all(person, modules)
    done_all(slow[0], modules)
    # a1 went from 0 to 3 ready over the last week; b1 stayed at 1.
    add_snapshots(
        setup,
        {org.branch_a1: (5, [0, 0, 1, 1, 2, 2, 3]), org.branch_b1: (5, [1] * 7)},
    )
    report = report_for(admin, setup)
    a1, b1 = report.units[org.branch_a1.id], report.units[org.branch_b1.id]
    assert a1.status == Status.ON_TRACK
    assert a1.projection.method == "deadline_pace"
    assert a1.projection.low <= a1.projection.ready <= a1.projection.high
    assert b1.status == Status.AT_RISK
    assert b1.projection.ready == pytest.approx(1)  # stalled for a week: stays where it is
    # After the due date nothing is "at risk" any more: not ready is not ready.
    late = report_for(admin, setup, now=setup.campaign.due_at + timedelta(days=1))
    assert late.units[org.branch_b1.id].status == Status.NOT_READY


def test_on_launch_day_it_is_too_early_to_tell_not_at_risk(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=80)
    for person in people(org.branch_a1, 4) + people(org.branch_b1, 3):
        assign(setup, person)
    report = report_for(admin, setup, now=setup.campaign.assign_at + timedelta(hours=2))
    statuses = {u.unit.code: u.status for u in report.units.values() if u.assigned}
    assert set(statuses.values()) == {Status.TOO_EARLY}
    assert report.units[org.branch_a1.id].projected_share is None
    assert report.total(report.campaign.rule).status == Status.TOO_EARLY


def test_a_region_is_the_sum_of_its_branches_and_never_contradicts_them(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules, percent=80)
    a1, a2 = people(org.branch_a1, 6), people(org.branch_a2, 4)
    staff = people(org.region_a, 2)  # people of the region itself, counted once, there
    for person in a1 + a2 + staff:
        assign(setup, person)
    for person in a1[:5] + staff[:1]:
        done_all(person, modules)
    add_snapshots(
        setup,
        {
            org.branch_a1: (6, [0, 1, 1, 2, 3, 4, 5]),
            org.branch_a2: (4, [0] * 7),
            org.region_a: (2, [0, 0, 0, 1, 1, 1, 1]),
        },
    )
    report = report_for(admin, setup)
    region = report.units[org.region_a.id]
    branches = report.branches_below(org.region_a.id)
    assert [b.unit.code for b in branches] == ["a1", "a2"]
    assert region.assigned == sum(b.assigned for b in branches) + region.direct_assigned == 12
    assert region.ready == sum(b.ready for b in branches) + region.direct_ready == 6
    own = region.projection.ready - sum(b.projection.ready for b in branches)
    assert 1 <= own <= 2  # the region's own two people
    assert report.units[org.branch_a2.id].status == Status.AT_RISK
    # a1 is on track, a2 at risk: the region is at risk, whatever its sum says.
    assert region.status == Status.AT_RISK
    assert region.branches_at_risk == 1
    network = report.units[org.network.id]
    assert network.assigned == region.assigned and network.status == Status.AT_RISK
    total = report.total(report.campaign.rule)
    assert total.ready == network.ready and total.status == Status.AT_RISK


def test_person_modules_explain_each_status(world):
    org, modules, admin = world
    setup = make_campaign(org.network, modules)
    person = make_user(org.branch_a1)
    assign(setup, person, due_at=NOW - timedelta(days=1))
    complete(person, modules[0], expires_at=NOW - timedelta(days=1))
    rows = person_modules(db.session, setup.campaign.id, person.id, NOW)
    assert [(r.module_id, r.status) for r in rows] == [
        (modules[0].id, "expired"),
        (modules[1].id, "not_started"),
    ]
    assert all(r.is_late(NOW) for r in rows)
    assert ASSIGN_AT < NOW
