"""`flask demo generate --size XS|S|M|L`: a network at scale, with three years of history.

For measuring, not for showing: XS (50 people, 3 branches) for tests, S (500 / 20), M (5,000 /
200) and L (50,000 / 1,000), each with modules in several versions and languages, quizzes,
campaigns over three years and a learning history whose derived rows come from the tracking
feature's own projection (see app/demo/generate_learning.py). Rows are written with bulk
inserts; the same seed gives the same data on the same day. It refuses a database that already
has people unless told `--force` (then everything it adds gets a tag in its codes and e-mails).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select, text

from app.db import refresh_sqlite_statistics
from app.demo.generate_bulk import BulkWriter
from app.demo.generate_campaigns import build_campaigns
from app.demo.generate_content import build_content
from app.demo.generate_history import build_history
from app.demo.generate_load import bulk_load
from app.demo.generate_org import build_people, build_tree
from app.demo.generate_sizes import PASSWORD, SIZES, Run, Size
from app.extensions import db
from app.people.models import User
from app.people.passwords import hash_password
from app.timekeeping import clock
from app.timekeeping.days import day_start
from app.tracking.operations import tracking_config


def generate(
    size: Size, *, seed: int, progress: Callable[[int], Callable[[int], None]] | None = None
) -> tuple[BulkWriter, dict[str, str]]:
    """Write a generated network of `size` in the session's transaction (the caller commits).

    `progress(total)` returns the step function of a progress bar of `total` units. Returns the
    writer (its `counts` per table) and the log-ins worth printing.
    """
    session = db.session
    tz = clock.platform_zone()
    run = Run(size, random.Random(seed), now=day_start(clock.today(), tz), tz=tz)
    highest = session.scalar(select(func.max(User.id)))
    tag = f"x{highest + 1}" if highest else ""
    password_hash = hash_password(PASSWORD, current_app.config["PASSWORD_HASH"])
    writer = BulkWriter(session.connection())
    with bulk_load(session.connection()):
        try:
            org = build_tree(writer, run, tag)
            build_people(writer, run, org, password_hash)
            step = (progress or (lambda _total: lambda _n: None))(size.modules + len(org.learners))
            modules = build_content(writer, run, org, step)
            tasks = build_campaigns(writer, run, org, modules)
            build_history(writer, run, org, modules, tasks, tracking_config().iris, step)
            writer.finish()
        finally:
            writer.close()  # no chunk is still being written when the caller rolls back
    # Fresh statistics, so that the first queries on millions of new rows plan well (on SQLite
    # as the tick keeps them).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
    else:
        refresh_sqlite_statistics(session.connection())
    return writer, org.logins


@click.command("generate")
@click.option(
    "--size", type=click.Choice(list(SIZES), case_sensitive=False), default="S", show_default=True
)
@click.option("--seed", type=int, default=2027, show_default=True, help="Same seed, same data.")
@click.option("--force", is_flag=True, help="Add to a database that already has people.")
@with_appcontext
def generate_command(size: str, seed: int, force: bool) -> None:
    """Generate a network at scale with three years of learning history (for benchmarks)."""
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("generated data must not be written in production")
    people = db.session.scalar(select(func.count(User.id))) or 0
    if people and not force:
        raise click.ClickException(
            f"the database already has {people} people; use --force to add generated data"
        )
    started = time.perf_counter()
    bars: list = []

    def progress(total: int) -> Callable[[int], None]:
        bar = click.progressbar(length=total, label=f"Generating {size.upper()}", file=sys.stderr)
        bars.append(bar.__enter__())
        return bar.update

    try:
        writer, logins = generate(SIZES[size.upper()], seed=seed, progress=progress)
    finally:
        for bar in bars:
            bar.__exit__(None, None, None)
    db.session.commit()
    elapsed = time.perf_counter() - started
    for table, count in sorted(writer.counts.items()):
        click.echo(f"  {table:26} {count:>10,}")
    click.echo(f"Generated size {size.upper()} (seed {seed}) in {elapsed:.1f} s")
    click.echo(f"Log-ins (password for all: {PASSWORD}):")
    for role, email in logins.items():
        click.echo(f"  {role:32} {email}")
