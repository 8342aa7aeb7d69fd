#!/usr/bin/env python3
"""Benchmark the platform's pages and commands at a generated size, on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/run.py --database sqlite --size S
    .venv/bin/python benchmarks/run.py --database postgresql --url postgresql://u:p@host/x --size L

Generates the size once (`flask demo generate`, kept in --data-dir for SQLite, in the database
counter_ready_bench_<size> on PostgreSQL) and gives each run a fresh copy. Serves the app
under gunicorn with one sync worker (benchmarks/bench/wsgi.py adds a bare Flask endpoint and
an SQL statement count header), signs in as the learner with the longest history and as the
first region's manager, and measures each scenario: the worker's CPU time per request (from
/proc, plus the PostgreSQL backends' on PostgreSQL) and its ratio to the bare endpoint in the
same run, SQL statements, response size, requests per second and p50/p95/p99 at 1 and 16
concurrent clients, errors and the worker's RSS. Then times `flask campaigns tick` and
`flask mail deliver` (to a local SMTP sink). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import requests
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import commands, page_reads, quiz_writes, scenarios, server  # noqa: E402 (after the path is set)
from bench.measure import Lane, Request, lanes_of, measure_scenario  # noqa: E402

BARE_FACTOR = 5  # the bare endpoint and /healthz get five times the requests
SCENARIO_ORDER = (
    "bare endpoint", "app /healthz", "home", "my learning", "catalogue", "module page",
    "reader page", "quiz start", "readiness index", "campaign readiness", "CSV export",
    "whole-network readiness", "heat map export", "xAPI statements API", "next page", "save answer",
    "submit",
)  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--url",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"),
        help="PostgreSQL server URL (its database names are replaced)",
    )
    parser.add_argument("--size", choices=("XS", "S", "M", "L"), default="S", type=str.upper)
    parser.add_argument("--requests", type=int, default=200, help="requests per phase")
    parser.add_argument("--concurrency", default="1,16", help="client counts, comma-separated")
    parser.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "cr-bench"))
    parser.add_argument("--fresh", action="store_true", help="generate again even if kept")
    parser.add_argument("--no-commands", action="store_true", help="skip tick and mail")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--only",
        type=lambda names: {name.strip() for name in names.split(",")},
        help="measure only these scenarios (comma-separated names; the baseline always)",
    )
    parser.add_argument("--venv", default=str(Path(sys.executable).parent))
    args = parser.parse_args()
    if args.database == "postgresql" and not args.url:
        parser.error("--database postgresql needs --url (or BENCH_DATABASE_URL)")
    return args


def _pg_backends(database_url: str) -> list[int]:
    """The PostgreSQL backend processes serving the run's database (the worker's pool)."""
    url = sa.make_url(database_url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": url.database},
        ).scalars()
        found = list(pids)
    engine.dispose()
    return found


def _clones(session: requests.Session, count: int) -> list[requests.Session]:
    clones = []
    for _ in range(count):
        clone = requests.Session()
        clone.cookies.update(session.cookies)
        clones.append(clone)
    return clones


def _measure(ctx: dict, session: requests.Session, request: Request, total: int) -> dict:
    """Measure one page: the session (or clones of it, one per client) asks for it again."""

    def lanes_for(clients: int, count: int) -> list[Lane]:
        return lanes_of(_clones(session, clients) if clients > 1 else [session], request, count)

    return measure_scenario(ctx, lanes_for, total)


def _run_pages(args: argparse.Namespace, env: dict, database_url: str, people) -> dict:
    """Serve the app and measure every scenario; return rows by scenario name."""
    venv = Path(args.venv)
    _t, token_output = commands.flask(REPO, venv, env, "api", "create-token", people.manager)
    token = token_output.strip().splitlines()[0].strip()
    running = server.start(REPO, venv, env)
    rows: dict[str, dict] = {}
    try:
        learner = scenarios.sign_in(running.base, people.learner)
        manager = scenarios.sign_in(running.base, people.manager)
        network = scenarios.sign_in(running.base, people.network_manager)
        csrf = scenarios.csrf_of(manager, f"{running.base}/readiness/")
        network_csrf = scenarios.csrf_of(network, f"{running.base}/readiness/")
        sessions = {"learner": learner, "manager": manager, "network": network}
        ctx = {
            "base": running.base,
            "requests": args.requests,
            "concurrency": [int(c) for c in args.concurrency.split(",")],
            "worker": running.worker,
            "db_pids": (lambda: _pg_backends(database_url))
            if args.database == "postgresql"
            else (lambda: []),
        }
        for name, who, request in scenarios.scenarios(people, (csrf, network_csrf), token):
            if args.only and name not in args.only and who != "bare":
                continue
            if request is None:
                rows[name] = {"missing": True}
                continue
            session = sessions.get(who) or requests.Session()
            # The baseline is so cheap that the 10 ms CPU clock needs more requests to see it.
            total = args.requests * (BARE_FACTOR if who == "bare" else 1)
            rows[name] = _measure(ctx, session, request, total)
            print(f"measured {name}: {rows[name]['cpu_ms']:.2f} ms CPU", file=sys.stderr)
        # Last: they add statements, progress and attempts (other learners than the pages' one).
        if not args.only or "next page" in args.only:
            rows.update(page_reads.measure(ctx, database_url, people.learner))
        if not args.only or {"save answer", "submit"} & args.only:
            rows.update(quiz_writes.measure(ctx, database_url, people.learner))
    finally:
        running.stop()
    return rows


def _run_commands(args: argparse.Namespace, env: dict) -> dict[str, dict]:
    """Time the scheduler's tick and the delivery of the mail it queued."""
    venv = Path(args.venv)
    tick_seconds, tick_output = commands.flask(REPO, venv, env, "campaigns", "tick", "--no-deliver")
    port = server.free_port()
    with commands.SmtpSink(port) as sink:
        mail_env = dict(env, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port))
        mail_seconds, mail_output = commands.flask(REPO, venv, mail_env, "mail", "deliver")
        delivered = sink.messages
    return {
        "flask campaigns tick": {"seconds": tick_seconds, "note": tick_output.strip()},
        "flask mail deliver": {
            "seconds": mail_seconds,
            "note": f"{delivered} messages received; " + mail_output.strip().splitlines()[-1],
        },
    }


def _answered(row: dict) -> bool:
    """Tell whether the scenario's probe got the status it expects (200, or 303 after a form)."""
    return row["status"] in row.get("expected", (200,))


def _table(rows: dict[str, dict], concurrency: list[int], only: set[str] | None) -> list[str]:
    """Format the scenario rows as a Markdown table (ratios against the bare endpoint)."""
    bare = rows.get("bare endpoint", {}).get("cpu_ms") or 0.0
    phases = " | ".join(f"rps c{c} | p50/p95/p99 ms c{c}" for c in concurrency)
    head = f"| scenario | CPU ms/req | DB ms/req | × bare | SQL | KB | {phases} | errors | RSS MB |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name in SCENARIO_ORDER:
        row = rows.get(name)
        if row is None and only:
            continue  # not asked for
        if row is None or row.get("missing"):
            lines.append(f"| {name} | not found in the data |")
            continue
        ratio = row["cpu_ms"] / bare if bare else 0.0
        cells = [
            name + ("" if _answered(row) else f" [HTTP {row['status']}]"),
            f"{row['cpu_ms']:.2f}",
            f"{row['db_ms']:.2f}",
            f"{ratio:.1f}×" if bare else "–",
            str(row["sql"]),
            f"{row['kb']:.1f}",
        ]
        for clients in concurrency:
            phase = row[f"c{clients}"]
            cells += [
                f"{phase['rps']:.1f}",
                f"{phase['p50']:.1f} / {phase['p95']:.1f} / {phase['p99']:.1f}",
            ]
        cells += [str(row["errors"]), f"{row['rss_mb']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    """Prepare the data, measure pages and commands, print the tables."""
    args = _arguments()
    venv = Path(args.venv)
    data_dir = Path(args.data_dir)
    options = {"data_dir": data_dir, "fresh": args.fresh, "url": args.url}
    base_env = commands.environment("sqlite://", data_dir / "instance")
    (data_dir / "instance").mkdir(parents=True, exist_ok=True)
    database, generated = commands.prepare(REPO, venv, base_env, args.database, args.size, options)
    env = dict(base_env, DATABASE_URL=database.url)
    people = scenarios.find_people(database.url)
    print(f"# Benchmark: size {args.size} on {args.database}, {args.requests} requests per phase")
    if generated is not None:
        print(f"generated in {generated:.1f} s")
    print(f"learner {people.learner}; manager {people.manager}; campaign {people.campaign_id}")
    rows = _run_pages(args, env, database.url, people)
    concurrency = [int(c) for c in args.concurrency.split(",")]
    print()
    print("\n".join(_table(rows, concurrency, args.only)))
    timed = {} if args.no_commands else _run_commands(args, env)
    if timed:
        print()
        print("| command | seconds | what it did |")
        print("|---|---|---|")
        for name, figures in timed.items():
            note = " ".join(figures["note"].split())
            print(f"| {name} | {figures['seconds']:.2f} | {note} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"pages": rows, "commands": timed}, indent=1))
    errors = sum(row.get("errors", 0) for row in rows.values())
    bad = [n for n, r in rows.items() if not r.get("missing") and not _answered(r)]
    return 1 if errors or bad else 0


if __name__ == "__main__":
    sys.exit(main())
