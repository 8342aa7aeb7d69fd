"""One audit row per change of a unit, provider or person, holding the fields before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.people.models import Provider, Unit, User
from app.platform.audit import record_event


def plain_value(value: Any) -> Any:
    """Turn a field value into something the JSON audit column can hold."""
    if isinstance(value, Unit):
        return value.code
    if isinstance(value, Provider):
        return value.slug
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def record_change(
    session: Session,
    action: str,
    *,
    object_type: str,
    object_id: int | None,
    changes: dict[str, tuple[Any, Any]],
    actor: User | None,
    ip: str | None,
    now: datetime | None,
    **extra: Any,
) -> None:
    """Record one audit row whose details hold `before` and `after` of the changed fields."""
    record_event(
        session,
        action,
        actor_id=actor.id if actor is not None else None,
        object_type=object_type,
        object_id=object_id,
        ip_address=ip,
        now=now,
        before={field: plain_value(old) for field, (old, _new) in changes.items()},
        after={field: plain_value(new) for field, (_old, new) in changes.items()},
        **extra,
    )
