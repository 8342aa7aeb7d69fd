"""The `flask plain-language` command and the demo loader: the shipped glossaries."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.plain_language.operations import (
    load_shipped_acceptances,
    load_shipped_glossaries,
)
from app.timekeeping import clock

plain_language_cli = click.Group("plain-language", help="The plain-language glossary.")


def load_glossaries(echo: Callable[[str], None] = print) -> None:
    """Bring the shared glossary up to the shipped files (also run by `flask demo`)."""
    now = clock.now()
    results = load_shipped_glossaries(db.session, now=now)
    for language, result in results.items():
        echo(
            f"glossary {language}: {len(result.created)} added, {len(result.updated)} updated, "
            f"{result.unchanged} unchanged"
        )
    kept, skipped = load_shipped_acceptances(db.session, now=now)
    echo(
        f"terms kept on purpose by shipped modules: {kept} "
        f"({skipped} for modules not imported yet: run this again after `flask content import`)"
    )


@plain_language_cli.command("load")
@with_appcontext
def load_command() -> None:
    """Load the shipped glossaries (de, fr, it, en) into the shared glossary; safe to repeat."""
    try:
        load_glossaries(echo=click.echo)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
