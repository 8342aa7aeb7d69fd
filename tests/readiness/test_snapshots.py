"""Daily snapshots: one INSERT ... SELECT per day, idempotent, taken by the scheduler's tick."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.campaigns.models import CampaignState
from app.extensions import db
from app.platform.hooks import TICK_TASKS
from app.readiness.models import ReadinessSnapshot
from app.readiness.operations import snapshot_tick_task, take_snapshots
from tests.readiness.helpers import NOW


def snapshots(campaign_id):
    rows = db.session.execute(
        select(
            ReadinessSnapshot.unit_id,
            ReadinessSnapshot.day,
            ReadinessSnapshot.assigned,
            ReadinessSnapshot.ready,
            ReadinessSnapshot.overdue,
        ).where(ReadinessSnapshot.campaign_id == campaign_id)
    ).all()
    return {row.unit_id: row for row in rows}


def test_snapshot_counts_each_unit_with_everything_below_it(app, scene):
    with app.app_context():
        inserted = take_snapshots(db.session, NOW)
        db.session.commit()
    assert inserted == 6  # network, 2 regions, 3 branches with people (B2 has nobody)
    rows = snapshots(scene.campaign_id)
    org = scene.org
    assert (rows[org.network.id].assigned, rows[org.network.id].ready) == (7, 3)
    assert rows[org.network.id].overdue == 3
    assert (rows[org.region_a.id].assigned, rows[org.region_a.id].ready) == (5, 2)
    assert (rows[org.branch_a1.id].assigned, rows[org.branch_a1.id].ready) == (3, 2)
    assert (rows[org.branch_b1.id].assigned, rows[org.branch_b1.id].overdue) == (2, 1)
    assert org.branch_b2.id not in rows
    assert rows[org.network.id].day == NOW.date()


def test_a_second_run_the_same_day_changes_nothing(app, scene):
    with app.app_context():
        take_snapshots(db.session, NOW)
        db.session.commit()
        again = take_snapshots(db.session, NOW + timedelta(hours=3))
        db.session.commit()
    assert again == 0
    assert db.session.query(ReadinessSnapshot).count() == 6
    with app.app_context():
        tomorrow = take_snapshots(db.session, NOW + timedelta(days=1))
        db.session.commit()
    assert tomorrow == 6


def test_only_active_campaigns_are_snapshot(app, scene):
    scene.setup.campaign.state = CampaignState.CLOSED
    db.session.commit()
    with app.app_context():
        assert take_snapshots(db.session, NOW) == 0


def test_the_tick_runs_the_snapshot_task(app, scene):
    assert snapshot_tick_task in TICK_TASKS.receivers(app)
    from app.platform.tick import run_tick

    with app.app_context():
        run_tick(db.session, NOW, lock=False)
        db.session.commit()
    assert db.session.query(ReadinessSnapshot).count() >= 6


def test_the_day_is_the_platform_day(app, scene):
    # 23:30 UTC on 14 February is already 15 February in Zurich.
    late = NOW.replace(day=14, hour=23, minute=30)
    with app.app_context():
        take_snapshots(db.session, late)
        db.session.commit()
    assert {row.day for row in snapshots(scene.campaign_id).values()} == {NOW.date()}


def test_two_runs_at_once_insert_each_row_once(app, scene):
    """Two scheduler processes taking the day's snapshot together: the database keeps one."""
    import threading

    from sqlalchemy.orm import Session

    with app.app_context():
        engine = db.engine
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context(), Session(engine) as session:
                barrier.wait(timeout=10)
                results.append(take_snapshots(session, NOW))
                session.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [0, 6]
    assert db.session.query(ReadinessSnapshot).count() == 6
