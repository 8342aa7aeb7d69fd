"""`app.platform.reads`: several reads run as one statement give what each gives alone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    Float,
    Integer,
    String,
    bindparam,
    cast,
    literal,
    select,
)

from app.db import TZDateTime
from app.extensions import db
from app.learner_requests.models import ReportStatus
from app.people.models import Role, User
from app.platform.reads import Deferred, Read, resolve, run_together
from tests.factories import make_org, make_user
from tests.query_count import session_statements

AT = datetime(2027, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def typed_values(**values):
    """A read of one row of literal values, each with the column type a model would give it."""
    types = {
        "at": TZDateTime(),
        "day": Date(),
        "flag": Boolean(),
        "number": Integer(),
        "score": Float(),
        "text": String(),
        "status": Enum(ReportStatus),
        "names": JSON(),
    }
    columns = [literal(value, types[name]).label(name) for name, value in values.items()]
    # PostgreSQL takes a bound float alone for text: cast it (SQLite keeps a cast float a float).
    return select(*(cast(c, Float).label(c.name) if c.name == "score" else c for c in columns))


def alone(read: Read) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(read.statement, read.params)]


def together(reads: list[Read]) -> list[list[tuple]]:
    return [[tuple(row) for row in rows] for rows in run_together(db.session, reads)]


def test_every_type_comes_back_as_the_read_alone_returns_it(app):
    full = typed_values(
        at=AT,
        day=date(2027, 2, 28),
        flag=True,
        number=-7,
        score=87.5,
        text='Lé "quoted" \\ text, ünïcode',
        status=ReportStatus.IN_PROGRESS,
        names={"fr": "Impôts", "de": "Steuern"},
    )
    empty = typed_values(
        at=None, day=None, flag=None, number=None, score=None, text=None, status=None
    )
    reads = [Read(full), Read(empty)]

    rows = together(reads)

    assert rows == [alone(read) for read in reads]
    ((at, day, flag, number, score, text, status, names),) = rows[0]
    assert at == AT and at.tzinfo is not None
    assert (day, flag, number, score) == (date(2027, 2, 28), True, -7, 87.5)
    assert status is ReportStatus.IN_PROGRESS
    assert text == 'Lé "quoted" \\ text, ünïcode' and names == {"fr": "Impôts", "de": "Steuern"}


def test_each_read_keeps_its_order_limit_and_named_columns(app):
    org = make_org()
    for n in range(5):
        make_user(org.branch_a1, Role.LEARNER, email=f"person{n}@example.org")
    newest = Read(
        select(User.id, User.email).order_by(User.id.desc()).limit(bindparam("newest_limit")),
        {"newest_limit": 3},
    )
    by_email = Read(select(User.email, User.is_active).order_by(User.email))
    none = Read(select(User.id).where(User.email == bindparam("email")), {"email": "nobody@x"})

    rows = run_together(db.session, [newest, by_email, none])

    assert [[tuple(r) for r in part] for part in rows] == [alone(newest), alone(by_email), []]
    assert [row.email for row in rows[0]] == [email for _id, email in alone(newest)]
    assert len(rows[0]) == 3 and len(rows[1]) >= 5


def test_reads_run_as_one_statement_built_once(app):
    reads = [Read(typed_values(number=1)), Read(typed_values(text="x"))]
    run_together(db.session, reads)
    with session_statements() as log:
        run_together(db.session, reads)
    assert len(log) == 1, log.report()
    with session_statements() as again:
        run_together(db.session, reads)
    assert again == log  # the same SQL text: the combined statement is kept, not rebuilt


def test_reads_that_disagree_on_a_parameter_are_refused(app):
    by_id = select(User.id).where(User.id == bindparam("user_id"))
    with pytest.raises(ValueError, match="'user_id'"):
        run_together(db.session, [Read(by_id, {"user_id": 1}), Read(by_id, {"user_id": 2})])


def test_resolve_finishes_deferred_results_and_keeps_the_others(app):
    count = Deferred((Read(typed_values(number=41)),), lambda rows: rows[0].number + 1)
    pair = Deferred(
        (Read(typed_values(text="a")), Read(typed_values(flag=False))),
        lambda texts, flags: (texts[0].text, flags[0].flag),
    )
    with session_statements() as log:
        results = resolve(db.session, [None, count, {"ready": True}, pair.then(list)])
    assert results == [None, 42, {"ready": True}, ["a", False]]
    assert len(log) == 1, log.report()
