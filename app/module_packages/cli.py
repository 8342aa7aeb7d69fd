"""`flask content package export|import`: module packages from the shell (all or nothing)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.content.media_files import media_folder
from app.content.models import Module
from app.extensions import db
from app.module_packages.package_export import ExportRefused, choose_licence, export_package
from app.module_packages.package_format.archive_reader import open_package
from app.module_packages.package_format.manifest import PackageLimits, PackageRefused
from app.module_packages.package_import import SlugRefused, import_package
from app.module_packages.package_reading import limits_from_config
from app.people.models import Provider
from app.timekeeping.clock import now as clock_now

package_cli = click.Group("package", help="Share a module as a package file, or import one.")


def _limits() -> PackageLimits:
    return limits_from_config(current_app.config)


@package_cli.command("export")
@click.argument("slug")
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--licence", "spdx", default=None, help="SPDX licence id, e.g. CC-BY-4.0.")
@click.option("--licence-url", default=None, help="Address of the licence text.")
@click.option(
    "--licence-file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="A file holding the licence text (for a LicenseRef-… licence of your own).",
)
@click.option(
    "--installation",
    default=None,
    help="This installation's address, named as the origin (default: PUBLIC_BASE_URL).",
)
@with_appcontext
def export_command(
    slug: str,
    target: Path,
    spdx: str | None,
    licence_url: str | None,
    licence_file: Path | None,
    installation: str | None,
) -> None:
    """Write the published module SLUG, its media and quizzes to the package TARGET (.zip)."""
    module = db.session.scalar(select(Module).where(Module.slug == slug))
    if module is None:
        raise click.ClickException(f"there is no module '{slug}'")
    installation = installation or current_app.config.get("PUBLIC_BASE_URL") or ""
    if not installation.startswith(("https://", "http://")):
        raise click.ClickException("give --installation https://… (or set PUBLIC_BASE_URL)")
    text = licence_file.read_text(encoding="utf-8") if licence_file else None
    try:
        licence = choose_licence(module, spdx, licence_url, text)
        manifest = export_package(
            db.session,
            module,
            target,
            licence=licence,
            installation=installation.rstrip("/"),
            media_folder=media_folder(current_app.config["UPLOAD_PATH"]),
            actor=None,
            now=clock_now(),
        )
    except ExportRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(
        f"{slug} (version {manifest.content_version}, {len(manifest.languages)} language(s), "
        f"{len(manifest.files)} file(s), licence {manifest.licence.spdx}) -> {target}"
    )


@package_cli.command("import")
@click.argument("package", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--provider", "provider_slug", required=True, help="The provider that owns the copy.")
@click.option("--id", "slug", default=None, help="The copy's module id (default: the package's).")
@click.option("--dry-run", is_flag=True, help="Check everything and write nothing.")
@with_appcontext
def import_command(package: Path, provider_slug: str, slug: str | None, dry_run: bool) -> None:
    """Import PACKAGE as a new module owned by PROVIDER; nothing is written on any error."""
    provider = db.session.scalar(select(Provider).where(Provider.slug == provider_slug))
    if provider is None:
        raise click.ClickException(f"there is no provider '{provider_slug}'")
    with tempfile.TemporaryDirectory() as scratch:
        store = Path(scratch) if dry_run else media_folder(current_app.config["UPLOAD_PATH"])
        try:
            wanted = slug
            if wanted is None:
                with tempfile.TemporaryDirectory() as peek:
                    wanted = open_package(package, Path(peek), _limits()).slug
            module = import_package(
                db.session,
                package,
                provider=provider,
                slug=wanted,
                actor=None,
                now=clock_now(),
                limits=_limits(),
                media_store=store,
            )
        except SlugRefused as exc:
            db.session.rollback()
            click.echo(f"{exc} (give another one with --id)", err=True)
            click.echo("Nothing was imported.")
            sys.exit(1)
        except PackageRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                click.echo(f"{package.name}: {problem}", err=True)
            click.echo(f"Nothing was imported: {len(refused.problems)} error(s).")
            sys.exit(1)
        except BaseException:
            db.session.rollback()
            raise
        origin = module.origin or {}
        summary = (
            f"{module.slug}: copy of '{origin.get('slug')}' by {origin.get('provider')} "
            f"({origin.get('installation')}), licence {module.licence_spdx}, "
            f"owned by {provider.slug}"
        )
        if dry_run:
            db.session.rollback()
            click.echo(f"Dry run, nothing written: would import {summary}.")
        else:
            db.session.commit()
            click.echo(f"Imported {summary}.")
