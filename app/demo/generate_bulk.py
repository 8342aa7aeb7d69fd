"""Chunked bulk inserts for the scale data generator, with ids allocated up front.

Rows are buffered per table and written with one executemany per chunk, parents before
children (the tables are flushed in foreign-key order, at points where every parent of a
buffered row is buffered too), so that millions of rows never go
through the ORM one object at a time. Ids are allocated here (from the table's highest id)
because children need their parents' ids before anything is written.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import (
    Connection,
    Insert,
    Table,
    Text,
    bindparam,
    cast,
    func,
    select,
    text,
    type_coerce,
)

from app.db import Base

# Parents before children: flushing in this order never breaks a foreign key.
TABLE_ORDER: tuple[str, ...] = (
    "units",
    "providers",
    "users",
    "role_assignments",
    "modules",
    "module_versions",
    "module_variants",
    "module_pages",
    "quizzes",
    "quiz_versions",
    "campaigns",
    "campaign_modules",
    "campaign_audience_units",
    "assignments",
    "attempts",
    "attempt_answers",
    "statements",
    "module_progress",
    "page_progress",
    "completions",
    "certificates",
    "reading_positions",
)
# JSON columns whose rows carry ready-made JSON text under "<column>_json" (no re-encoding).
JSON_TEXT_COLUMNS: dict[str, str] = {"statements": "payload"}


class BulkWriter:
    """Buffers rows per table and writes them in chunks, in foreign-key order."""

    def __init__(self, connection: Connection, chunk: int = 2000) -> None:
        self.connection = connection
        self.chunk = chunk
        self.buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_ORDER}
        self.counts: Counter[str] = Counter()
        self._next_ids: dict[str, int] = {}
        self._inserts: dict[str, Insert] = {}

    def table(self, name: str) -> Table:
        """Return the table of that name from the application's metadata."""
        return Base.metadata.tables[name]

    def new_id(self, name: str) -> int:
        """Allocate the next id of a table (after the highest one already stored)."""
        if name not in self._next_ids:
            highest = self.connection.scalar(select(func.max(self.table(name).c.id)))
            self._next_ids[name] = (highest or 0) + 1
        allocated = self._next_ids[name]
        self._next_ids[name] = allocated + 1
        return allocated

    def add(self, name: str, row: dict[str, Any]) -> None:
        """Buffer one row (every row of a table must have the same keys)."""
        self.buffers[name].append(row)

    def flush_if_full(self) -> None:
        """Write the buffers once one holds a chunk; call it where every parent row is added."""
        if any(len(rows) >= self.chunk for rows in self.buffers.values()):
            self.flush()

    def _insert(self, name: str) -> Insert:
        """Return the table's INSERT; JSON text goes in as it is (cast to JSON on PostgreSQL)."""
        if name not in self._inserts:
            statement = self.table(name).insert()
            column = JSON_TEXT_COLUMNS.get(name)
            if column is not None:
                value: Any = type_coerce(bindparam(f"{column}_json"), Text)
                if self.connection.dialect.name == "postgresql":
                    value = cast(value, self.table(name).c[column].type)
                statement = statement.values({column: value})
            self._inserts[name] = statement
        return self._inserts[name]

    def flush(self) -> None:
        """Write every buffered row, parents first."""
        for name in TABLE_ORDER:
            rows = self.buffers[name]
            if rows:
                self.connection.execute(self._insert(name), rows)
                self.counts[name] += len(rows)
                self.buffers[name] = []

    def set_column(self, name: str, column: str, values: dict[int, Any]) -> None:
        """Set one column of rows already written, by id (executemany UPDATE)."""
        if not values:
            return
        self.flush()
        table = self.table(name)
        statement = (
            table.update()
            .where(table.c.id == bindparam("row_id"))
            .values({column: bindparam("new_value")})
        )
        self.connection.execute(
            statement, [{"row_id": row_id, "new_value": value} for row_id, value in values.items()]
        )

    def finish(self) -> None:
        """Write what is left and move PostgreSQL's id sequences past the ids used here."""
        self.flush()
        if self.connection.dialect.name != "postgresql":
            return
        for name in self._next_ids:
            # `name` is one of TABLE_ORDER's constants, never outside input.
            sql = (
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"  # noqa: S608
                f" (SELECT coalesce(max(id), 1) FROM {name}))"
            )
            self.connection.execute(text(sql))
