"""Content publication and campaign changes are audited with before and after (issue 11)."""

from __future__ import annotations

from sqlalchemy import select

from app.campaigns import operations as campaign_ops
from app.content.models import Module
from app.content.operations import set_archived
from app.extensions import db
from app.people.models import Role
from app.platform.audit import AuditEvent
from tests.campaigns.builders import at, fields, make_campaign, make_module
from tests.content.builders import import_paths, module_text, write_module
from tests.factories import make_org, make_user


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_publishing_and_archiving_a_module_are_audited(app, tmp_path):
    make_org()
    trainer = make_user(None, Role.ADMIN)
    write_module(tmp_path, "tax-basics")
    import_paths([tmp_path])
    module = db.session.scalar(select(Module).where(Module.slug == "tax-basics"))
    (first,) = events("module.published")
    assert first.object_id == module.id
    assert first.details["before"] == {"version": None, "status": "draft"}
    assert first.details["after"] == {"version": 1, "status": "published"}
    write_module(
        tmp_path,
        "tax-basics",
        texts={"fr": module_text("tax-basics", revision=2, title="Impôts, 2e édition")},
    )
    import_paths([tmp_path], major=True)
    second = events("module.published")[-1]
    assert second.details["before"]["version"] == 1 and second.details["after"]["version"] == 2
    set_archived(db.session, module, archived=True, now=at("2027-01-02T09:00"), actor=trainer)
    db.session.commit()
    (archived,) = events("module.archived")
    assert archived.actor_id == trainer.id
    assert archived.details == {"before": {"status": "published"}, "after": {"status": "archived"}}


def test_campaign_changes_are_audited_with_before_and_after(app):
    org = make_org()
    admin = make_user(org.network, Role.ADMIN)
    make_user(org.branch_a1, Role.LEARNER)  # someone in the audience
    module = make_module(org.provider, "tax", titles={"fr": "Impôts"})
    campaign = make_campaign(
        owner_unit=org.network, modules=[module], units=[org.region_a], actor=admin
    )
    created = events("campaign.created")[-1]
    assert created.details["before"] == {} and created.details["after"]["owner_unit_id"]
    changed = fields(org.network, None, readiness_percent=90)
    campaign_ops.update_campaign(
        db.session, campaign, changed, now=at("2027-01-10T10:00"), actor=admin
    )
    db.session.commit()
    (updated,) = events("campaign.updated")
    assert updated.actor_id == admin.id
    assert updated.details["after"]["readiness_percent"] == 90
    assert updated.details["before"]["readiness_percent"] != 90
    assert set(updated.details["before"]) == set(updated.details["after"])
    campaign_ops.schedule_campaign(db.session, campaign, actor=admin, now=at("2027-01-10T11:00"))
    campaign_ops.close_campaign(db.session, campaign, actor=admin, now=at("2027-01-10T12:00"))
    db.session.commit()
    assert events("campaign.scheduled")[-1].details == {
        "before": {"state": "draft"},
        "after": {"state": "scheduled"},
    }
    assert events("campaign.closed")[-1].details == {
        "before": {"state": "scheduled"},
        "after": {"state": "closed"},
    }
