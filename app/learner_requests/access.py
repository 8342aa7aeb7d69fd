"""Who may see and handle a request: the rule in Python (one object) and in SQL (lists), side
by side so that they cannot drift apart. Registered with `app.permissions` at start-up.

- The person who asked sees their own request, and nobody else's.
- A trainer handles the requests routed to one of their providers (the module's provider, or
  the provider asked to make a new module) and the unrouted ones (no module, no provider:
  every trainer sees them, so general questions are never lost). Admins handle all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from app.learner_requests.models import ProblemReport
from app.people.models import Role, User
from app.permissions import is_admin, trainer_provider_ids

VIEW_REQUEST = "requests.view"
HANDLE_REQUEST = "requests.handle"


def may_view_request(user: User, request: Any) -> bool:
    """The person who asked, only."""
    return request.user_id == user.id


def is_request_handler(user: User | Any) -> bool:
    """Trainers and admins answer requests."""
    return bool(user.role_set & {Role.TRAINER, Role.ADMIN})


def may_handle_request(user: User, request: Any) -> bool:
    """Admins; trainers of the request's provider; any trainer when it has no provider."""
    if is_admin(user):
        return True
    if Role.TRAINER not in user.role_set:
        return False
    return request.provider_id is None or request.provider_id in trainer_provider_ids(user)


def handle_scope(user: User | Any) -> ColumnElement[bool]:
    """SQL condition on ProblemReport: the requests `user` may handle (as above)."""
    if is_admin(user):
        return true()
    if Role.TRAINER not in user.role_set:
        return false()
    providers = trainer_provider_ids(user)
    if not providers:
        return ProblemReport.provider_id.is_(None)
    return or_(ProblemReport.provider_id.is_(None), ProblemReport.provider_id.in_(providers))
