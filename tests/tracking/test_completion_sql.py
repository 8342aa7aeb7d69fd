"""The completion rule's SQL form gives the same answer as the Python rule, on the test database.

One completion per case of a grid: current or not, expiry (none, passed, within the "expiring
soon" window, far ahead), what was published after the completed version (nothing, a minor
version, a major one), plain module or attestation. For each, `counting_completion_clause` and
`expiring_completions_select` (SQL) must agree with `completion_status(...).counts` (Python).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.content.models import ModuleKind, ModuleVersion
from app.extensions import db
from app.people.models import Role
from app.tracking.completion import EXPIRING_SOON, completion_status
from app.tracking.completion_sql import counting_completion_clause, expiring_completions_select
from app.tracking.models import Completion, Statement
from app.tracking.statements import ObjectKind, Verb
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0, add_version, make_module

NOW = T0 + timedelta(days=100)
EXPIRIES = {
    "never": None,
    "expired": NOW - timedelta(days=1),
    "expires_now": NOW,
    "expiring_soon": NOW + timedelta(days=10),
    "far_ahead": NOW + EXPIRING_SOON + timedelta(days=60),
}
LATER = ("none", "minor", "major")
GRID = list(itertools.product((True, False), EXPIRIES, LATER, (False, True)))


def _complete(user_id: int, module_id: int, version_id: int, *, current: bool, expires_at):
    statement = Statement(
        uuid=str(uuid.uuid4()),
        user_id=user_id,
        verb=Verb.COMPLETED,
        object_kind=ObjectKind.MODULE,
        object_iri=f"https://example.org/modules/{module_id}",
        module_id=module_id,
        module_version_id=version_id,
        timestamp=T0,
        stored_at=T0,
        payload={},
    )
    db.session.add(statement)
    db.session.flush()
    db.session.add(
        Completion(
            user_id=user_id,
            module_id=module_id,
            module_version_id=version_id,
            number=1,
            completed_at=T0,
            expires_at=expires_at,
            is_current=current,
            statement_id=statement.id,
        )
    )
    db.session.flush()


def _python_counts(module_id: int, version_number: int, *, current: bool, expires_at) -> bool:
    latest_major = db.session.scalar(
        select(func.max(ModuleVersion.number)).where(
            ModuleVersion.module_id == module_id, ModuleVersion.is_major.is_(True)
        )
    )
    status = completion_status(
        version_number=version_number,
        expires_at=expires_at,
        latest_major_number=latest_major,
        now=NOW,
    )
    return current and status.counts


@pytest.fixture
def grid(app):
    """Build every case of the grid; return (case, user id, module id, Python answer) rows."""
    org = make_org()
    rows = []
    for case in GRID:
        current, expiry, later, attestation = case
        built = make_module(org.provider, languages={"fr": 1})
        if attestation:
            built.module.kind = ModuleKind.ATTESTATION
        completed = built.current
        if later != "none":
            add_version(built, is_major=later == "major")
        user = make_user(org.branch_a1, Role.LEARNER)
        _complete(
            user.id, built.module.id, completed.id, current=current, expires_at=EXPIRIES[expiry]
        )
        expected = _python_counts(
            built.module.id, completed.number, current=current, expires_at=EXPIRIES[expiry]
        )
        rows.append((case, user.id, built.module.id, expected))
    db.session.commit()
    return rows


def test_the_grid_covers_counting_and_not_counting_cases(grid):
    answers = {expected for _case, _user, _module, expected in grid}
    assert answers == {True, False}


def test_sql_counting_completion_agrees_with_the_python_rule(grid):
    for case, user_id, module_id, expected in grid:
        counts = db.session.scalar(select(counting_completion_clause(user_id, [module_id], NOW)))
        assert bool(counts) is expected, case


def test_sql_expiring_completions_agree_with_the_python_rule(grid):
    until = NOW + EXPIRING_SOON
    found = {
        (user_id, module_id)
        for user_id, module_id, _expires in db.session.execute(
            expiring_completions_select(NOW, until)
        )
    }
    for case, user_id, module_id, counts in grid:
        expires_at = EXPIRIES[case[1]]
        expiring = counts and expires_at is not None and expires_at <= until
        assert ((user_id, module_id) in found) is expiring, case
