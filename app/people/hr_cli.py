"""`flask users import|export|invite|erase|export-data`: HR files, invitations, personal data."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.people.field_rules import PeopleError
from app.people.hr_file import EXPORT_HEADER, HrFileError
from app.people.hr_plan import Plan
from app.people.hr_sync import ImportRefused, apply_plan, export_rows, paused_gc, plan_import
from app.people.invitations import InvitationError, send_invitation, send_invitations
from app.people.models import User
from app.people.operations import find_user_by_email
from app.people.personal_data import erase_person, export_person_data, record_data_export
from app.web.csv_export import csv_bytes

# How many rows of each category the dry run prints (the counts are always complete).
SHOWN_PER_CATEGORY = 20


def _echo_plan(plan: Plan, source: str) -> None:
    counts = plan.counts()
    click.echo(
        "{rows} rows: {created} to create, {changed} to change, {moved} to move, "
        "{deactivated} to deactivate, {unchanged} unchanged, {bad_rows} bad rows".format(**counts)
    )
    if plan.ignored_columns:
        click.echo(f"ignored columns: {', '.join(plan.ignored_columns)}")
    for creation in plan.creations[:SHOWN_PER_CATEGORY]:
        click.echo(
            f"  create  row {creation.row}: {creation.hr_number} {creation.display_name} "
            f"<{creation.email}> in {creation.unit_code}"
        )
    for update in plan.updates[:SHOWN_PER_CATEGORY]:
        parts = [f"{c.field}: {c.before or '-'} -> {c.after or '-'}" for c in update.changes]
        if update.is_move:
            parts.append(f"unit: {update.unit_before or '-'} -> {update.unit_after}")
        click.echo(
            f"  update  row {update.row}: {update.hr_number} {update.display_name}: "
            + "; ".join(parts)
        )
    for deactivation in plan.deactivations[:SHOWN_PER_CATEGORY]:
        click.echo(
            f"  deactivate: {deactivation.hr_number} {deactivation.display_name} "
            f"<{deactivation.email}>"
        )
    # Every bad row, as "file: row N: reason" (the counts above tell how many).
    for error in plan.errors:
        click.echo(f"{source}: {error.text()}", err=True)


def _person(email: str) -> User:
    person = find_user_by_email(db.session, email)
    if person is None:
        raise click.ClickException(f"no person with the e-mail address {email}")
    return person


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--full-export", is_flag=True, help="The file lists everyone: deactivate the rest.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--skip-errors", is_flag=True, help="Import the good rows, leave the bad ones out.")
@click.option(
    "--invite/--no-invite",
    default=True,
    show_default=True,
    help="E-mail new people a link to choose their password.",
)
@with_appcontext
def import_command(
    file: Path, full_export: bool, dry_run: bool, skip_errors: bool, invite: bool
) -> None:
    """Import people from an HR file (CSV or XLSX); nothing changes while rows are bad."""
    started = time.perf_counter()
    try:
        plan = plan_import(
            db.session,
            file.read_bytes(),
            filename=file.name,
            importer=None,
            is_full_export=full_export,
        )
    except HrFileError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    _echo_plan(plan, str(file))
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: nothing changed ({time.perf_counter() - started:.1f} s)")
        return
    if plan.has_errors and not skip_errors:
        db.session.rollback()
        raise click.ClickException(
            f"{len(plan.bad_rows)} bad row(s); nothing was imported. Fix them, or pass "
            "--skip-errors to import the good rows only."
        )
    work = len(plan.creations) + len(plan.updates) + len(plan.deactivations)
    try:
        with click.progressbar(length=work, label="Importing", file=sys.stderr) as bar:
            result = apply_plan(
                db.session,
                plan,
                actor=None,
                ip=None,
                skip_errors=skip_errors,
                filename=file.name,
                progress=bar.update,
            )
        invited = 0
        if invite and result.created_people:
            people = result.created_people
            with click.progressbar(length=len(people), label="Inviting", file=sys.stderr) as bar:
                for start in range(0, len(people), 1000):
                    batch = people[start : start + 1000]
                    with paused_gc():
                        invited += len(send_invitations(db.session, batch, actor=None, ip=None))
                    bar.update(len(batch))
        db.session.commit()
    except (ImportRefused, PeopleError) as exc:
        db.session.rollback()
        raise click.ClickException(f"{file}: {exc}; nothing was imported") from None
    except BaseException:
        db.session.rollback()
        raise
    click.echo(
        f"imported: {result.created} created, {result.changed} changed, {result.moved} moved, "
        f"{result.deactivated} deactivated, {result.skipped_rows} bad rows skipped, "
        f"{invited} invitations queued ({time.perf_counter() - started:.1f} s)"
    )


@click.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_command(file: Path | None) -> None:
    """Write the active people as an HR file (CSV) that imports back unchanged."""
    rows, left_out = export_rows(db.session, None)
    data = csv_bytes(EXPORT_HEADER, rows)
    if file is None or str(file) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        file.write_bytes(data)
        click.echo(f"{file}: {len(rows)} people", err=True)
    if left_out:
        click.echo(f"{left_out} active people without HR number or unit were left out", err=True)


@click.command("invite")
@click.argument("email")
@with_appcontext
def invite_command(email: str) -> None:
    """(Re)send a person the invitation e-mail to choose their password."""
    person = _person(email)
    try:
        invitation = send_invitation(db.session, person, actor=None, ip=None)
    except InvitationError as exc:
        messages = {
            "inactive": "the person is deactivated",
            "has_password": "the person already has a password (they can reset it)",
        }
        raise click.ClickException(messages.get(exc.reason, exc.reason)) from None
    db.session.commit()
    click.echo(
        f"invitation queued for {person.email}, "
        f"valid until {invitation.expires_at:%Y-%m-%d %H:%M} UTC"
    )


@click.command("export-data")
@click.argument("email")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def export_data_command(email: str, file: Path | None) -> None:
    """Export everything stored about one person as JSON."""
    person = _person(email)
    data = export_person_data(db.session, person)
    record_data_export(db.session, person, actor=None, ip=None)
    db.session.commit()
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    if file is None or str(file) == "-":
        click.echo(text)
    else:
        file.write_text(text + "\n", encoding="utf-8")
        click.echo(f"{file}: data of person {person.id}", err=True)


@click.command("erase")
@click.argument("email")
@click.option("--confirm", "confirm_email", help="The e-mail address again (else asked).")
@with_appcontext
def erase_command(email: str, confirm_email: str | None) -> None:
    """Erase a person on request: pseudonymise them everywhere and deactivate (irreversible)."""
    person = _person(email)
    if confirm_email is None:
        click.echo("This cannot be undone. The person's learning records stay, under a pseudonym.")
        confirm_email = click.prompt("Type the person's e-mail address to confirm")
    try:
        erase_person(db.session, person, confirm_email=confirm_email, actor=None, ip=None)
    except PeopleError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"person {person.id} erased")


HR_COMMANDS = (import_command, export_command, invite_command, export_data_command, erase_command)


def add_hr_commands(group: click.Group) -> None:
    """Add the HR file, invitation and personal-data commands to `flask users`."""
    for command in HR_COMMANDS:
        group.add_command(command)
