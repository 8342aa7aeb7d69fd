"""`flask demo`: a realistic demonstration network, loaded idempotently."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from app.demo.generate import generate_command
from app.demo.people import load_demo
from app.extensions import db
from app.people.passwords import hash_password
from app.platform.hooks import DEMO_LOADERS

DEMO_PASSWORD = "counter-ready-2027"


@click.group("demo", invoke_without_command=True)
@with_appcontext
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """Load the demonstration data (safe to run again: nothing is duplicated)."""
    if ctx.invoked_subcommand is not None:
        return  # `flask demo generate`: the scale data, not the demonstration
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("the demo data must not be loaded in production")
    # The loaders go through the real operations, which log every event at INFO: the demo's
    # own summary lines say what happened instead.
    logging.getLogger("app").setLevel(max(logging.WARNING, logging.getLogger("app").level))
    # One hash for every demo account: hashing 160 passwords with argon2id would take a minute.
    password_hash = hash_password(DEMO_PASSWORD, current_app.config["PASSWORD_HASH"])
    logins = load_demo(password_hash, echo=click.echo)
    # Features add loaders (such as importing the shipped courses) in their register(app).
    for loader in DEMO_LOADERS.receivers():
        loader(echo=click.echo)
    # After every loader: the campaign needs the people and the imported modules and quizzes.
    from app.demo.learning import load_demo_campaigns

    load_demo_campaigns(echo=click.echo)
    db.session.commit()
    click.echo(f"\nDemo log-ins (password for all: {DEMO_PASSWORD}):")
    for role, email in logins.items():
        click.echo(f"  {role:32} {email}")


demo_command.add_command(generate_command)
