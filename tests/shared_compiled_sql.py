"""One compiled-SQL cache for every test app's engine, as a production process has.

SQLAlchemy keys compiled SQL on the dialect object: the engine's cache, and each mapper's
cache of its INSERT and UPDATE statements. Every test builds a new app, hence new engines
with new dialects, so each statement a test ran was compiled afresh, and the mappers' small
caches were kept busy with keys of engines long gone. A production process has one engine
for its life and compiles each statement once. Here every engine and mapper shares one cache
whose keys name the first dialect seen with the same settings instead of the engine's own:
each statement is compiled once per run, as once per process. (Compiled SQL depends on the
dialect's class and settings only; an engine's events stay on its own dialect.)

Only the tests use this. Should Flask-SQLAlchemy change its private `_make_engine`,
`install` leaves it alone and the suite is merely slower.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper
from sqlalchemy.util import LRUCache

# Settings of a dialect -> the first dialect object seen with them.
_DIALECTS: dict[tuple[Any, ...], Any] = {}


def _settings(dialect: Any) -> tuple[Any, ...]:
    return (
        type(dialect),
        dialect.paramstyle,
        dialect.server_version_info,
        getattr(dialect, "isolation_level", None),
        getattr(dialect, "_json_serializer", None),
        getattr(dialect, "_json_deserializer", None),
    )


class SharedCompiledSQL(LRUCache):
    """An LRU cache of compiled SQL whose keys' dialect is the first one with its settings."""

    def _shared_key(self, key: Any) -> Any:
        if isinstance(key, tuple) and key and isinstance(key[0], sa.Dialect):
            dialect = _DIALECTS.setdefault(_settings(key[0]), key[0])
            return (dialect, *key[1:])
        return key

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._shared_key(key), default)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._shared_key(key), value)


COMPILED = SharedCompiledSQL(5000)


def install() -> None:
    """Make every Flask-SQLAlchemy engine built from now on, and every mapper, use `COMPILED`."""
    from flask_sqlalchemy import SQLAlchemy

    make_engine = getattr(SQLAlchemy, "_make_engine", None)
    if make_engine is None or getattr(make_engine, "_shared", False):
        return

    def shared_engine(self: SQLAlchemy, *args: Any, **kwargs: Any) -> sa.Engine:
        engine = make_engine(self, *args, **kwargs)
        engine._compiled_cache = COMPILED
        _share_mapper_caches()
        return engine

    shared_engine._shared = True  # type: ignore[attr-defined]
    SQLAlchemy._make_engine = shared_engine  # type: ignore[method-assign]


def _share_mapper_caches() -> None:
    # A mapper's `_compiled_cache` is memoised in its __dict__ on first use.
    from app.db import Base

    for mapper in Base.registry.mappers:
        if isinstance(mapper, Mapper) and mapper.__dict__.get("_compiled_cache") is not COMPILED:
            mapper.__dict__["_compiled_cache"] = COMPILED
