"""Who is late: overdue people and assignments, a page at a time, and today's reminders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import groupby
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from app.campaigns.models import CampaignModule, Notice
from app.people.models import Unit, User
from app.readiness.queries.counting import Where, as_utc, assignment_rows, assignment_rows_shaped


@dataclass(frozen=True)
class OverduePerson:
    """A person with at least one required module past its due date."""

    user_id: int
    name: str
    email: str
    unit_id: int
    unit_name: str
    earliest_due_at: datetime
    missing_module_ids: tuple[int, ...]
    reminded_today: bool = False


def overdue_people(
    session: Session,
    viewer: User,
    campaign_id: int,
    now: datetime,
    *,
    root_path: str | None,
    offset: int = 0,
    limit: int = 50,
    reminder_key: Callable[[int], str] | None = None,
) -> tuple[list[OverduePerson], int]:
    """One page of overdue people (longest overdue first) and the total (two queries)."""
    where = Where.of(campaign_id, viewer, now, root_path)
    statements = _overdue_statements(where.shape)
    params = {**where.params, "offset": offset, "limit": limit}
    rows = session.execute(statements.people, params).all()
    if not rows:
        if offset == 0:
            return [], 0
        return [], int(session.scalar(statements.count, where.params) or 0)
    ids = [row.user_id for row in rows]
    missing = session.execute(statements.missing, {**where.params, "ids": ids}).all()
    return overdue_page(session, rows, missing, reminder_key)


def overdue_page(
    session: Session,
    rows: Sequence[Any],
    missing: Iterable[tuple[int, int]],
    reminder_key: Callable[[int], str] | None,
) -> tuple[list[OverduePerson], int]:
    """The people of a page (`people_page` rows, in order) with their late modules (pairs of
    user and module id) and whether today's reminder went out, and the total."""
    if not rows:
        return [], 0
    late_modules: dict[int, list[int]] = defaultdict(list)
    for user_id, module_id in sorted(missing):
        late_modules[user_id].append(module_id)
    ids = [row.user_id for row in rows]
    reminded = _reminded_today(session, ids, reminder_key) if reminder_key is not None else set()
    return [
        OverduePerson(
            user_id=row.user_id,
            name=f"{row.first_name} {row.last_name}".strip(),
            email=row.email,
            unit_id=row.unit_id,
            unit_name=row.unit_name,
            earliest_due_at=as_utc(row.earliest),  # type: ignore[arg-type]
            missing_module_ids=tuple(late_modules[row.user_id]),
            reminded_today=row.user_id in reminded,
        )
        for row in rows
    ], int(rows[0].total)


def late_rows_of(rows: Any) -> Any:
    """The late assignments among `assignment_rows_shaped` rows (a subquery or CTE)."""
    return select(rows).where(rows.c.late == 1).subquery("late")


def people_page(late_rows: Any) -> Select[Any]:
    """A page of the people with late assignments (`offset` and `limit` bound), longest
    overdue first: each row with the person, their unit, their earliest due date, the total
    number of overdue people and the row's position in the list.

    People are grouped on the late rows' narrow columns before their names are joined, and
    the page is cut before it is numbered: the database keeps only the page's rows while it
    sorts (a bounded top-N sort), where numbering first sorted every late person by name.
    """
    person = (
        select(
            late_rows.c.user_id,
            late_rows.c.unit_id,
            func.min(late_rows.c.due_at).label("earliest"),
            func.count().over().label("total"),
        )
        .group_by(late_rows.c.user_id, late_rows.c.unit_id)
        .subquery("person")
    )
    page = (
        select(
            person.c.user_id,
            User.first_name,
            User.last_name,
            User.email,
            person.c.unit_id,
            Unit.name.label("unit_name"),
            person.c.earliest,
            person.c.total,
        )
        .join(User, User.id == person.c.user_id)
        .join(Unit, Unit.id == person.c.unit_id)
        .order_by(person.c.earliest, Unit.name, User.last_name, person.c.user_id)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
        .subquery("page")
    )
    order = (page.c.earliest, page.c.unit_name, page.c.last_name, page.c.user_id)
    return select(page, func.row_number().over(order_by=order).label("position")).order_by(*order)


@dataclass(frozen=True)
class _OverdueStatements:
    people: Any  # a page of overdue people, each row with the total
    missing: Any  # the late modules of some people (`ids`)
    count: Any  # the number of overdue people (for a page past the end)


@lru_cache(maxsize=64)
def _overdue_statements(shape: tuple[int | None, bool]) -> _OverdueStatements:
    """The overdue list's statements for one shape of `Where` (built once, bind parameters)."""
    late_rows = late_rows_of(assignment_rows_shaped(shape, past_due_only=True).subquery("a"))
    missing = select(late_rows.c.user_id, late_rows.c.module_id).where(
        late_rows.c.user_id.in_(bindparam("ids", expanding=True))
    )
    distinct_people = select(late_rows.c.user_id).group_by(late_rows.c.user_id).subquery()
    count = select(func.count()).select_from(distinct_people)
    return _OverdueStatements(people_page(late_rows), missing, count)


# Rows fetched at a time by the export: a server-side cursor on PostgreSQL, so memory stays
# the same whatever the number of people.
EXPORT_BATCH = 1_000


@lru_cache(maxsize=64)
def _export_statement(shape: tuple[int | None, bool]) -> Any:
    """Every late assignment with its person, in the overdue list's order (built once)."""
    late = assignment_rows_shaped(shape, past_due_only=True).subquery("a")
    earliest = func.min(late.c.due_at).over(partition_by=late.c.user_id)
    late_rows = (
        select(late.c.user_id, late.c.unit_id, late.c.module_id, earliest.label("earliest"))
        .where(late.c.late == 1)
        .subquery("late")
    )
    return (
        select(
            late_rows.c.user_id,
            User.first_name,
            User.last_name,
            User.email,
            Unit.id,
            Unit.name,
            late_rows.c.earliest,
            late_rows.c.module_id,
        )
        .join(User, User.id == late_rows.c.user_id)
        .join(Unit, Unit.id == late_rows.c.unit_id)
        .order_by(
            late_rows.c.earliest,
            Unit.name,
            User.last_name,
            late_rows.c.user_id,
            late_rows.c.module_id,
        )
    )


def campaign_module_ids(session: Session, campaign_id: int) -> set[int]:
    """Every module of a campaign (those an overdue row can name), for their titles."""
    return set(
        session.scalars(
            select(CampaignModule.module_id).where(CampaignModule.campaign_id == campaign_id)
        )
    )


def count_overdue(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> int:
    """How many people are overdue (one query)."""
    where = Where.of(campaign_id, viewer, now, root_path)
    return int(session.scalar(_overdue_statements(where.shape).count, where.params) or 0)


def stream_overdue_people(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> Iterator[OverduePerson]:
    """Every overdue person in the overdue list's order, read in batches as they are used
    (one query, a server-side cursor where the driver has one): for exports of any size."""
    where = Where.of(campaign_id, viewer, now, root_path)
    result = session.execute(
        _export_statement(where.shape),
        where.params,
        execution_options={"yield_per": EXPORT_BATCH},
    )
    try:
        for user_id, group in groupby(result, key=lambda row: row[0]):
            rows = list(group)  # one person's late modules
            first = rows[0]
            modules = [row[7] for row in rows]
            yield OverduePerson(
                user_id=user_id,
                name=f"{first[1]} {first[2]}".strip(),
                email=first[3],
                unit_id=first[4],
                unit_name=first[5],
                earliest_due_at=as_utc(first[6]),  # type: ignore[arg-type]
                missing_module_ids=tuple(modules),
            )
    finally:
        result.close()


def _reminded_today(
    session: Session, user_ids: list[int], reminder_key: Callable[[int], str]
) -> set[int]:
    """The people among `user_ids` whose reminder of today went out (one query)."""
    keys = {reminder_key(i): i for i in user_ids}
    return {
        keys[key]
        for key in session.scalars(
            select(Notice.dedupe_key).where(Notice.dedupe_key.in_(list(keys)))
        )
    }


def reminder_sent(session: Session, key: str) -> bool:
    """Tell whether the reminder with this dedupe key went out (its in-app notice always does;
    the e-mail only for people who want e-mail)."""
    return session.scalar(select(Notice.id).where(Notice.dedupe_key == key)) is not None


@dataclass(frozen=True)
class OverdueAssignment:
    """One required module a person has not done by its due date."""

    assignment_id: int
    user_id: int
    name: str
    email: str
    unit_id: int
    unit_code: str
    unit_name: str
    module_id: int
    due_at: datetime


def overdue_assignments(
    session: Session,
    viewer: User,
    campaign_id: int,
    now: datetime,
    *,
    root_path: str | None,
    offset: int,
    limit: int,
) -> tuple[list[OverdueAssignment], int]:
    """One page of overdue assignments (oldest due date first) and the total (two queries)."""
    rows = assignment_rows(
        campaign_id, viewer, now, root_path=root_path, past_due_only=True
    ).subquery("a")
    late = select(rows).where(rows.c.late == 1).subquery("late")
    total = int(session.scalar(select(func.count()).select_from(late)) or 0)
    page = session.execute(
        select(
            late.c.assignment_id,
            late.c.user_id,
            User.first_name,
            User.last_name,
            User.email,
            Unit.id,
            Unit.code,
            Unit.name,
            late.c.module_id,
            late.c.due_at,
        )
        .join(User, User.id == late.c.user_id)
        .join(Unit, Unit.id == late.c.unit_id)
        .order_by(late.c.due_at, late.c.assignment_id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        OverdueAssignment(
            assignment_id=r[0],
            user_id=r[1],
            name=f"{r[2]} {r[3]}".strip(),
            email=r[4],
            unit_id=r[5],
            unit_code=r[6],
            unit_name=r[7],
            module_id=r[8],
            due_at=as_utc(r[9]),  # type: ignore[arg-type]
        )
        for r in page
    ], total
