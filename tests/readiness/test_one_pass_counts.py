"""The report page reads its units' counts, the heat map's cells and the first overdue people
in one pass over the assignments, and the overdue list reads only assignments past their due
date: both give the numbers of the separate, unfiltered queries."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event

from app.campaigns.models import Notice
from app.extensions import db
from app.people.models import Role
from app.readiness.queries.heatmap import module_cells_by_unit
from app.readiness.queries.overdue import overdue_people
from app.readiness.queries.report import readiness_report
from app.readiness.queries.scope import UnitNode, campaign_for, scope_roots, scoped_unit
from app.readiness.queries.unit_counts import direct_counts
from tests.factories import make_org, make_user
from tests.readiness.helpers import NOW, assign, complete, make_campaign, make_module

TZ = ZoneInfo("Europe/Zurich")


def _scene():
    """Two regions; done, half done, expired, removed, late, late joiner and not yet due."""
    org = make_org()
    m1, m2 = make_module(org.provider), make_module(org.provider)
    setup = make_campaign(org.network, [m1, m2])
    due_passed = NOW - timedelta(days=2)
    done, half, expired, removed, late, joiner = (
        make_user(org.branch_a1),
        make_user(org.branch_a1),
        make_user(org.branch_a2),
        make_user(org.branch_b1),
        make_user(org.branch_b1),
        make_user(org.branch_b2),
    )
    for person in (done, half, expired):
        assign(setup, person, due_at=due_passed)
    assign(setup, removed, due_at=due_passed, removed=True)
    assign(setup, late, due_at=due_passed)
    assign(setup, joiner, due_at=NOW + timedelta(days=10))
    for module in (m1, m2):
        complete(done, module)
        complete(expired, module, expires_at=NOW - timedelta(days=1))
    complete(half, m1)
    complete(late, m2)
    db.session.commit()
    return org, setup, [m1, m2], {"done": done, "half": half, "expired": expired, "late": late}


def _seen_by(viewer, setup, unit):
    """The campaign, the root unit and its path as `viewer` sees them (`unit` None: all)."""
    campaign = campaign_for(db.session, viewer, setup.campaign.id)
    root = scoped_unit(db.session, viewer, unit.id) if unit is not None else None
    return campaign, root, root.path if root is not None else None


def _report_counting_statements(viewer, campaign, root, **options):
    """The readiness report and the SQL statements it ran."""
    statements: list[str] = []
    note = lambda _c, _cur, sql, *_rest: statements.append(sql)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        report = readiness_report(
            db.session, viewer, campaign, root=root, now=NOW, tz=TZ, **options
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return report, statements


def test_one_pass_gives_the_counts_and_cells_of_the_separate_queries(app):
    org, setup, modules, _people = _scene()
    manager = make_user(org.region_a, Role.MANAGER)
    admin = make_user(org.network, Role.ADMIN)
    for viewer, unit in ((admin, None), (admin, org.region_b), (manager, None)):
        campaign, root, root_path = _seen_by(viewer, setup, unit)
        report, statements = _report_counting_statements(viewer, campaign, root, with_cells=True)
        plain = readiness_report(db.session, viewer, campaign, root=root, now=NOW, tz=TZ)
        cells = module_cells_by_unit(
            db.session, viewer, setup.campaign.id, NOW, root_path=root_path
        )
        counts = direct_counts(db.session, viewer, setup.campaign.id, NOW, root_path=root_path)
        assert report.cells is not None and plain.cells is None
        assert sorted(report.cells, key=repr) == sorted(cells, key=repr)
        assert {u: (n.assigned, n.ready, n.overdue) for u, n in report.units.items()} == {
            u: (n.assigned, n.ready, n.overdue) for u, n in plain.units.items()
        }
        assert {c.unit_id: (c.assigned, c.ready) for c in counts} == {
            u: (n.direct_assigned, n.direct_ready)
            for u, n in report.units.items()
            if n.direct_assigned
        }
        assert len(statements) == 4  # units, counts with cells, history, reference curves
    admin_report = readiness_report(
        db.session,
        admin,
        campaign_for(db.session, admin, setup.campaign.id),
        root=None,
        now=NOW,
        tz=TZ,
        with_cells=True,
    )
    by_cell = {(c.key, c.module_id): (c.assigned, c.done) for c in admin_report.cells}
    m1, m2 = (m.id for m in modules)
    # done + half in A1; the expired completion does not count in A2; removed is left out.
    assert by_cell[(org.branch_a1.id, m1)] == (2, 2)
    assert by_cell[(org.branch_a1.id, m2)] == (2, 1)
    assert by_cell[(org.branch_a2.id, m1)] == (1, 0)
    assert by_cell[(org.branch_b1.id, m2)] == (1, 1)
    network = admin_report.units[org.network.id]
    assert (network.assigned, network.ready, network.overdue) == (5, 1, 3)


def test_overdue_list_reads_only_past_due_assignments_and_misses_nobody(app):
    org, setup, modules, people = _scene()
    admin = make_user(org.network, Role.ADMIN)
    rows, total = overdue_people(db.session, admin, setup.campaign.id, NOW, root_path=None)
    by_person = {row.user_id: row.missing_module_ids for row in rows}
    m1, m2 = (m.id for m in modules)
    assert total == 3
    assert by_person == {
        people["half"].id: (m2,),
        people["expired"].id: tuple(sorted((m1, m2))),
        people["late"].id: (m1,),
    }
    # Once the half-done person finishes, they drop out; the late joiner is not late yet.
    complete(people["half"], modules[1])
    rows, total = overdue_people(db.session, admin, setup.campaign.id, NOW, root_path=None)
    assert total == 2 and people["half"].id not in {row.user_id for row in rows}


def test_the_reports_overdue_people_are_the_overdue_lists_first_page(app):
    org, setup, modules, people = _scene()
    manager = make_user(org.region_b, Role.MANAGER)
    admin = make_user(org.network, Role.ADMIN)
    reminded = people["late"].id
    key = lambda user_id: f"reminder:{user_id}"  # noqa: E731
    db.session.add(
        Notice(user_id=reminded, kind="reminder", params={}, url="/", dedupe_key=key(reminded),
               created_at=NOW)
    )  # fmt: skip
    db.session.commit()
    for viewer, unit, limit in ((admin, None, 2), (admin, None, 10), (admin, org.region_a, 1),
                                (manager, None, 10)):  # fmt: skip
        campaign, root, root_path = _seen_by(viewer, setup, unit)
        report, statements = _report_counting_statements(
            viewer, campaign, root, with_cells=True, overdue_limit=limit
        )
        assert len(statements) == 4  # the overdue people come with the counts
        expected = overdue_people(
            db.session, viewer, setup.campaign.id, NOW, root_path=root_path,
            limit=limit, reminder_key=key,
        )  # fmt: skip
        assert report.overdue_people(db.session, key) == expected
    # The whole network: three people late, each with the modules they miss, one reminded.
    rows, total = readiness_report(
        db.session, admin, campaign_for(db.session, admin, setup.campaign.id),
        root=None, now=NOW, tz=TZ, with_cells=True, overdue_limit=10,
    ).overdue_people(db.session, key)  # fmt: skip
    m1, m2 = (m.id for m in modules)
    assert total == 3
    assert {row.user_id: row.missing_module_ids for row in rows} == {
        people["half"].id: (m2,),
        people["expired"].id: tuple(sorted((m1, m2))),
        people["late"].id: (m1,),
    }
    assert [row.user_id for row in rows if row.reminded_today] == [reminded]


def test_scope_roots_are_the_units_below_no_other_of_the_list():
    nodes = [
        UnitNode(n, f"u{n}", f"U{n}", "branch", path.count("/") - 2, path)
        for n, path in enumerate(("/1/2/", "/1/2/3/", "/1/23/", "/4/", "/4/5/6/", "/7/8/"))
    ]
    assert [u.path for u in scope_roots(nodes)] == ["/1/2/", "/1/23/", "/4/", "/7/8/"]
