"""`flask content check|import|export`: the library as files, in and out of the platform."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app.content.exporting import ExportError, export_modules
from app.content.importing import ImportRefused, check_paths, import_library
from app.content.media_files import media_folder
from app.content.media_store import check_media, repair_media
from app.extensions import db
from app.platform.hooks import MODULE_SOURCE_CHECKS
from app.timekeeping.clock import now as clock_now
from app.web.problems import Problem, sort_problems

content_cli = click.Group("content", help="Check, import and export the module library.")


def _print_problems(problems: list[Problem]) -> tuple[int, int]:
    """Print every problem as `file:line: message` (warnings as `file:line: warning: ...`)."""
    errors = warnings = 0
    for problem in problems:
        if problem.is_error:
            errors += 1
            click.echo(str(problem), err=True)
        else:
            warnings += 1
            where = f"{problem.file}:{problem.line}" if problem.line > 0 else problem.file
            click.echo(f"{where}: warning: {problem.message}", err=True)
    return errors, warnings


class _ProgressBar:
    """A progress bar on stderr that starts when the first step reports the total."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: Any = 0, total: int = 0, label: str = "", *_: Any, **__: Any) -> None:
        if isinstance(done, str):  # the quiz import reports one line of text per quiz
            self.close()
            click.echo(f"  {done}", err=True)
            return
        if self.bar is None or (total and self.bar.length != total):
            self.close()
            self.bar = click.progressbar(
                length=max(total, 1), label="Importing", file=sys.stderr, show_pos=True
            )
            self.bar.__enter__()
            self.done = 0
        step = max(done - self.done, 0)
        self.done = done
        self.bar.label = f"Importing {label}"[:60]
        self.bar.update(step)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@content_cli.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_appcontext
def check_command(paths: tuple[Path, ...]) -> None:
    """Check module folders, libraries and quiz files; print every problem as file:line."""
    modules, problems = check_paths(list(paths))
    # Other features' checks (plain language) give warnings only: they never block an import.
    extra = [check(db.session, modules) for check in MODULE_SOURCE_CHECKS.receivers()]
    db.session.rollback()
    warned = [warning for result in extra for warning in result.warnings]
    errors, warnings = _print_problems(sort_problems([*problems, *warned]))
    for note in (note for result in extra for note in result.notes):
        click.echo(str(note))
    click.echo(
        f"{len(modules) if not errors else 'no'} module(s) ready to import; "
        f"{errors} error(s), {warnings} warning(s)."
    )
    if errors:
        sys.exit(1)


@content_cli.command("check-media")
@click.option("--repair", is_flag=True, help="Move committed files left in staging into place.")
@click.option(
    "--remove-orphans", is_flag=True, help="Delete files that no media row names (irreversible)."
)
@with_appcontext
def check_media_command(repair: bool, remove_orphans: bool) -> None:
    """Compare the media folder with the database: files without rows, rows without files."""
    folder = media_folder()
    check = check_media(db.session, folder, now=clock_now())
    for path in check.orphan_files:
        click.echo(f"{path}: no media row names this file")
    for path in check.recent_staged:
        click.echo(f"{path}: staged by an import or upload that may still be running (kept)")
    for media in check.stranded:
        click.echo(f"{media.stored_name}: committed but still in the staging folder")
    for media in check.missing_files:
        click.echo(
            f"{media.stored_name}: file missing for media row {media.id} "
            f"({media.original_name} of module {media.module_id})"
        )
    db.session.rollback()
    if repair or remove_orphans:
        moved, removed = repair_media(
            check, folder, remove_orphans=remove_orphans, move_stranded=repair
        )
        click.echo(f"{moved} file(s) moved into place, {removed} orphan file(s) removed.")
        check = check_media(db.session, folder, now=clock_now())
        db.session.rollback()
    click.echo(
        f"{len(check.orphan_files)} file(s) without a row, "
        f"{len(check.missing_files)} row(s) without a file, "
        f"{len(check.stranded)} committed file(s) in staging."
    )
    if not check.is_clean:
        sys.exit(1)


@content_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--major/--minor",
    default=None,
    help="Mark the changes as major (learners must redo changed modules) or minor (default).",
)
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@with_appcontext
def import_command(paths: tuple[Path, ...], major: bool | None, dry_run: bool) -> None:
    """Import module folders or a whole library (and quizzes): all or nothing."""
    progress = _ProgressBar()
    with tempfile.TemporaryDirectory() as scratch:
        store = Path(scratch) if dry_run else media_folder()
        try:
            report = import_library(
                db.session,
                list(paths),
                now=clock_now(),
                major=major,
                actor=None,
                progress=progress,
                media_store=store,
            )
        except ImportRefused as refused:
            progress.close()
            db.session.rollback()
            errors, warnings = _print_problems(refused.problems)
            click.echo(f"Nothing was imported: {errors} error(s), {warnings} warning(s).")
            sys.exit(1)
        except BaseException:
            progress.close()
            db.session.rollback()
            raise
        progress.close()
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    _print_problems(report.warnings)
    for slug in report.providers_created:
        click.echo(f"provider '{slug}' did not exist: created (rename it in the admin pages)")
    for outcome in report.modules:
        if outcome.outcome != "unchanged":
            kind = "major" if outcome.is_major else "minor"
            click.echo(f"  {outcome.slug}: {outcome.outcome} (version {outcome.version}, {kind})")
    prefix = "Dry run, nothing written: would have " if dry_run else ""
    click.echo(
        f"{prefix}{report.created} created, {report.new_versions} new version(s), "
        f"{report.unchanged} unchanged."
    )
    quizzes = report.quiz_report
    if quizzes is not None:
        click.echo(
            f"Quizzes: {len(getattr(quizzes, 'created', []))} created, "
            f"{len(getattr(quizzes, 'updated', []))} new version(s), "
            f"{len(getattr(quizzes, 'unchanged', []))} unchanged."
        )


@content_cli.command("export")
@click.argument("dest", type=click.Path(path_type=Path, file_okay=False))
@click.option("--module", "slug", default=None, help="Export only the module with this id.")
@with_appcontext
def export_command(dest: Path, slug: str | None) -> None:
    """Write published modules back to the library file format under DEST."""
    try:
        written = export_modules(
            db.session,
            dest,
            media_folder=media_folder(current_app.config["UPLOAD_PATH"]),
            slug=slug,
        )
    except ExportError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.session.rollback()
    for item in written:
        click.echo(f"  {item.slug} (version {item.version}) -> {item.folder}")
    click.echo(f"{len(written)} module(s) exported to {dest}.")
