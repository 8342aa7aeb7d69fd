"""Several SELECTs in one statement: the reads of a page made of panels from many features.

The home page shows one panel per feature (quizzes, campaigns, attestations, requests...); each
would otherwise cost a statement, and a round trip to the database, per request. Instead each
panel hands over its read (a SELECT built once, and its parameters) and `run_together` nests
every read as one JSON array column of a single SELECT, then turns each array back into rows
typed by the read's own columns (dates, enums, booleans come back as the read would return
them). SQLite (`json_group_array`) and PostgreSQL (`json_agg`) both do the nesting; a row
number taken with the read's own ORDER BY keeps the order.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import JSON, Float, Numeric, TypeDecorator, TypeEngine


@dataclass(frozen=True)
class Read:
    """One SELECT a page needs (built once), with the values of its bound parameters.

    Reads run together share one namespace of parameters: the same name must mean the same
    value in each (`user_id`, `now`), so name anything read-specific after the read. Order by
    expressions or columns, not by a label's name: the order is also taken inside the nested
    read, where output names do not exist.
    """

    statement: Select[Any]
    params: Mapping[str, Any] = field(default_factory=dict)


def run_together(session: Session, reads: Sequence[Read]) -> list[list[Any]]:
    """Run `reads` as one statement; return each read's rows, in its order, as named tuples."""
    if not reads:
        return []
    params = _merged_params(reads)
    if len(reads) == 1:  # nothing to nest
        return [list(session.execute(reads[0].statement, params))]
    dialect = session.get_bind().dialect
    combined = _combined(tuple(read.statement for read in reads), dialect)
    arrays = session.execute(combined.statement, params).one()
    return [shape.rows(array) for shape, array in zip(combined.shapes, arrays, strict=True)]


@dataclass(frozen=True)
class Deferred:
    """A result that waits for its reads: `finish` is called with each read's rows, in order."""

    reads: tuple[Read, ...]
    finish: Callable[..., Any]

    def then(self, step: Callable[[Any], Any]) -> Deferred:
        """The same reads, with `step` applied to what `finish` returns."""
        finish = self.finish
        return Deferred(self.reads, lambda *rows: step(finish(*rows)))


def resolve(session: Session, results: Sequence[Any]) -> list[Any]:
    """`results` with every `Deferred` finished, all their reads run as one statement."""
    deferred = [result for result in results if isinstance(result, Deferred)]
    rows = iter(run_together(session, [read for d in deferred for read in d.reads]))
    finished = {id(d): d.finish(*[next(rows) for _ in d.reads]) for d in deferred}
    return [finished[id(r)] if isinstance(r, Deferred) else r for r in results]


def _merged_params(reads: Sequence[Read]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for read in reads:
        for name, value in read.params.items():
            if name in merged and merged[name] != value:
                raise ValueError(f"reads run together disagree on the parameter {name!r}")
            merged[name] = value
    return merged


class _Shape:
    """How one read's JSON rows become typed rows: the columns to decode, a named tuple."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        columns = list(statement.selected_columns)
        names = [column.key or f"_{n}" for n, column in enumerate(columns)]
        self.make = namedtuple("Row", names, rename=True)._make  # type: ignore[misc]
        # Only the columns whose JSON value is not already what the type returns (numbers,
        # strings and JSON are): the decoding runs per value, hundreds of times a page.
        self.decoded = [
            (n, decode)
            for n, decode in enumerate(_decoder(column.type, dialect) for column in columns)
            if decode is not _same
        ]

    def rows(self, array: list[list[Any]]) -> list[Any]:
        # The column is typed JSON (`json_rows`): both drivers hand over the decoded array.
        # The last value of each row is its row number in the read's own order.
        array.sort(key=itemgetter(-1))
        decoded, make = self.decoded, self.make
        rows = []
        for values in array:
            del values[-1]
            for n, decode in decoded:
                if values[n] is not None:
                    values[n] = decode(values[n])
            rows.append(make(values))
        return rows


@dataclass(frozen=True)
class _Combined:
    statement: Select[Any]
    shapes: tuple[_Shape, ...]


# Built once per combination of reads (a page asks for the same few combinations); the cache
# keeps the statements it is keyed on referenced, so their identities are never reused, and
# its bound keeps a feature that builds statements per request from growing it for ever.
@functools.lru_cache(maxsize=256)
def _combined(statements: tuple[Select[Any], ...], dialect: Dialect) -> _Combined:
    return _combine(statements, dialect)


def _combine(statements: tuple[Select[Any], ...], dialect: Dialect) -> _Combined:
    columns = []
    for statement in statements:
        numbered = statement.add_columns(
            func.row_number().over(order_by=list(statement._order_by_clauses)).label("_row_number")
        ).subquery()
        values = [_as_json(column, dialect.name) for column in numbered.c]
        columns.append(select(json_rows(*values)).scalar_subquery())
    return _Combined(
        select(*columns), tuple(_Shape(statement, dialect) for statement in statements)
    )


class json_rows(FunctionElement[Any]):
    """An aggregate: the rows' values (the arguments) as one JSON array of arrays, [] for none.

    Each row's JSON column values must be nested as JSON, not as text (see `_as_json`).
    """

    type = JSON()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows)
def _json_rows_sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    values = compiler.process(element.clauses, **kw)
    return f"coalesce(json_agg(json_build_array({values})), '[]'::json)"


def _as_json(column: Any, dialect_name: str) -> Any:
    # SQLite keeps a JSON column as text, which json_array would nest as one string; json()
    # marks it as JSON, so both databases nest the value itself.
    if dialect_name == "sqlite" and isinstance(column.type, JSON):
        return func.json(column)
    return column


# --- turning JSON values back into what the column's type returns ----------------------------


def _decoder(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    if isinstance(type_, TypeDecorator):
        inner = _decoder(type_.impl_instance, dialect)
        process = type_.process_result_value
        return lambda value: process(inner(value), dialect)
    if isinstance(type_, JSON):  # nested as JSON itself (see _as_json)
        return _same
    if isinstance(type_, (Numeric, Float)):  # a JSON number; the drivers want a type code
        return _decimal if type_.asdecimal else _float
    processor = type_.dialect_impl(dialect).result_processor(dialect, None)
    if processor is not None:  # SQLite's dates, booleans; enums on both databases
        return processor
    return _PARSERS.get(_python_type(type_), _same)


def _python_type(type_: TypeEngine[Any]) -> type | None:
    try:
        return type_.python_type
    except NotImplementedError:
        return None


def _same(value: Any) -> Any:
    return value


def _parsed(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    return lambda value: parse(value) if isinstance(value, str) else value


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# PostgreSQL's JSON writes dates and times in ISO 8601, which Python reads back as they were.
_PARSERS: dict[type | None, Callable[[Any], Any]] = {
    datetime: _parsed(datetime.fromisoformat),
    date: _parsed(date.fromisoformat),
}
