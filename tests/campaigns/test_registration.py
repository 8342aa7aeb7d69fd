"""Statements about an assigned module carry the campaign as their xAPI registration."""

from __future__ import annotations

from sqlalchemy import select

from app.campaigns.queries.learners import campaign_registration, xapi_registration
from app.content.models import ModulePage, ModuleVariant
from app.extensions import db
from app.people.models import Role
from app.platform.events import PageRead
from app.tracking.models import Statement
from app.tracking.page_views import on_page_view
from tests.campaigns.builders import at, make_campaign, make_module, tick
from tests.factories import make_user


def add_page(module) -> ModulePage:
    variant = db.session.scalars(
        select(ModuleVariant).where(ModuleVariant.version_id == module.current_version_id)
    ).first()
    page = ModulePage(
        variant_id=variant.id,
        position=0,
        title="Page",
        markdown="Text.",
        html="<p>Text.</p>",
        text="Text.",
    )
    db.session.add(page)
    db.session.commit()
    return page


def _read(person, module, page, now) -> PageRead:
    """The content reader's announcement that `person` read `page` of `module`."""
    return PageRead(
        user_id=person.id,
        module_id=module.id,
        version_id=module.current_version_id,
        page_id=page.id,
        language=page.variant.language,
        at=now,
    )


def test_a_page_view_of_an_assigned_module_carries_the_campaign_registration(app, org):
    assigned, other = make_module(org.provider), make_module(org.provider)
    page, other_page = add_page(assigned), add_page(other)
    person = make_user(org.branch_a1, Role.LEARNER)
    campaign = make_campaign(
        owner_unit=org.region_a, modules=[assigned], units=[org.branch_a1], schedule=True
    )
    tick(at("2027-02-01T07:00"))
    now = at("2027-02-02T09:00")
    expected = campaign_registration(campaign.id, person.id)
    assert xapi_registration(db.session, person.id, assigned.id, now) == expected
    assert xapi_registration(db.session, person.id, other.id, now) is None
    # Before the assignment went out, there is no campaign context yet.
    assert xapi_registration(db.session, person.id, assigned.id, at("2026-12-01T09:00")) is None

    on_page_view(db.session, _read(person, assigned, page, now))
    on_page_view(db.session, _read(person, other, other_page, now))
    db.session.commit()
    registrations = dict(
        db.session.execute(
            select(Statement.module_id, Statement.registration).where(
                Statement.user_id == person.id
            )
        ).all()
    )
    assert registrations[assigned.id] == expected
    assert registrations[other.id] is None
    payload = db.session.scalars(
        select(Statement.payload).where(Statement.module_id == assigned.id)
    ).first()
    assert payload["context"]["registration"] == expected
