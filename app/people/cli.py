"""`flask users|units|providers ...`: the administration pages' operations, for scripts.

Commands run as the platform operator (the audit rows have no actor, which reads "system");
every refusal exits non-zero with a message naming the field and the value.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.people import operations as ops
from app.people import role_operations as role_ops
from app.people import unit_operations as unit_ops
from app.people.field_rules import PeopleError, normalise_email
from app.people.models import Provider, Role, Unit, UnitKind, User
from app.people.operations import find_user_by_email, set_password
from app.people.passwords import check_password_policy
from app.people.role_operations import grant_role


@click.group("users")
def users_cli() -> None:
    """Accounts and roles."""


@click.group("units")
def units_cli() -> None:
    """The organisation tree: add, rename, move and close units."""


@click.group("providers")
def providers_cli() -> None:
    """Content providers: add and rename."""


def _one_transaction(command: Callable[..., str]) -> Callable[..., None]:
    """Run a command in one transaction: commit and print its message, or roll back and fail."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            message = command(*args, **kwargs)
        except PeopleError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None
        except click.ClickException:
            db.session.rollback()
            raise
        db.session.commit()
        click.echo(message)

    return run


def _unit(code: str, what: str = "unit") -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None:
        raise click.ClickException(f"{what}: no unit has the code {code!r}")
    return unit


def _provider(slug: str) -> Provider:
    provider = db.session.scalar(select(Provider).where(Provider.slug == slug.strip()))
    if provider is None:
        raise click.ClickException(f"provider: no provider has the short name {slug!r}")
    return provider


def _person(key: str) -> User:
    """Find a person by e-mail address or HR number."""
    person = find_user_by_email(db.session, key)
    if person is None:
        person = db.session.scalar(select(User).where(User.hr_number == key.strip()))
    if person is None:
        raise click.ClickException(f"person: nobody has the e-mail address or HR number {key!r}")
    return person


# --- users ------------------------------------------------------------------------------


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
    grant_role(db.session, user, Role.ADMIN)  # records "role.granted" itself
    db.session.commit()
    click.echo(f"{user.email} is an administrator.")


@users_cli.command("add")
@click.argument("email")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--unit", "unit_code", help="Code of the person's unit.")
@click.option("--language", type=click.Choice(LANGUAGES), help="Preferred language.")
@click.option("--hr-number", help="Number in the HR system.")
@with_appcontext
@_one_transaction
def add_user(
    email: str,
    first_name: str,
    last_name: str,
    unit_code: str | None,
    language: str | None,
    hr_number: str | None,
) -> str:
    """Add a person (a learner; they sign in once invited or through single sign-on)."""
    person = ops.create_person(
        db.session,
        email=email,
        first_name=first_name,
        last_name=last_name,
        unit=_unit(unit_code) if unit_code else None,
        language=language,
        hr_number=hr_number,
        actor=None,
        ip=None,
    )
    return f"{person.email} has been added."


@users_cli.command("edit")
@click.argument("person_key", metavar="PERSON")
@click.option("--email", help="New e-mail address.")
@click.option("--first-name")
@click.option("--last-name")
@click.option("--language", help=f"One of {', '.join(LANGUAGES)}, or '' to clear.")
@click.option("--hr-number", help="New HR number, or '' to clear.")
@with_appcontext
@_one_transaction
def edit_user(person_key: str, **options: str | None) -> str:
    """Change a person's details (PERSON is an e-mail address or an HR number)."""
    person = _person(person_key)
    names = {"language": "preferred_language"}
    changes = {names.get(k, k): v for k, v in options.items() if v is not None}
    if not changes:
        raise click.ClickException("nothing to change: give at least one option")
    changed = ops.update_person(db.session, person, actor=None, ip=None, **changes)
    if not changed:
        return f"{person.email}: nothing changed."
    return f"{person.email}: changed {', '.join(sorted(changed))}."


@users_cli.command("move")
@click.argument("person_key", metavar="PERSON")
@click.argument("unit_code", metavar="UNIT")
@with_appcontext
@_one_transaction
def move_user(person_key: str, unit_code: str) -> str:
    """Move a person to another unit (UNIT is the unit's code)."""
    person = _person(person_key)
    changed = ops.update_person(db.session, person, actor=None, ip=None, unit=_unit(unit_code))
    if not changed:
        return f"{person.email} is already in {unit_code}."
    return f"{person.email} has moved to {unit_code}."


@users_cli.command("deactivate")
@click.argument("person_key", metavar="PERSON")
@with_appcontext
@_one_transaction
def deactivate_user(person_key: str) -> str:
    """Deactivate a person: signed out everywhere, no more sign-in."""
    person = _person(person_key)
    ops.deactivate_user(db.session, person, actor=None, ip=None)
    return f"{person.email} is deactivated."


@users_cli.command("reactivate")
@click.argument("person_key", metavar="PERSON")
@with_appcontext
@_one_transaction
def reactivate_user(person_key: str) -> str:
    """Let a deactivated person sign in again."""
    person = _person(person_key)
    ops.reactivate_user(db.session, person, actor=None, ip=None)
    return f"{person.email} is active."


ROLE_CHOICE = click.Choice([r.value for r in Role])


def _scope(unit_code: str | None, provider_slug: str | None) -> tuple[Unit | None, Provider | None]:
    return (
        _unit(unit_code) if unit_code else None,
        _provider(provider_slug) if provider_slug else None,
    )


@users_cli.command("grant")
@click.argument("person_key", metavar="PERSON")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--unit", "unit_code", help="For a manager: the unit (and everything below it).")
@click.option("--provider", "provider_slug", help="For a trainer: the provider's short name.")
@with_appcontext
@_one_transaction
def grant(person_key: str, role: str, unit_code: str | None, provider_slug: str | None) -> str:
    """Give a person a role in a scope."""
    person = _person(person_key)
    unit, provider = _scope(unit_code, provider_slug)
    role_ops.grant_role(db.session, person, Role(role), unit=unit, provider=provider)
    return f"{person.email} is {role}" + (
        f" of {unit_code or provider_slug}." if unit or provider else "."
    )


@users_cli.command("revoke")
@click.argument("person_key", metavar="PERSON")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--unit", "unit_code", help="For a manager: which unit's role.")
@click.option("--provider", "provider_slug", help="For a trainer: which provider's role.")
@with_appcontext
@_one_transaction
def revoke(person_key: str, role: str, unit_code: str | None, provider_slug: str | None) -> str:
    """Take back one of a person's roles."""
    person = _person(person_key)
    unit, provider = _scope(unit_code, provider_slug)
    matches = [
        a
        for a in person.roles
        if a.role == Role(role)
        and (unit is None or a.unit_id == unit.id)
        and (provider is None or a.provider_id == provider.id)
    ]
    if not matches:
        raise click.ClickException(f"role: {person.email} holds no such {role} role")
    if len(matches) > 1:
        raise click.ClickException(
            f"role: {person.email} holds {len(matches)} {role} roles; "
            "say which with --unit or --provider"
        )
    role_ops.revoke_role(db.session, matches[0], actor=None, ip=None)
    return f"{person.email} is no longer {role}."


# --- units ------------------------------------------------------------------------------


@units_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option(
    "--kind", type=click.Choice([k.value for k in UnitKind]), required=True, help="Level."
)
@click.option("--parent", "parent_code", help="Code of the parent unit.")
@with_appcontext
@_one_transaction
def add_unit(code: str, name: str, kind: str, parent_code: str | None) -> str:
    """Add a unit below a parent of the right level."""
    parent = _unit(parent_code, "parent") if parent_code else None
    unit = unit_ops.create_unit(
        db.session, code=code, name=name, kind=UnitKind(kind), parent=parent, actor=None, ip=None
    )
    return f"{unit.code} ({unit.name}) has been added."


@units_cli.command("rename")
@click.argument("code")
@click.argument("name")
@with_appcontext
@_one_transaction
def rename_unit(code: str, name: str) -> str:
    """Give a unit a new name."""
    unit = _unit(code)
    unit_ops.rename_unit(db.session, unit, name, actor=None, ip=None)
    return f"{unit.code} is now called {unit.name}."


@units_cli.command("move")
@click.argument("code")
@click.argument("parent_code", metavar="PARENT")
@with_appcontext
@_one_transaction
def move_unit(code: str, parent_code: str) -> str:
    """Move a unit, with everything below it, under another parent."""
    unit = _unit(code)
    unit_ops.move_unit(db.session, unit, _unit(parent_code, "parent"), actor=None, ip=None)
    return f"{unit.code} now sits below {parent_code}."


@units_cli.command("close")
@click.argument("code")
@with_appcontext
@_one_transaction
def close_unit(code: str) -> str:
    """Close a unit and the units below it (history stays)."""
    unit = _unit(code)
    unit_ops.close_unit(db.session, unit, actor=None, ip=None)
    return f"{unit.code} is closed."


# --- providers --------------------------------------------------------------------------


@providers_cli.command("add")
@click.argument("slug")
@click.argument("name")
@with_appcontext
@_one_transaction
def add_provider(slug: str, name: str) -> str:
    """Add a content provider."""
    provider = unit_ops.create_provider(db.session, slug=slug, name=name, actor=None, ip=None)
    return f"{provider.slug} ({provider.name}) has been added."


@providers_cli.command("rename")
@click.argument("slug")
@click.argument("name")
@with_appcontext
@_one_transaction
def rename_provider(slug: str, name: str) -> str:
    """Give a provider a new name."""
    provider = _provider(slug)
    unit_ops.rename_provider(db.session, provider, name, actor=None, ip=None)
    return f"{provider.slug} is now called {provider.name}."
