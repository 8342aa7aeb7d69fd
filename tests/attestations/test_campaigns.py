"""A campaign requires an attestation like any module: confirming it is what makes people ready."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.people.models import Role
from app.readiness.queries.counting import assignment_rows
from tests.attestations.helpers import make_attestation, read_and_confirm
from tests.campaigns.builders import at, make_campaign, tick
from tests.factories import make_org, make_user
from tests.tracking.helpers import add_version, read_pages


@pytest.fixture
def org(app):
    return make_org()


def done_by_user(campaign, viewer, now) -> dict[int, int]:
    db.session.expire_all()
    rows = db.session.execute(assignment_rows(campaign.id, viewer, now)).all()
    return {row.user_id: row.done for row in rows}


def test_confirming_is_what_counts_for_a_campaign(org):
    built = make_attestation(org.provider, slug="home-office")
    anne = make_user(org.branch_a1, Role.LEARNER)
    bert = make_user(org.branch_a1, Role.LEARNER)
    admin = make_user(org.network, Role.ADMIN)
    campaign = make_campaign(
        owner_unit=org.network, modules=[built.module], units=[org.branch_a1], schedule=True
    )
    assigned = at("2027-02-01T08:00")
    tick(assigned, deliver=False)
    assert done_by_user(campaign, admin, assigned) == {anne.id: 0, bert.id: 0}

    # Bert only reads it; Anne reads and confirms.
    read_pages(bert, built.page_ids("fr"), now=assigned)
    read_and_confirm(anne, built, now=assigned)
    later = at("2027-02-02T08:00")
    assert done_by_user(campaign, admin, later) == {anne.id: 1, bert.id: 0}

    # A new major version: Anne must confirm again before she counts as ready.
    add_version(built, languages={"fr": 2}, is_major=True, published_at=later)
    assert done_by_user(campaign, admin, later) == {anne.id: 0, bert.id: 0}
    read_and_confirm(anne, built, now=at("2027-02-03T08:00"))
    assert done_by_user(campaign, admin, at("2027-02-04T08:00"))[anne.id] == 1
