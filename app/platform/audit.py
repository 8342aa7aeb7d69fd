"""Append-only audit log: who did what to which object, when and from where."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, utcnow

log = logging.getLogger("app.platform.audit")


class AuditEvent(Base):
    """One security-relevant event. Rows are only ever inserted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column(Integer)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def _clean(value: Any) -> Any:
    """Encode CR/LF so a crafted value cannot forge extra log lines."""
    if isinstance(value, str):
        return value.replace("\r", "\\r").replace("\n", "\\n")[:500]
    if isinstance(value, dict):  # before/after of a change hold the changed fields
        return {key: _clean(item) for key, item in value.items()}
    return value


def record_event(
    session: Any,
    action: str,
    *,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    ip_address: str | None = None,
    now: datetime | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit row to the current transaction and write the same line to the log."""
    clean = {key: _clean(value) for key, value in details.items()}
    event = AuditEvent(
        occurred_at=now or utcnow(),
        action=action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=object_id,
        ip_address=_clean(ip_address),
        details=clean,
    )
    session.add(event)
    log.info(
        "audit action=%s actor=%s object=%s:%s ip=%s %s",
        action,
        actor_id,
        object_type,
        object_id,
        _clean(ip_address),
        " ".join(f"{k}={v}" for k, v in sorted(clean.items())),
    )
    return event


def record_event_on_its_own(session: Any, action: str, **fields: Any) -> None:
    """Write one audit row in its own short write transaction, ending the caller's first.

    For requests that otherwise only read (a refused GET): the read transaction is rolled
    back and the row is written in a transaction that takes the write lock up front, since
    SQLite cannot upgrade a read transaction to a write once another connection has written.
    """
    from app.db import write_lock_up_front

    session.rollback()
    with write_lock_up_front():
        try:
            record_event(session, action, **fields)
            session.commit()
        except Exception:
            session.rollback()
            raise
