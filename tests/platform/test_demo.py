"""`flask demo` loads a realistic network, idempotently."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.people.models import Role, RoleAssignment, Unit, UnitKind, User


def counts():
    return (
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(Unit)),
        db.session.scalar(select(func.count()).select_from(RoleAssignment)),
    )


@pytest.mark.slow
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
    # The demo campaign: active, assigned, with progress and readiness snapshots.
    from app.assessment.models import Attempt
    from app.campaigns.models import Assignment, Campaign, CampaignState
    from app.readiness.models import ReadinessSnapshot
    from app.tracking.models import Completion, Statement

    learning_tables = (Campaign, Assignment, Completion, Attempt, Statement, ReadinessSnapshot)
    learning_before = [
        db.session.scalar(select(func.count()).select_from(t)) for t in learning_tables
    ]
    campaigns = db.session.scalars(select(Campaign)).all()
    assert len(campaigns) == 1
    assert campaigns[0].state == CampaignState.ACTIVE
    assert campaigns[0].name["de"] == "Steuererklärung 2027"
    assignments, completions = learning_before[1], learning_before[2]
    assert assignments >= 200  # two modules for every Jura learner
    assert 0 < completions < assignments
    assert learning_before[5] >= 14 * 18  # a snapshot a day for the region and its branches
    assert "campaign «Déclaration d'impôt 2027»: active" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert counts() == before
    assert [
        db.session.scalar(select(func.count()).select_from(t)) for t in learning_tables
    ] == learning_before
    assert "already there (active)" in second.output
    languages = set(db.session.scalars(select(User.preferred_language)).all())
    assert {"fr", "de", "it"} <= languages
