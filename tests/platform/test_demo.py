"""`flask demo` loads a realistic network, idempotently."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.people.models import Role, RoleAssignment, Unit, UnitKind, User


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(Unit)),
        db.session.scalar(select(func.count()).select_from(RoleAssignment)),
    )


def test_demo_loads_and_is_idempotent(runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo log-ins" in first.output
    before = counts()
    users, units, _ = before
    assert 150 <= users <= 200
    jura_branches = db.session.scalars(
        select(Unit.name).where(Unit.kind == UnitKind.BRANCH, Unit.code.like("ju-%"))
    ).all()
    assert len(jura_branches) == 17
    assert {"Saignelégier", "Les Breuleux", "Le Noirmont", "Delémont", "Porrentruy"} <= set(
        jura_branches
    )
    for role in Role:
        assert db.session.scalar(
            select(func.count()).select_from(RoleAssignment).where(RoleAssignment.role == role)
        ), role
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert counts() == before
    languages = set(db.session.scalars(select(User.preferred_language)).all())
    assert {"fr", "de", "it"} <= languages
