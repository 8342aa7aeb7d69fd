"""Bulk-load mode for the generator on PostgreSQL: secondary indexes and foreign keys set aside.

Checking a foreign key per copied row and inserting into eight indexes per statement cost the
server more than parsing the rows (measured at S: 7.5 s of server CPU, of which about 2.7 s
foreign-key checks and 1.1 s the statements' secondary indexes, growing faster than the
table). As pg_restore does, the big tables' plain indexes and foreign keys are dropped before
the load and rebuilt after it in the same transaction: one sort per index and one join per
foreign key, which also checks every row. Primary keys and unique constraints stay, so
duplicates still fail at once. On other databases it does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from app.demo.generate_bulk import TABLE_ORDER

# The tables that get millions of rows at L (their parents keep their indexes).
BIG_TABLES: tuple[str, ...] = TABLE_ORDER[TABLE_ORDER.index("assignments") :]

_FOREIGN_KEYS = text(
    "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
    " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
    " WHERE c.contype = 'f' AND t.relname = ANY(:tables)"
    " AND t.relnamespace = current_schema()::regnamespace ORDER BY c.conname"
)
# Plain indexes only: those behind a primary key or unique constraint stay.
_INDEXES = text(
    "SELECT i.indexname, i.indexdef FROM pg_indexes i"
    " WHERE i.tablename = ANY(:tables) AND i.schemaname = current_schema()"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname"
    " AND c.contype IN ('p', 'u')) ORDER BY i.indexname"
)


@contextmanager
def bulk_load(connection: Connection) -> Iterator[None]:
    """Drop the big tables' plain indexes and foreign keys; rebuild them when the load is done.

    Everything happens in the connection's transaction: if the load fails, the rollback
    brings them back as they were.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    tables = list(BIG_TABLES)
    foreign_keys = connection.execute(_FOREIGN_KEYS, {"tables": tables}).all()
    indexes = connection.execute(_INDEXES, {"tables": tables}).all()
    quote = connection.dialect.identifier_preparer.quote
    # Names and definitions come from the catalogue, quoted: no outside input in this SQL.
    for table, name, _definition in foreign_keys:
        connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
    for name, _definition in indexes:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield
    # Sorting millions of keys in memory rather than in temporary files (this transaction only).
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in indexes:
        connection.exec_driver_sql(definition)
    for table, name, definition in foreign_keys:
        connection.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
