"""Count the SQL statements a request runs (for the tests that cap them per page)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db


class StatementLog(list):
    """The statements run while the block was open (their SQL text, in order)."""

    def report(self) -> str:
        """All the statements, numbered, for an assertion message."""
        return "\n".join(f"{n}. {sql.splitlines()[0][:160]}" for n, sql in enumerate(self, 1))


@contextmanager
def statements_during() -> Iterator[StatementLog]:
    """Record every statement sent to the app's database engine inside the block."""
    log = StatementLog()
    engine = db.engine

    def note(_conn, _cursor, statement, _params, _context, _many) -> None:
        log.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", note)
