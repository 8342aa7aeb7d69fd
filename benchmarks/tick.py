"""Benchmark of `flask campaigns tick` at network scale: 50,000 people in 1,000 branches.

Builds a fresh, migrated database (SQLite in a temporary folder; PostgreSQL too when
BENCH_DATABASE_URL or TEST_DATABASE_URL is set: a scratch database next to it is created and
dropped), one campaign with three required modules for the whole network, and times:

- launch: the first tick on the assignment date (150,000 assignments, 50,000 notices and
  e-mails written to the outbox);
- the same tick again (nothing to do: the no-op cost of every later run);
- the 21-day reminder tick (50,000 reminders, a digest for each of the 1,021 managers) and
  that tick again.

Each is compared with baselines measured in the same run on the same database: inserting the
50,000 people, and a plain SELECT count(*) over the assignments. It prints figures and asserts
nothing about time. Mail delivery is left out (it depends on the SMTP server, not the tick).

    .venv/bin/python benchmarks/tick.py [--people 50000] [--branches 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ASSIGN_AT = datetime(2027, 1, 31, 23, 0, tzinfo=UTC)
DUE_AT = datetime(2027, 3, 1, 22, 59, 59, tzinfo=UTC)


# CPU seconds of this process per step: on a shared, loaded machine the wall time mostly
# measures the neighbours; on SQLite this is all the work, on PostgreSQL the client's share.
CPU: dict[str, float] = {}


@contextmanager
def timed(results: dict[str, float], label: str):
    """Time the block into results[label] (seconds) and its CPU time into CPU[label]."""
    started, cpu = time.perf_counter(), time.process_time()
    yield
    results[label] = time.perf_counter() - started
    CPU[label] = time.process_time() - cpu


def make_app(url: str, instance: Path):
    """The application bound to `url`, with its schema built by the migrations."""
    os.environ.update(
        {
            "APP_ENV": "testing",
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "benchmark-" + "x" * 40,
            "LOG_LEVEL": "WARNING",
        }
    )
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "BABEL_DEFAULT_LOCALE": "fr",
            "BABEL_DEFAULT_TIMEZONE": "Europe/Zurich",
            "CAMPAIGNS_BASE_URL": "https://ready.example.org",
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def build_network(people: int, branches: int, results: dict[str, float]) -> None:
    """Units (1 network, 20 regions, N branches), managers, people, modules, the campaign."""
    from app.campaigns import audience_operations as audience_ops
    from app.campaigns import module_operations as module_ops
    from app.campaigns import operations as ops
    from app.content.models import Module, ModuleStatus, ModuleVariant, ModuleVersion
    from app.extensions import db
    from app.people.models import Provider, Role, RoleAssignment, Unit, UnitKind, User

    session = db.session
    now = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    network = Unit(kind=UnitKind.NETWORK, code="net", name="Network", depth=0, path="")
    session.add(network)
    session.flush()
    network.path = f"/{network.id}/"
    regions = []
    for r in range(20):
        region = Unit(
            kind=UnitKind.REGION, code=f"r{r}", name=f"Region {r}", depth=1, parent_id=network.id
        )
        session.add(region)
        regions.append(region)
    session.flush()
    for region in regions:
        region.path = f"{network.path}{region.id}/"
    session.flush()
    rows = [
        {
            "kind": UnitKind.BRANCH,
            "code": f"b{b}",
            "name": f"Branch {b}",
            "depth": 2,
            "parent_id": regions[b % 20].id,
            "path": "",
            "created_at": now,
        }
        for b in range(branches)
    ]
    session.execute(sa.insert(Unit), rows)
    branch_rows = session.execute(
        sa.select(Unit.id, Unit.parent_id).where(Unit.kind == UnitKind.BRANCH)
    ).all()
    parent_paths = {r.id: r.path for r in regions}
    session.execute(
        sa.update(Unit),
        [{"id": uid, "path": f"{parent_paths[pid]}{uid}/"} for uid, pid in branch_rows],
    )
    branch_ids = [uid for uid, _ in branch_rows]
    languages = ("fr", "de", "it", "en")
    with timed(results, "baseline: insert people"):
        session.execute(
            sa.insert(User),
            [
                {
                    "email": f"person{n}@example.org",
                    "first_name": f"First{n}",
                    "last_name": f"Last{n}",
                    "preferred_language": languages[n % 4],
                    "unit_id": branch_ids[n % len(branch_ids)],
                    "is_active": True,
                    "session_version": 1,
                    "created_at": now,
                }
                for n in range(people)
            ],
        )
    manager_units = [network.id, *(r.id for r in regions), *branch_ids]
    session.execute(
        sa.insert(User),
        [
            {
                "email": f"manager{n}@example.org",
                "first_name": "Manager",
                "last_name": str(n),
                "preferred_language": "fr",
                "unit_id": unit_id,
                "is_active": True,
                "session_version": 1,
                "created_at": now,
            }
            for n, unit_id in enumerate(manager_units)
        ],
    )
    managers = session.execute(
        sa.select(User.id, User.unit_id).where(User.email.like("manager%"))
    ).all()
    session.execute(
        sa.insert(RoleAssignment),
        [
            {"user_id": uid, "role": Role.MANAGER, "unit_id": unit, "created_at": now}
            for uid, unit in managers
        ],
    )
    provider = Provider(slug="ju-it", name="Jura IT")
    session.add(provider)
    session.flush()
    modules = []
    for m in range(3):
        module = Module(
            slug=f"bench-{m}",
            provider_id=provider.id,
            source_language="fr",
            status=ModuleStatus.PUBLISHED,
        )
        session.add(module)
        session.flush()
        version = ModuleVersion(
            module_id=module.id,
            number=1,
            is_major=True,
            content_hash="x" * 64,
            minutes=5,
            published_at=now,
        )
        session.add(version)
        session.flush()
        for language in languages:
            session.add(
                ModuleVariant(
                    version_id=version.id,
                    language=language,
                    title=f"Module {m} ({language})",
                    summary="",
                    tags=[],
                    minutes=5,
                    content_hash="y" * 64,
                    markdown="",
                )
            )
        module.current_version_id = version.id
        modules.append(module)
    session.flush()
    campaign = ops.create_campaign(
        session,
        ops.CampaignFields(
            name={"fr": "Déclaration d'impôt 2027", "de": "Steuererklärung 2027"},
            theme={},
            description="Benchmark",
            owner_unit_id=network.id,
            owner_provider_id=None,
            assign_at=ASSIGN_AT,
            due_at=DUE_AT,
            starts_at=DUE_AT,
            ends_at=datetime(2027, 3, 31, 21, 59, 59, tzinfo=UTC),
        ),
        actor=None,
        now=now,
    )
    for module in modules:
        module_ops.add_module(session, campaign, module, is_required=True, refresher=None, now=now)
    audience_ops.add_audience_unit(session, campaign, network, include_subunits=True, now=now)
    audience_ops.set_audience_roles(session, campaign, [], now=now)
    ops.schedule_campaign(session, campaign, actor=None, now=now)
    session.commit()


def run(url: str, label: str, people: int, branches: int) -> None:
    """Build the network in a fresh database at `url` and print the tick's figures."""
    from app.campaigns.models import Assignment
    from app.extensions import db
    from app.platform.tick import tick_once

    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(url, Path(folder))
        with app.app_context():
            build_network(people, branches, results)
            moments = [
                ("launch (first tick)", ASSIGN_AT.replace(hour=23, minute=5)),
                ("launch again (no-op)", ASSIGN_AT.replace(hour=23, minute=10)),
                ("21-day reminders", datetime(2027, 2, 8, 6, 0, tzinfo=UTC)),
                ("21-day reminders again (no-op)", datetime(2027, 2, 8, 6, 5, tzinfo=UTC)),
            ]
            reports = {}
            for name, moment in moments:
                with timed(results, name):
                    reports[name] = tick_once(moment, deliver=False)
            with timed(results, "baseline: SELECT count(*) FROM assignments"):
                assignments = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment))
            db.session.remove()
            db.engine.dispose()
    insert_people = results["baseline: insert people"]
    count = results["baseline: SELECT count(*) FROM assignments"]
    print(f"\n== {label}: {people:,} people in {branches:,} branches, 3 required modules ==")
    print(
        f"{'step':34} {'seconds':>9} {'CPU s':>7} {'× insert people':>16} {'× count(*)':>12}"
        "  what it did"
    )
    _line("baseline: insert people", insert_people, insert_people, count, "")
    _line("baseline: count(*) assignments", count, insert_people, count, f"({assignments:,} rows)")
    for name, _moment in moments:
        report = reports[name]
        did = ", ".join(
            f"{key}={value:,}"
            for key, value in report.items()
            if value
            and key in ("assigned", "announced", "reminders", "digests", "notices", "emails")
        )
        _line(name, results[name], insert_people, count, did or "nothing")


def _line(name: str, seconds: float, insert_people: float, count: float, did: str) -> None:
    """One row of the table: seconds, and the ratios to both baselines."""
    print(
        f"{name:34} {seconds:9.4f} {CPU.get(name, 0.0):7.2f} {seconds / insert_people:16.2f}"
        f" {seconds / count:12.0f}  {did}"
    )


def _postgres_scratch(base_url: str) -> tuple[str, sa.Engine, str]:
    url = sa.make_url(base_url)
    name = f"{url.database}_tick_bench"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), admin, name


def main() -> None:
    """Run on SQLite, then on PostgreSQL when a URL is given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--branches", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", "SQLite", args.people, args.branches)
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if base and base.startswith("postgresql"):
        url, admin, name = _postgres_scratch(base)
        try:
            run(url, "PostgreSQL", args.people, args.branches)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        print("\n(PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL to include it.)")


if __name__ == "__main__":
    main()
