"""What every administration page shares: the blueprint, refusals that are logged, errors shown
next to the field they name, and small request readers."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import Field

from app.extensions import db
from app.people.field_rules import PeopleError
from app.people.models import Provider, RoleAssignment, Unit, User
from app.permissions import Action, may
from app.platform.audit import record_event_on_its_own

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


# --- refusals and errors ----------------------------------------------------------------


def refuse(message: str, *, status: int = 403, obj: Any = None) -> NoReturn:
    """Log the refusal in the audit log, then answer with a page that says why."""
    record_event_on_its_own(
        db.session,
        "access.refused",
        actor_id=current_user.id,
        object_type=_object_type(obj),
        object_id=getattr(obj, "id", None),
        ip_address=request.remote_addr,
        endpoint=request.endpoint,
        reason=message,
    )
    page = render_template("people/admin/refused.html", message=message, status=status)
    abort(make_response(page, status))


def _object_type(obj: Any) -> str | None:
    """Return the audit log's name for the kind of object refused."""
    return {User: "user", Unit: "unit", Provider: "provider", RoleAssignment: "role"}.get(type(obj))


def person_or_404(user_id: int) -> User:
    """Load a person the viewer may see; others are answered 404 (and logged)."""
    person = db.session.get(User, user_id)
    if person is None or not may(current_user, Action.VIEW_PERSON, person):
        refuse(_("This person does not exist or is outside your units."), status=404)
    return person


def manageable(person: User) -> User:
    """Refuse (403, logged) unless the viewer may change this person."""
    if not may(current_user, Action.MANAGE_PERSON, person):
        if person.id == current_user.id:
            refuse(_("You cannot change your own account or roles here."), obj=person)
        refuse(
            _(
                "%(name)s has roles that reach beyond your own scope; "
                "only someone with a wider role can change this person.",
                name=person.display_name,
            ),
            obj=person,
        )
    return person


# Operation messages start with the field they concern ("e-mail: ..."); the form shows the
# message next to that field.
_FIELD_OF_MESSAGE = {
    "e-mail": "email",
    "first name": "first_name",
    "last name": "last_name",
    "language": "preferred_language",
    "HR number": "hr_number",
    "unit": "unit",
    "code": "code",
    "name": "name",
    "parent": "parent",
    "slug": "slug",
    "role": "role",
    "provider": "provider",
}


def error_text(error: PeopleError) -> str:
    """Return an operation's refusal in the reader's language, without its field prefix."""
    if error.template:
        return _(error.template, **error.params)
    return str(error).partition(": ")[2] or str(error)


def show_error(form: Any, error: PeopleError) -> None:
    """Put an operation's refusal next to the field it names (or at the top of the form)."""
    message = str(error)
    prefix, _sep, _rest = message.partition(": ")
    rest = error_text(error)
    name = _FIELD_OF_MESSAGE.get(prefix)
    field: Field | None = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = [*field.errors, rest]
    else:
        form.form_errors.append(message)


def int_arg(name: str, default: int, upper: int) -> int:
    """Return a whole-number query argument clamped to 1..upper (`default` when unreadable)."""
    try:
        return max(1, min(int(request.args.get(name, default)), upper))
    except ValueError:
        return default


def client_ip() -> str | None:
    """Return the address the request came from, for the audit log."""
    return request.remote_addr


def is_admin_viewer() -> bool:
    """Tell whether the current viewer is an administrator."""
    return may(current_user, Action.ADMINISTER)
