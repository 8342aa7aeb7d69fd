"""Executemany helpers for writes at scale: what many rows share is converted once.

SQLAlchemy runs every column's bind processor on every row of an executemany; for 50,000
notices and e-mails that is 100,000 datetime conversions and JSON encodings of a handful of
distinct values. These helpers give the statement a bind that takes the value as the
database stores it, so the caller converts each distinct value once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text, bindparam, cast
from sqlalchemy.orm import Session


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def stored_datetime(session: Session, name: str, moment: datetime) -> Any:
    """A bind holding `moment` (timezone-aware) for every row, converted once: naive UTC
    text on SQLite (as `app.db.TZDateTime` stores it), a UTC timestamptz on PostgreSQL."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
    moment = moment.astimezone(UTC)
    if _dialect(session) == "sqlite":
        # SQLAlchemy's SQLite DATETIME storage format, which TZDateTime reads back.
        return bindparam(name, moment.replace(tzinfo=None).isoformat(" ", "microseconds"), Text())
    return bindparam(name, moment, DateTime(timezone=True))


def json_text_bind(session: Session, name: str, column: Any) -> Any:
    """A bind for a JSON column that takes the JSON text itself (see `json_text`)."""
    text = bindparam(name, type_=Text())
    return cast(text, column.type) if _dialect(session) == "postgresql" else text


class JsonTexts:
    """JSON texts of values, encoded once per distinct value (as SQLAlchemy's JSON type
    would: `json.dumps` with its defaults)."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def __call__(self, value: Any) -> str:
        """Return the JSON text of `value` (its repr is the memo key: plain data only)."""
        key = repr(value)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = json.dumps(value)
        return text
