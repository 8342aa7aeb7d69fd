"""`flask api ...`: make API tokens for scripts from the shell."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.api.tokens import MAX_DAYS, TokenError, create_token
from app.extensions import db
from app.people.operations import find_user_by_email
from app.timekeeping import clock


@click.group("api")
def api_cli() -> None:
    """The JSON API: tokens for scripts and BI tools."""


@api_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="Script", show_default=True, help="What the token is for.")
@click.option(
    "--days",
    type=click.IntRange(1, MAX_DAYS),
    default=None,
    help="Days until the token expires (default: API_TOKEN_DAYS, 90 unless configured).",
)
@with_appcontext
def create_token_command(email: str, name: str, days: int | None) -> None:
    """Make an API token for the user with EMAIL and print it once on standard output."""
    user = find_user_by_email(db.session, email)
    if user is None or not user.is_active:
        raise click.ClickException(f"There is no active user with the e-mail address {email}.")
    try:
        token, secret = create_token(
            db.session,
            user,
            name=name,
            days=days or current_app.config["API_TOKEN_DAYS"],
            now=clock.now(),
        )
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(secret)
    expiry = token.expires_at.strftime("%Y-%m-%d %H:%M UTC") if token.expires_at else "never"
    click.echo(
        f"Token {token.token_prefix}… “{token.name}” for {user.email}; expires: {expiry}. "
        "Store it now: it cannot be shown again.",
        err=True,
    )
