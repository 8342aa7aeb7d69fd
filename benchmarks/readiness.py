"""Benchmark of the readiness queries on a network of 50,000 people and 1,000 branches.

    .venv/bin/python benchmarks/readiness.py                      # SQLite (a temporary file)
    BENCH_DATABASE_URL=postgresql+psycopg://user@host/db \\
        .venv/bin/python benchmarks/readiness.py                  # SQLite, then PostgreSQL

On PostgreSQL the script creates (and afterwards drops) its own database `<db>_readiness_bench`
next to the one named in the URL; it never touches that one. The schema comes from the
migrations, the data from bulk inserts: 1 network, 20 regions, 1,000 branches, 50,000 people,
a campaign with 3 required modules (150,000 assignments), about 110,000 completions (some
expired, some of an out-of-date major version).

It prints figures only (no timed assertions): the best of five runs of the whole-network
readiness report, the unit × module heat map, the first page of the overdue list and the daily
snapshot, next to a baseline measured in the same run (`SELECT count(*), max(completed_at)
FROM completions`, a full read of the completions) and each one's ratio to it, so that runs
on different machines can be compared.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

REGIONS = 20
BRANCHES = 1_000
PEOPLE = 50_000
MODULES = 3
RUNS = 5
CHUNK = 5_000
NOW = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)
TZ = ZoneInfo("Europe/Zurich")


def _app(url: str):
    os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-" + "x" * 40)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="readiness-bench-"))
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})


def _insert(connection: Any, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(table.insert(), rows[start : start + CHUNK])


def build(db: Any) -> dict[str, Any]:
    """Fill the database with the benchmark network (bulk inserts, one transaction)."""
    from app.campaigns.models import CampaignState
    from app.people.models import Role, UnitKind
    from app.tracking.statements import ObjectKind, Verb

    meta = db.metadata.tables
    rng = random.Random(7)
    created = NOW - timedelta(days=60)
    units, people, roles = [], [], []
    units.append(
        {
            "id": 1,
            "parent_id": None,
            "kind": UnitKind.NETWORK,
            "code": "net",
            "name": "Network",
            "path": "/1/",
            "depth": 0,
            "created_at": created,
        }
    )
    branch_ids = []
    next_id = 2
    for r in range(REGIONS):
        region_id = next_id
        next_id += 1
        units.append(
            {
                "id": region_id,
                "parent_id": 1,
                "kind": UnitKind.REGION,
                "code": f"r{r}",
                "name": f"Region {r:02d}",
                "path": f"/1/{region_id}/",
                "depth": 1,
                "created_at": created,
            }
        )
        for b in range(BRANCHES // REGIONS):
            branch_id = next_id
            next_id += 1
            branch_ids.append(branch_id)
            units.append(
                {
                    "id": branch_id,
                    "parent_id": region_id,
                    "kind": UnitKind.BRANCH,
                    "code": f"b{r}-{b}",
                    "name": f"Branch {r:02d}-{b:02d}",
                    "path": f"/1/{region_id}/{branch_id}/",
                    "depth": 2,
                    "created_at": created,
                }
            )
    for n in range(1, PEOPLE + 1):
        people.append(
            {
                "id": n,
                "email": f"p{n}@example.org",
                "first_name": "P",
                "last_name": f"{n:05d}",
                "unit_id": branch_ids[(n - 1) % BRANCHES],
                "is_active": n % 97 != 0,
                "session_version": 1,
                "created_at": created,
                "preferred_language": "fr",
            }
        )
    admin_id = PEOPLE + 1
    people.append(
        {
            "id": admin_id,
            "email": "admin@example.org",
            "first_name": "A",
            "last_name": "Admin",
            "unit_id": 1,
            "is_active": True,
            "session_version": 1,
            "created_at": created,
        }
    )
    roles.append({"user_id": admin_id, "role": Role.ADMIN, "created_at": created})
    with db.engine.begin() as c:
        _insert(c, meta["units"], units)
        _insert(c, meta["users"], people)
        _insert(c, meta["role_assignments"], roles)
        c.execute(
            meta["providers"].insert(),
            [{"id": 1, "slug": "it", "name": "IT", "created_at": created}],
        )
        modules, versions = [], []
        for m in range(1, MODULES + 1):
            modules.append(
                {
                    "id": m,
                    "slug": f"module-{m}",
                    "provider_id": 1,
                    "source_language": "fr",
                    "status": "published",
                    "created_at": created,
                }
            )
            for number in (1, 2):
                versions.append(
                    {
                        "id": m * 10 + number,
                        "module_id": m,
                        "number": number,
                        "is_major": m == 3 and number == 2,
                        "change_note": "",
                        "content_hash": f"{m}-{number}",
                        "minutes": 5,
                        "published_at": created + timedelta(days=number),
                        "created_at": created,
                    }
                )
        _insert(c, meta["modules"], modules)
        _insert(c, meta["module_versions"], versions)
        c.execute(
            meta["campaigns"].insert(),
            [
                {
                    "id": 1,
                    "name": {"fr": "Impôts 2027"},
                    "theme": {},
                    "description_markdown": "",
                    "description_html": "",
                    "owner_unit_id": 1,
                    "state": CampaignState.ACTIVE,
                    "assign_at": NOW - timedelta(days=30),
                    "due_at": NOW + timedelta(days=14),
                    "starts_at": NOW + timedelta(days=14),
                    "ends_at": NOW + timedelta(days=90),
                    "readiness_percent": 80,
                    "readiness_min_per_branch": 2,
                    "reminder_days": [],
                    "remind_weekly_overdue": True,
                    "send_digests": False,
                    "late_joiner_days": 14,
                    "audience_roles": [],
                    "is_yearly": False,
                    "registration": str(uuid.uuid4()),
                    "created_at": created,
                    "updated_at": created,
                }
            ],
        )
        c.execute(
            meta["campaign_audience_units"].insert(),
            [{"campaign_id": 1, "unit_id": 1, "include_subunits": True, "added_at": created}],
        )
        _insert(
            c,
            meta["campaign_modules"],
            [
                {
                    "id": m,
                    "campaign_id": 1,
                    "module_id": m,
                    "is_required": True,
                    "position": m,
                    "added_at": created,
                }
                for m in range(1, MODULES + 1)
            ],
        )
        assignments, statements, completions = [], [], []
        statement_id = 0
        for person in range(1, PEOPLE + 1):
            # Some people are late joiners with a later due date; some are already overdue.
            due = NOW + timedelta(days=14)
            if person % 10 == 0:
                due = NOW - timedelta(days=3)
            elif person % 13 == 0:
                due = NOW + timedelta(days=30)
            done = rng.random()
            for m in range(1, MODULES + 1):
                assignments.append(
                    {
                        "campaign_id": 1,
                        "campaign_module_id": m,
                        "user_id": person,
                        "module_id": m,
                        "is_required": True,
                        "is_refresher": False,
                        "assigned_at": NOW - timedelta(days=30),
                        "due_at": due,
                        "removed_at": NOW - timedelta(days=1) if person % 211 == 0 else None,
                    }
                )
                if done < 0.75 - 0.1 * m:
                    statement_id += 1
                    at = NOW - timedelta(days=rng.randint(1, 300))
                    statements.append(
                        {
                            "id": statement_id,
                            "uuid": str(uuid.UUID(int=statement_id)),
                            "user_id": person,
                            "verb": Verb.COMPLETED,
                            "object_kind": ObjectKind.MODULE,
                            "object_iri": f"https://example.org/m/{m}",
                            "module_id": m,
                            "timestamp": at,
                            "stored_at": at,
                            "payload": {},
                        }
                    )
                    completions.append(
                        {
                            "user_id": person,
                            "module_id": m,
                            "module_version_id": m * 10 + (1 if rng.random() < 0.5 else 2),
                            "number": 1,
                            "completed_at": at,
                            "score_percent": 80.0,
                            "expires_at": at + timedelta(days=365) if m == 2 else None,
                            "is_current": True,
                            "statement_id": statement_id,
                        }
                    )
        _insert(c, meta["assignments"], assignments)
        _insert(c, meta["statements"], statements)
        _insert(c, meta["completions"], completions)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    return {
        "units": len(units),
        "people": PEOPLE,
        "assignments": len(assignments),
        "completions": len(completions),
        "admin_id": admin_id,
    }


def best_of(function: Callable[[], Any]) -> float:
    """The best wall time of `RUNS` runs, in milliseconds."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def page(app: Any, admin: Any, campaign: Any) -> int:
    """The whole-network readiness page's model (every table and figure); its statements."""
    from app.extensions import db
    from app.readiness import presenters
    from app.readiness.forms import UnitFilters

    statements = []
    note = lambda *args: statements.append(1)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        with app.test_request_context("/"):
            presenters.report_page(
                db.session,
                admin,
                campaign,
                unit=None,
                filters=UnitFilters(),
                now=NOW,
                tz=TZ,
                language="fr",
                reminder_key=lambda user_id: f"bench-{user_id}",
            )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return len(statements)


def export(session: Any, admin: Any, campaign_id: int, now: datetime) -> None:
    """The streamed overdue export: time to the first and the last person, peak memory."""
    import tracemalloc

    from app.readiness.queries.overdue import stream_overdue_people

    for traced in (False, True):
        if traced:
            tracemalloc.start()
        start = time.perf_counter()
        people = stream_overdue_people(session, admin, campaign_id, now, root_path=None)
        next(people)
        first = (time.perf_counter() - start) * 1000
        count = 1 + sum(1 for _ in people)
        total = (time.perf_counter() - start) * 1000
        if traced:
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            print(f"{'overdue export: peak Python memory':46s} {peak:9.1f} MB ({count} people)")
        else:
            print(f"{'overdue export (streamed): first person':46s} {first:9.1f} ms")
            print(f"{'overdue export (streamed): all people':46s} {total:9.1f} ms")


def measure(url: str, label: str) -> None:
    """Build the data in the database at `url` and print the timings."""
    app = _app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from app.extensions import db
        from app.people.models import User
        from app.readiness.operations import take_snapshots
        from app.readiness.queries import heatmap, scope
        from app.readiness.queries.overdue import overdue_people
        from app.readiness.queries.report import readiness_report

        upgrade(directory=str(REPO / "migrations"))
        started = time.perf_counter()
        sizes = build(db)
        print(f"\n== {label} ({db.engine.dialect.name}) ==")
        print(
            f"built {sizes['units']} units, {sizes['people']} people, {sizes['assignments']} "
            f"assignments, {sizes['completions']} completions in "
            f"{time.perf_counter() - started:.1f} s"
        )
        session = db.session
        admin = session.get(User, sizes["admin_id"])
        campaign = scope.campaign_for(session, admin, 1)
        assert campaign is not None

        def baseline() -> None:
            session.execute(sa.text("SELECT count(*), max(completed_at) FROM completions")).one()

        def readiness() -> None:
            report = readiness_report(session, admin, campaign, root=None, now=NOW, tz=TZ)
            assert report.units[1].assigned > 0

        def heat_map() -> None:
            heatmap.module_cells_by_unit(session, admin, campaign.id, NOW, root_path=None)

        def overdue() -> None:
            rows, total = overdue_people(session, admin, campaign.id, NOW, root_path=None, limit=50)
            assert total > 0 and rows

        def snapshot() -> None:
            take_snapshots(session, NOW, tz=TZ)
            session.rollback()

        base = best_of(baseline)
        print(f"{'baseline: count(*), max(completed_at) of completions':46s} {base:9.1f} ms")
        for name, function in (
            ("readiness page model, whole network", lambda: page(app, admin, campaign)),
            ("readiness report, whole network", readiness),
            ("unit x module heat map, whole network", heat_map),
            ("overdue list, first page of 50", overdue),
            ("daily snapshot INSERT ... SELECT (rolled back)", snapshot),
        ):
            elapsed = best_of(function)
            print(f"{name:46s} {elapsed:9.1f} ms   x{elapsed / base:7.1f} baseline")
        print(f"{'readiness page model: SQL statements':46s} {page(app, admin, campaign):9d}")
        export(session, admin, campaign.id, NOW)
        # A year on, most people are overdue: the export at tens of thousands of rows.
        export(session, admin, campaign.id, NOW + timedelta(days=365))
        report = readiness_report(session, admin, campaign, root=None, now=NOW, tz=TZ)
        network = report.units[1]
        print(
            f"network: {network.ready} of {network.assigned} ready, {network.overdue} overdue, "
            f"{network.branches_short} of {network.branches} branches below the minimum"
        )
        session.remove()
        db.engine.dispose()


def main() -> None:
    """Run on SQLite, then on PostgreSQL when BENCH_DATABASE_URL is set."""
    with tempfile.TemporaryDirectory() as folder:
        measure(f"sqlite:///{folder}/bench.sqlite3", "SQLite")
    pg = os.environ.get("BENCH_DATABASE_URL", "")
    if pg.startswith("postgresql"):
        url = sa.make_url(pg)
        name = f"{url.database}_readiness_bench"
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            measure(url.set(database=name).render_as_string(hide_password=False), "PostgreSQL")
        finally:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
