"""Chunked bulk inserts for the scale data generator, with ids allocated up front.

Rows are buffered per table and written per chunk, parents before children (the tables are
flushed in foreign-key order, at points where every parent of a buffered row is buffered too),
so that millions of rows never go through the ORM one object at a time. `write_rows` is the one
place that knows the database: PostgreSQL gets `COPY ... FROM STDIN` (far cheaper than INSERT
for millions of statements), SQLite one executemany. On PostgreSQL a chunk is written by one
background thread while the next one is generated, so the server's work (parsing, indexes,
foreign keys) overlaps the generator's instead of adding to it. Ids are allocated here (from
the table's highest id) because children need their parents' ids before anything is written.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
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
        # One writer thread on PostgreSQL (COPY waits on the server); SQLite writes in-line.
        self._thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-copy")
            if connection.dialect.name == "postgresql"
            else None
        )
        self._pending: Future[None] | None = None

    def table(self, name: str) -> Table:
        """Return the table of that name from the application's metadata."""
        return Base.metadata.tables[name]

    def new_id(self, name: str) -> int:
        """Allocate the next id of a table (after the highest one already stored)."""
        if name not in self._next_ids:
            self.wait()  # the connection is the writer thread's until its chunk is written
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
        """Write every buffered row, parents first (in the background on PostgreSQL)."""
        batches = []
        for name in TABLE_ORDER:
            rows = self.buffers[name]
            if rows:
                batches.append((self.table(name), rows, self._insert(name)))
                self.counts[name] += len(rows)
                self.buffers[name] = []
        if self._thread is None:
            self._write(batches)
            return
        self.wait()  # chunks go in order: a parent's chunk is written before its children's
        self._pending = self._thread.submit(self._write, batches)

    def _write(self, batches: list[tuple[Table, list[dict[str, Any]], Insert]]) -> None:
        for table, rows, insert in batches:
            write_rows(self.connection, table, rows, insert)

    def wait(self) -> None:
        """Wait until the chunk being written is written (raises what writing it raised)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        """Wait for the writer thread and stop it (also after a failure)."""
        try:
            self.wait()
        finally:
            if self._thread is not None:
                self._thread.shutdown()

    def set_column(self, name: str, column: str, values: dict[int, Any]) -> None:
        """Set one column of rows already written, by id (executemany UPDATE)."""
        if not values:
            return
        self.flush()
        self.wait()
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
        self.close()
        if self.connection.dialect.name != "postgresql":
            return
        for name in self._next_ids:
            # `name` is one of TABLE_ORDER's constants, never outside input.
            sql = (
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"  # noqa: S608
                f" (SELECT coalesce(max(id), 1) FROM {name}))"
            )
            self.connection.execute(text(sql))


def write_rows(
    connection: Connection, table: Table, rows: list[dict[str, Any]], insert: Insert
) -> None:
    """Write rows of one table: COPY on PostgreSQL, else one executemany of `insert`."""
    if connection.dialect.name == "postgresql":
        _copy_rows(connection, table, rows)
    else:
        connection.execute(insert, rows)


def _copy_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY rows into a table through the session's own psycopg connection and transaction.

    Each value goes through its column type's bind processor, as an INSERT would (UTC
    datetimes, JSON encoding, enum checks); "<column>_json" keys carry JSON text as it is.
    """
    keys = list(rows[0])
    given = {key.removesuffix("_json") for key in keys}
    defaulted = [c.name for c in table.columns if c.default is not None and c.name not in given]
    if defaulted:
        # COPY applies server defaults only; the generator gives every column its value.
        raise ValueError(f"{table.name}: no value for {', '.join(defaulted)}")
    columns, processors = [], []
    for key in keys:
        name = key.removesuffix("_json")
        column = table.c[name]
        columns.append(connection.dialect.identifier_preparer.quote(name))
        is_text = name != key and JSON_TEXT_COLUMNS.get(table.name) == name
        processor = (
            None
            if is_text
            else column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
        )
        processors.append(processor)
    converted = [(index, processor) for index, processor in enumerate(processors) if processor]
    # Names come from the metadata, quoted by the dialect: no outside input in this SQL.
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            values = [row[key] for key in keys]
            for index, processor in converted:
                values[index] = processor(values[index])
            copy.write_row(values)
