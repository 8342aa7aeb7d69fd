"""Who may do what to which object: route access declarations and object-level rules.

Every view declares its access with one of the decorators below; a single `before_request`
hook enforces it and refuses any endpoint that declares nothing (deny by default). Object
checks go through `may(user, action, obj)`; a rule that raises denies.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, false, or_, true

from app.people.models import Role, Unit, User

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    """What a route requires: nothing (public), a signed-in user, or one of some roles."""

    is_public: bool = False
    roles: frozenset[Role] | None = None


def _declare(view: F, access: Access) -> F:
    view.access = access  # type: ignore[attr-defined]
    return view


def public(view: F) -> F:
    """Mark a route as open to anyone, signed in or not."""
    return _declare(view, Access(is_public=True))


def signed_in(view: F) -> F:
    """Mark a route as open to any signed-in, active user."""
    return _declare(view, Access())


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Mark a route as open to signed-in users holding at least one of `roles`."""

    def decorator(view: F) -> F:
        return _declare(view, Access(roles=frozenset(roles)))

    return decorator


def access_of(endpoint: str | None) -> Access | None:
    """Return the access declaration of an endpoint, or None when it declares none."""
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return Access(is_public=True)
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _deny(status: int) -> Any:
    if _wants_json():
        from app.web.errors import json_error

        return json_error(status)
    abort(status)


def enforce_access() -> Any:
    """Before every request: apply the route's declaration; undeclared routes are refused."""
    if request.endpoint is None:
        return None  # 404 or 405 follows from routing itself
    access = access_of(request.endpoint)
    if access is None:
        log.error("endpoint %s declares no access rule; refused", request.endpoint)
        return _deny(403)
    if access.is_public:
        return None
    if request.path.startswith("/api/"):
        # API routes trust the bearer token alone, never the session cookie: the token's
        # user becomes current_user for this request, so the checks below are the user's.
        from app.api.auth import authenticate_bearer

        refusal = authenticate_bearer()
        if refusal is not None:
            return refusal
    if not current_user.is_authenticated:
        if _wants_json():
            return _deny(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if access.roles is not None and not (current_user.role_set & access.roles):
        from app.extensions import db
        from app.platform.audit import record_event_on_its_own

        # A refused GET otherwise only reads: its audit row gets its own short write
        # transaction, so SQLite never has to upgrade the read transaction (which fails with
        # "database is locked" under concurrent writers).
        record_event_on_its_own(
            db.session,
            "access.denied",
            actor_id=current_user.id,
            ip_address=request.remote_addr,
            endpoint=request.endpoint,
        )
        return _deny(403)
    return None


# --- object-level rules -----------------------------------------------------------------


class Action(enum.StrEnum):
    """Things a user may try to do to an object."""

    ADMINISTER = "administer"
    VIEW_UNIT = "view_unit"
    VIEW_PERSON = "view_person"
    MANAGE_PERSON = "manage_person"
    EDIT_CONTENT = "edit_content"
    PLACE_IN_UNIT = "place_in_unit"  # add or move people into a unit
    GRANT_ROLE = "grant_role"  # obj: a RoleGrant
    REVOKE_ROLE = "revoke_role"  # obj: a RoleAssignment


@dataclass(frozen=True)
class RoleGrant:
    """A role someone wants to give: to whom, which role, in which scope."""

    person: User
    role: Role
    unit: Unit | None = None
    provider_id: int | None = None


def is_admin(user: User | Any) -> bool:
    """Tell whether the user is a platform administrator."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.ADMIN)


def managed_unit_paths(user: User | Any) -> list[str]:
    """Return the tree paths of the units a user manages (each covers its whole subtree)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [a.unit.path for a in user.roles if a.role == Role.MANAGER and a.unit is not None]


def trainer_provider_ids(user: User | Any) -> set[int]:
    """Return the ids of the providers whose content the user may edit as a trainer."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {a.provider_id for a in user.roles if a.role == Role.TRAINER and a.provider_id}


def unit_in_scope(user: User | Any, unit: Unit | None) -> bool:
    """Tell whether the unit lies in the user's management scope."""
    if unit is None:
        return False
    if is_admin(user):
        return True
    return any(unit.path.startswith(path) for path in managed_unit_paths(user))


def unit_scope_clause(user: User | Any, path_column: Any) -> ColumnElement[bool]:
    """SQL condition restricting `path_column` (a unit path) to the user's scope."""
    if is_admin(user):
        return true()
    paths = managed_unit_paths(user)
    if not paths:
        return false()
    return or_(*(path_column.startswith(path, autoescape=True) for path in paths))


def _view_unit(user: User, unit: Unit) -> bool:
    return unit_in_scope(user, unit)


def _view_person(user: User, person: User) -> bool:
    return person.id == user.id or unit_in_scope(user, person.unit)


def role_within_reach(user: User | Any, role: Role, unit: Unit | None) -> bool:
    """Tell whether a role in a scope reaches no further than the user's own roles.

    Admins reach everything. A manager reaches the learner role and manager roles on units
    inside their own subtree; trainer roles (content of a provider) and the admin role belong
    to admins alone.
    """
    if is_admin(user):
        return True
    if role == Role.LEARNER:
        return True
    if role == Role.MANAGER:
        return unit_in_scope(user, unit)
    return False


def reach_within(user: User | Any, person: User) -> bool:
    """Tell whether every role of `person` lies within the user's reach (scope by rank)."""
    return all(role_within_reach(user, a.role, a.unit) for a in person.roles)


def _manage_person(user: User, person: User) -> bool:
    # Scope is by rank, not by home unit: a region manager whose home is a branch stays out of
    # that branch manager's hands, and trainers (whose reach is a provider) out of managers'.
    if person.id == user.id:
        return False  # nobody changes their own roles or deactivates themselves
    if is_admin(user):
        return True
    return unit_in_scope(user, person.unit) and reach_within(user, person)


def _place_in_unit(user: User, unit: Unit) -> bool:
    return unit_in_scope(user, unit)


def _grant_role(user: User, grant: RoleGrant) -> bool:
    # Nobody grants a role wider than their own, and only to a person they may manage.
    return _manage_person(user, grant.person) and role_within_reach(user, grant.role, grant.unit)


def _revoke_role(user: User, assignment: Any) -> bool:
    return _manage_person(user, assignment.user) and role_within_reach(
        user, assignment.role, assignment.unit
    )


def _edit_content(user: User, provider_id: int | Any) -> bool:
    pid = provider_id if isinstance(provider_id, int) else getattr(provider_id, "provider_id", None)
    return is_admin(user) or (pid is not None and pid in trainer_provider_ids(user))


_RULES: dict[Action, Callable[[User, Any], bool]] = {
    Action.ADMINISTER: lambda user, _obj: is_admin(user),
    Action.VIEW_UNIT: _view_unit,
    Action.VIEW_PERSON: _view_person,
    Action.MANAGE_PERSON: _manage_person,
    Action.EDIT_CONTENT: _edit_content,
    Action.PLACE_IN_UNIT: _place_in_unit,
    Action.GRANT_ROLE: _grant_role,
    Action.REVOKE_ROLE: _revoke_role,
}


def register_rule(action: str, rule: Callable[[User, Any], bool]) -> None:
    """Let a feature add the rule for one of its own actions."""
    _RULES[action] = rule  # type: ignore[index]


def may(user: User | Any, action: Action | str, obj: Any = None) -> bool:
    """Answer "may this user do this to that object?"; unknown actions and errors deny."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    rule = _RULES.get(action)  # type: ignore[call-overload]
    if rule is None:
        log.error("no permission rule for action %r; denied", action)
        return False
    try:
        return bool(rule(user, obj))
    except Exception:
        log.exception("permission rule %r raised; denied", action)
        return False


def ensure(action: Action | str, obj: Any, *, status: int = 404) -> None:
    """Abort (404 by default, so the answer hides whether the object exists) unless allowed.

    A refusal of an existing object is written to the audit log first (an attempt on someone
    else's object is worth knowing about); a missing object is only a 404.
    """
    if obj is None:
        abort(status)
    if not may(current_user, action, obj):
        log_refusal(action, obj)
        abort(status)


def log_refusal(action: Action | str, obj: Any) -> None:
    """Record an object-level refusal in the audit log, in its own short transaction."""
    from app.extensions import db
    from app.platform.audit import record_event_on_its_own

    object_id = getattr(obj, "id", None)
    try:
        record_event_on_its_own(
            db.session,
            "access.refused",
            actor_id=getattr(current_user, "id", None),
            object_type=type(obj).__name__.lower(),
            object_id=object_id if isinstance(object_id, int) else None,
            ip_address=request.remote_addr,
            endpoint=request.endpoint,
            permission=str(action),
        )
    except Exception as exc:
        # The refusal stands even when the log cannot be written; the log line says so.
        db.session.rollback()
        log.error("could not record the refusal of %s on %r: %s", action, obj, exc)
