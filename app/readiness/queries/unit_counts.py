"""The per-unit counts of a campaign, in one statement: assigned, ready and overdue people,
and on request the heat map's cells and the first page of the overdue list.

Everything comes from one pass over the counting assignments (`assignment_rows_shaped`):
their join with the completions that count is most of the cost of any of these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, String, case, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from app.db import TZDateTime
from app.people.models import User
from app.readiness.queries.counting import Where, assignment_rows_shaped
from app.readiness.queries.overdue import late_rows_of, people_page


@dataclass(frozen=True)
class DirectCounts:
    """People counted directly in one unit (not below it)."""

    unit_id: int
    assigned: int
    ready: int
    overdue: int


@dataclass(frozen=True)
class ModuleCell:
    """Assigned and done people for one module in one unit (or for one person)."""

    key: int
    module_id: int
    assigned: int
    done: int

    @property
    def share(self) -> float | None:
        """The share done (None when nobody is assigned)."""
        return self.done / self.assigned if self.assigned else None


# What each row of the counting statement is (its first column).
_UNIT, _CELL, _OVERDUE_PERSON, _OVERDUE_MODULE = 0, 1, 2, 3


@lru_cache(maxsize=64)
def _direct_counts_statement(
    shape: tuple[int | None, bool], with_cells: bool, with_overdue: bool = False
) -> Any:
    """Per unit: assigned, ready and overdue people; `with_cells` adds a row per (unit,
    module) with the assigned and done people (the heat map's cells); `with_overdue` adds the
    first page of the overdue list (`offset` and `limit` bound) and those people's late
    modules.

    All come from one pass over the assignments (a common table expression read by each
    part): the join of the assignments with the completions that count is most of the cost
    of any of them. Columns: kind (`_UNIT`...), unit_id, module_id, user_id, n1, n2, n3, then
    the overdue people's earliest due date, names, e-mail and unit name.
    """
    rows = assignment_rows_shaped(shape)
    rows = rows.cte("a") if with_cells or with_overdue else rows.subquery("a")
    people = (
        select(
            rows.c.user_id,
            rows.c.unit_id,
            func.count().label("required"),
            func.sum(rows.c.done).label("done"),
            func.sum(rows.c.late).label("late"),
        )
        .group_by(rows.c.user_id, rows.c.unit_id)
        .subquery("p")
    )
    units = select(
        literal(_UNIT, Integer).label("kind"),
        people.c.unit_id,
        _null(Integer, "module_id"),
        _null(Integer, "user_id"),
        func.count().label("n1"),
        func.sum(case((people.c.done >= people.c.required, 1), else_=0)).label("n2"),
        func.sum(case((people.c.late > 0, 1), else_=0)).label("n3"),
        *_no_person(),
    ).group_by(people.c.unit_id)
    parts = [units]
    if with_cells:
        cells = select(
            literal(_CELL, Integer),
            rows.c.unit_id,
            rows.c.module_id,
            _null(Integer, "user_id"),
            func.count(),
            func.sum(rows.c.done),
            literal(0, Integer),
            *_no_person(),
        ).group_by(rows.c.unit_id, rows.c.module_id)
        parts.append(cells)
    if with_overdue:
        late = late_rows_of(rows)
        page = people_page(late).cte("page")
        parts.append(
            select(
                literal(_OVERDUE_PERSON, Integer),
                page.c.unit_id,
                _null(Integer, "module_id"),
                page.c.user_id,
                page.c.total,
                page.c.position,
                literal(0, Integer),
                page.c.earliest,
                page.c.first_name,
                page.c.last_name,
                page.c.email,
                page.c.unit_name,
            )
        )
        parts.append(
            select(
                literal(_OVERDUE_MODULE, Integer),
                _null(Integer, "unit_id"),
                late.c.module_id,
                late.c.user_id,
                literal(0, Integer),
                literal(0, Integer),
                literal(0, Integer),
                *_no_person(),
            ).where(late.c.user_id.in_(select(page.c.user_id)))
        )
    return union_all(*parts) if len(parts) > 1 else units


def _null(type_: Any, name: str) -> Any:
    """A typed NULL column (a union's columns take the first part's types)."""
    return cast(null(), type_).label(name)


def _no_person() -> tuple[Any, ...]:
    """The overdue person's columns, empty (for the parts that are not about a person)."""
    return (
        _null(TZDateTime(), "earliest"),
        *(_null(String, name) for name in ("first_name", "last_name", "email", "unit_name")),
    )


def direct_counts(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> list[DirectCounts]:
    """Assigned, ready and overdue people per unit they belong to (one query)."""
    return count_units(session, viewer, campaign_id, now, root_path, with_cells=False).counts


@dataclass(frozen=True)
class OverdueRow:
    """A row of `people_page`, as `overdue_page` reads it."""

    position: int
    user_id: int
    first_name: str
    last_name: str
    email: str
    unit_id: int
    unit_name: str
    earliest: Any
    total: int


@dataclass(frozen=True)
class Counted:
    """What the counting statement gives: the units' direct counts, the heat map's cells and
    the first page of the overdue list (`overdue_page` turns it into people)."""

    counts: list[DirectCounts]
    cells: list[ModuleCell]
    overdue_people: list[OverdueRow]
    overdue_modules: list[tuple[int, int]]


def count_units(
    session: Session,
    viewer: User,
    campaign_id: int,
    now: datetime,
    root_path: str | None,
    *,
    with_cells: bool,
    overdue_limit: int | None = None,
) -> Counted:
    """The units' direct counts and, `with_cells`, the heat map's cells by unit and, with an
    `overdue_limit`, the first overdue people (one query)."""
    where = Where.of(campaign_id, viewer, now, root_path)
    counted = Counted([], [], [], [])
    statement = _direct_counts_statement(where.shape, with_cells, overdue_limit is not None)
    params = where.params
    if overdue_limit is not None:
        params = {**params, "offset": 0, "limit": overdue_limit}
    for row in session.execute(statement, params):
        kind, unit_id, module_id, user_id, n1, n2, n3 = row[:7]
        if kind == _UNIT:
            counted.counts.append(DirectCounts(int(unit_id), int(n1), int(n2 or 0), int(n3)))
        elif kind == _CELL:
            counted.cells.append(ModuleCell(int(unit_id), int(module_id), int(n1), int(n2 or 0)))
        elif kind == _OVERDUE_PERSON:
            earliest, first_name, last_name, email, unit_name = row[7:]
            counted.overdue_people.append(
                OverdueRow(
                    int(n2),
                    user_id,
                    first_name,
                    last_name,
                    email,
                    unit_id,
                    unit_name,
                    earliest,
                    int(n1),
                )
            )
        else:
            counted.overdue_modules.append((int(user_id), int(module_id)))
    counted.overdue_people.sort(key=lambda person: person.position)
    return counted
