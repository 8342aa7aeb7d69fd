"""`flask tracking rebuild`: the derived tables are exactly what the statements say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from app.extensions import db
from app.people.models import Role
from app.tracking.models import Completion, ModuleProgress, PageProgress
from app.tracking.projection import row_key, row_values
from app.tracking.rebuild import rebuild_derived
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0, add_version, make_module, read_pages, take_quiz


def snapshot() -> dict[str, dict]:
    """The derived tables by natural key, without surrogate ids."""
    return {
        model.__tablename__: {
            row_key(row): row_values(row) for row in db.session.scalars(select(model))
        }
        for model in (ModuleProgress, PageProgress, Completion)
    }


@pytest.fixture
def history(app):
    """Several learners, modules, versions, quizzes, expiries and redoes."""
    org = make_org()
    anne = make_user(org.branch_a1, Role.LEARNER)
    ben = make_user(org.branch_b1, Role.LEARNER)
    plain = make_module(org.provider, languages={"fr": 3, "de": 2}, valid_days=30)
    quizzed = make_module(org.provider, languages={"fr": 2}, with_quiz=True)
    read_pages(anne, plain.page_ids("fr"))
    read_pages(ben, plain.page_ids("de")[:1])
    read_pages(anne, quizzed.page_ids())
    take_quiz(anne, quizzed.quiz, correct=False, now=T0 + timedelta(hours=1))
    take_quiz(anne, quizzed.quiz, correct=True, now=T0 + timedelta(hours=2))
    take_quiz(ben, quizzed.quiz, correct=True, now=T0 + timedelta(hours=3))
    add_version(plain, languages={"fr": 2}, is_major=True)
    read_pages(anne, plain.page_ids("fr"), now=T0 + timedelta(days=40))
    read_pages(ben, plain.page_ids("fr")[:1], now=T0 + timedelta(days=41))
    return org


def test_rebuild_from_statements_gives_identical_tables(history):
    live = snapshot()
    assert sum(len(rows) for rows in live.values()) > 10
    db.session.execute(delete(Completion))
    db.session.execute(delete(PageProgress))
    db.session.execute(delete(ModuleProgress))
    db.session.commit()
    report = rebuild_derived(db.session, check=False)
    db.session.commit()
    assert report.differences  # everything was missing
    assert snapshot() == live
    assert rebuild_derived(db.session, check=True).differences == []


def test_check_finds_nothing_on_a_consistent_record(history):
    report = rebuild_derived(db.session, check=True)
    assert report.differences == []
    assert report.statements > 20


def test_check_reports_drift_and_repair_fixes_only_what_drifted(history):
    live = snapshot()
    db.session.execute(update(PageProgress).values(cycle=7))
    first = db.session.scalars(select(Completion).order_by(Completion.id)).first()
    db.session.execute(
        update(Completion).where(Completion.id == first.id).values(score_percent=12.0)
    )
    db.session.execute(delete(ModuleProgress).where(ModuleProgress.user_id == first.user_id))
    db.session.commit()
    report = rebuild_derived(db.session, check=True)
    db.session.rollback()
    kinds = {(d.table, d.kind) for d in report.differences}
    assert ("page_progress", "changed") in kinds
    assert ("completions", "changed") in kinds
    assert ("module_progress", "missing") in kinds
    assert any("score_percent: 12.0" in d.details for d in report.differences)
    repaired = rebuild_derived(db.session, check=False)
    db.session.commit()
    assert repaired.repaired_users
    assert snapshot() == live


def test_cli_check_exits_1_on_differences_and_repair_exits_0(history, runner):
    result = runner.invoke(args=["tracking", "rebuild", "--check"])
    assert result.exit_code == 0, result.output
    assert "0 difference(s) found" in result.output
    db.session.execute(update(Completion).values(is_current=False))
    db.session.commit()
    result = runner.invoke(args=["tracking", "rebuild", "--check"])
    assert result.exit_code == 1
    assert "completions" in result.output and "is_current" in result.output
    result = runner.invoke(args=["tracking", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "repaired" in result.output
    result = runner.invoke(args=["tracking", "rebuild", "--check"])
    assert result.exit_code == 0, result.output


def test_statements_about_deleted_content_are_kept_but_derive_nothing(history):
    from app.content.models import Module
    from app.tracking.models import Statement

    module = db.session.scalars(select(Module).order_by(Module.id)).first()
    count = len(db.session.scalars(select(Statement.id)).all())
    db.session.execute(delete(Module).where(Module.id == module.id))
    db.session.commit()
    assert len(db.session.scalars(select(Statement.id)).all()) == count
    assert rebuild_derived(db.session, check=True).differences == []
