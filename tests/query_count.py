"""Count the SQL statements a request runs (for the tests that cap them per page)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import Engine, event

from app.extensions import db


class StatementLog(list):
    """The statements run while the block was open (their SQL text, in order)."""

    def report(self) -> str:
        """All the statements, numbered, for an assertion message."""
        return "\n".join(f"{n}. {sql.splitlines()[0][:160]}" for n, sql in enumerate(self, 1))


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@contextmanager
def _recording(engine: Engine, *, transaction_control: bool) -> Iterator[StatementLog]:
    """Record the statements `engine` sends inside the block."""
    log = StatementLog()

    def note(_conn, _cursor, statement, _params, _context, _many) -> None:
        if transaction_control or not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            log.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", note)


@contextmanager
def statements_during(app: Flask, *, transaction_control: bool = True) -> Iterator[StatementLog]:
    """Record every statement the app under test sends inside the block.

    The engine is taken in `app`'s own context: the test body runs in a twin app's context
    (tests/conftest.py `serving`), whose engine the requests never use. With
    `transaction_control=False`, BEGIN/COMMIT/ROLLBACK are left out.
    """
    with app.app_context():
        engine = db.engine
    with _recording(engine, transaction_control=transaction_control) as log:
        yield log


@contextmanager
def session_statements(*, transaction_control: bool = False) -> Iterator[StatementLog]:
    """Record the statements the test body's own session sends inside the block (domain
    functions and `tick` called directly run on the twin app's engine, not the served app's)."""
    with _recording(db.session.get_bind(), transaction_control=transaction_control) as log:
        yield log
