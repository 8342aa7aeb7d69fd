"""Reads other features use: `assignments_for_user` (for "my learning") and the API list."""

from __future__ import annotations

from app.campaigns import operations as ops
from app.campaigns.queries.learners import CAMPAIGN_ASSIGNMENTS, assignments_for_user
from app.extensions import db
from app.people.models import Role
from tests.campaigns.builders import at, make_campaign, make_module, tick
from tests.factories import make_user


def test_assignments_for_user_lists_open_assignments_of_active_campaigns(app, org):
    required, optional = make_module(org.provider), make_module(org.provider)
    learner = make_user(org.branch_a1, Role.LEARNER, language="de")
    campaign = make_campaign(
        owner_unit=org.network,
        modules=[required],
        optional=[optional],
        units=[org.branch_a1],
        schedule=True,
    )
    assert assignments_for_user(db.session, learner.id, at("2027-01-20T08:00")) == []
    tick(at("2027-02-01T07:00"), deliver=False)
    rows = assignments_for_user(db.session, learner.id, at("2027-02-01T08:00"))
    assert {(r.module_id, r.due_at) for r in rows} == {
        (required.id, campaign.due_at),
        (optional.id, None),
    }
    assert {r.source for r in rows} == {"Steuererklärung 2027"}
    ops.close_campaign(db.session, campaign, actor=None, now=at("2027-02-02T08:00"))
    db.session.commit()
    assert assignments_for_user(db.session, learner.id, at("2027-02-02T09:00")) == []


def test_my_learning_can_list_campaign_assignments(app, org):
    """The tracking feature's "my learning" accepts this function as an assignment source."""
    from app.tracking.my_learning import my_learning

    module = make_module(org.provider, titles={"en": "Digital post"})
    learner = make_user(org.branch_a1, Role.LEARNER)
    make_campaign(owner_unit=org.network, modules=[module], units=[org.branch_a1], schedule=True)
    tick(at("2027-02-01T07:00"), deliver=False)
    learning = my_learning(
        db.session,
        learner.id,
        language="en",
        now=at("2027-03-05T08:00"),
        sources=[CAMPAIGN_ASSIGNMENTS],
    )
    (item,) = learning.todo
    assert item.module_id == module.id and item.is_overdue and item.assignment == "Tax 2027"
