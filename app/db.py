"""Declarative base, constraint naming, UTC time type and database-specific connection setup."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class TZDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and always returned timezone-aware.

    SQLite has no timezone type, so values come back naive; this type makes both
    databases behave the same and refuses naive datetimes on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every model; constraints get stable names for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __repr__(self) -> str:
        pk = getattr(self, "id", None)
        label = getattr(self, "email", None) or getattr(self, "slug", None) or ""
        return f"<{type(self).__name__} {pk} {label}>".replace(" >", ">")


# Outside a request (CLI commands, scheduled work) transactions take the write lock up front.
# The test harness sets "autocommit" for the test body's own session, so that its idle reads
# neither hold the lock nor pin an old WAL snapshot while the app under test writes.
sqlite_begin_mode: ContextVar[str] = ContextVar("sqlite_begin_mode", default="immediate")

# Set while a read-only request writes something on the side (the audit row of a refusal):
# its own short transaction must take the write lock up front like any other writer.
_write_up_front: ContextVar[bool] = ContextVar("sqlite_write_up_front", default=False)


@contextmanager
def write_lock_up_front() -> Iterator[None]:
    """Within this block, new SQLite transactions begin IMMEDIATE even during a GET request.

    A deferred (read) transaction that later writes fails at once with "database is locked"
    when another connection holds or has just released the write lock, whatever the busy
    timeout; end the read transaction first, then write inside this block.
    """
    token = _write_up_front.set(True)
    try:
        yield
    finally:
        _write_up_front.reset(token)


def _begin_statement() -> str | None:
    """Return the BEGIN to issue for a new transaction (None: statements autocommit)."""
    from flask import has_request_context, request

    if _write_up_front.get():
        return "BEGIN IMMEDIATE"
    if has_request_context():
        return "BEGIN" if request.method in ("GET", "HEAD", "OPTIONS") else "BEGIN IMMEDIATE"
    mode = sqlite_begin_mode.get()
    if mode == "autocommit":
        return None
    return "BEGIN" if mode == "deferred" else "BEGIN IMMEDIATE"


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite safe under several workers: WAL, busy timeout, FKs, BEGIN IMMEDIATE.

    pysqlite starts transactions lazily and a deferred transaction that later writes fails at
    once with "database is locked", whatever the busy timeout. We take over BEGIN ourselves
    (SQLAlchemy's documented pysqlite recipe) and take the write lock up front for anything
    but a read-only request.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        statement = _begin_statement()
        if statement:
            connection.exec_driver_sql(statement)


def configure_engine(engine: Engine) -> None:
    """Set the app's engine up for its database (see the functions below)."""
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        configure_postgresql(engine)


def configure_postgresql(engine: Engine) -> None:
    """Turn PostgreSQL's JIT compilation off for the app's connections.

    PostgreSQL compiles a statement to machine code (LLVM) whenever the planner's estimated
    cost passes `jit_above_cost`, and does so again at every execution, prepared or not. The
    app's statements are short, but estimates over large tables pass that bar: with a library
    of 3,000 modules, my learning's former statement took 800-900 ms instead of 10 ms, nearly
    all of it compiling. JIT pays off for long analytical queries, which requests do not run.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Outside a transaction, so that the pool's rollback on check-in keeps the setting.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.autocommit = autocommit


# Rows ANALYZE reads per index: statistics good enough for the planner at any table size, in
# milliseconds (SQLite's own advice for periodic runs).
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_sqlite_statistics(connection: Any) -> bool:
    """Give SQLite's planner table statistics, as PostgreSQL's autovacuum does by itself.

    Without them SQLite guesses, and guessed wrong on my learning's statement (a 36 ms scan of
    every learner's progress instead of 2 ms). A database never analysed gets a full ANALYZE
    (bounded by the analysis limit); later runs ask `PRAGMA optimize`, which re-analyses only
    tables that grew. Returns whether anything was run (False on other databases).
    """
    if connection.dialect.name != "sqlite":
        return False
    connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
    analysed = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
    ).first()
    connection.exec_driver_sql("PRAGMA optimize" if analysed else "ANALYZE")
    return True


def str_enum(enum_cls: type[enum.Enum], length: int = 24) -> Enum:
    """Store a string enum by its value, as a portable VARCHAR (no native DB enum to migrate)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )
