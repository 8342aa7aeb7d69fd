"""`flask tracking ...`: rebuild the derived tables from the statements, forward to the LRS."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.timekeeping import clock

MAX_LISTED = 50


@click.group("tracking")
def tracking_cli() -> None:
    """The learning record: statements, derived tables, LRS forwarding."""


@tracking_cli.command("rebuild")
@click.option("--check", is_flag=True, help="Only report differences; exit 1 if there are any.")
@with_appcontext
def rebuild_command(check: bool) -> None:
    """Recompute progress and completions from the statements and report any difference."""
    from app.tracking.rebuild import rebuild_derived

    report = rebuild_derived(db.session, check=check)
    for difference in report.differences[:MAX_LISTED]:
        click.echo(str(difference))
    if len(report.differences) > MAX_LISTED:
        click.echo(f"... and {len(report.differences) - MAX_LISTED} more")
    if check:
        db.session.rollback()
        click.echo(
            f"{report.statements} statement(s) replayed, "
            f"{len(report.differences)} difference(s) found"
        )
        if report.differences:
            sys.exit(1)
        return
    db.session.commit()
    click.echo(
        f"{report.statements} statement(s) replayed, {len(report.differences)} difference(s) "
        f"repaired for {len(report.repaired_users)} learner(s)"
    )


@tracking_cli.command("forward")
@click.option("--retry-parked", is_flag=True, help="Retry statements the LRS refused for good.")
@with_appcontext
def forward_command(retry_parked: bool) -> None:
    """Send due statements from the outbox to the LRS (XAPI_LRS_URL), with retries."""
    from app.tracking.lrs import forward_due, lrs_settings_from_config
    from app.tracking.lrs import retry_parked as put_back

    settings = lrs_settings_from_config()
    if settings is None:
        click.echo("XAPI_LRS_URL is not set: forwarding is off")
        return
    now = clock.now()
    if retry_parked:
        count = put_back(db.session, now)
        db.session.commit()
        click.echo(f"{count} parked statement(s) put back in line")
    report = forward_due(db.session, settings, now)
    click.echo(str(report))
    if report.failed:
        sys.exit(1)
