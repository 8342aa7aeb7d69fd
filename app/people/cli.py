"""`flask users ...`: create the first administrator and manage accounts from the shell."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.audit import record_event
from app.extensions import db
from app.people.models import Role, User
from app.people.operations import find_user_by_email, grant_role, normalise_email, set_password
from app.people.passwords import check_password_policy


@click.group("users")
def users_cli() -> None:
    """Accounts and roles."""


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--first-name", default="Admin", show_default=True)
@click.option("--last-name", default="", show_default=True)
@click.password_option(prompt="Password for the administrator")
@with_appcontext
def create_admin(email: str, first_name: str, last_name: str, password: str) -> None:
    """Create an administrator (there are no default accounts)."""
    policy = check_password_policy(password, personal=(email, first_name, last_name))
    if not policy.ok:
        raise click.ClickException(" ".join(policy.problems))
    user = find_user_by_email(db.session, email)
    if user is None:
        user = User(email=normalise_email(email), first_name=first_name, last_name=last_name)
        db.session.add(user)
        db.session.flush()
    set_password(user, password, current_app.config["PASSWORD_HASH"])
    grant_role(db.session, user, Role.ADMIN)
    record_event(
        db.session, "role.granted", object_type="user", object_id=user.id, role="admin", by="cli"
    )
    db.session.commit()
    click.echo(f"{user.email} is an administrator.")
