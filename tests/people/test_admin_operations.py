"""Writes on people, roles, units and providers: validation, tree paths and audit rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.field_rules import PeopleError
from app.people.models import Role, Unit, UnitKind, User
from app.people.operations import create_person, deactivate_user, reactivate_user, update_person
from app.people.role_operations import grant_role, revoke_role
from app.people.unit_operations import (
    close_unit,
    create_provider,
    create_unit,
    move_unit,
    rename_provider,
    rename_unit,
)
from app.platform.audit import AuditEvent
from tests.factories import make_org, make_user

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def events(action: str) -> list[AuditEvent]:
    """Return the audit rows of one action, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def admin(org):
    return make_user(org.network, Role.ADMIN)


def test_create_person_validates_and_records_before_after(org, admin):
    person = create_person(
        db.session,
        email="  Anne.Muster@Example.org ",
        first_name="Anne",
        last_name="Muster",
        unit=org.branch_a1,
        language="fr",
        hr_number="HR-1",
        actor=admin,
        ip="10.0.0.1",
        now=NOW,
    )
    db.session.commit()
    assert person.email == "anne.muster@example.org"
    assert person.role_set == {Role.LEARNER}
    (event,) = events("user.created")
    assert event.actor_id == admin.id and event.object_id == person.id
    assert event.ip_address == "10.0.0.1" and event.occurred_at == NOW
    assert event.details["before"]["email"] is None
    assert event.details["after"] == {
        "email": "anne.muster@example.org",
        "first_name": "Anne",
        "last_name": "Muster",
        "preferred_language": "fr",
        "hr_number": "HR-1",
        "unit": "a1",
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "e-mail"),
        ({"email": "taken@example.org"}, "already used"),
        ({"email": "TAKEN@example.org"}, "already used"),
        ({"hr_number": "HR-TAKEN"}, "HR number"),
        ({"language": "es"}, "language"),
        ({"first_name": "  "}, "first name"),
        ({"last_name": "x" * 101}, "last name"),
    ],
)
def test_create_person_refuses_bad_fields(org, admin, fields, message):
    make_user(org.branch_a1, Role.LEARNER, email="taken@example.org").hr_number = "HR-TAKEN"
    db.session.commit()
    values = {
        "email": "new@example.org",
        "first_name": "New",
        "last_name": "Person",
        "language": "de",
        "hr_number": None,
    } | fields
    with pytest.raises(PeopleError, match=message):
        create_person(db.session, unit=org.branch_a1, actor=admin, ip=None, **values)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.first_name == "New")) is None


def test_update_person_returns_only_real_changes(org, admin):
    person = make_user(org.branch_a1, Role.LEARNER, language="fr")
    unchanged = update_person(
        db.session,
        person,
        actor=admin,
        ip=None,
        first_name=person.first_name,
        preferred_language="fr",
    )
    assert unchanged == {}
    changed = update_person(
        db.session,
        person,
        actor=admin,
        ip="10.1.1.1",
        now=NOW,
        first_name="Renamed",
        preferred_language="de",
        hr_number="HR-9",
        unit=org.branch_b1,
    )
    db.session.commit()
    assert set(changed) == {"first_name", "preferred_language", "hr_number", "unit"}
    assert changed["unit"] == (org.branch_a1, org.branch_b1)
    assert person.unit_id == org.branch_b1.id
    (event,) = events("user.updated")
    assert event.details["before"]["unit"] == "a1"
    assert event.details["after"]["unit"] == "b1"
    assert event.details["before"]["preferred_language"] == "fr"
    assert event.details["after"]["hr_number"] == "HR-9"


def test_update_person_moving_only_is_a_move(org, admin):
    person = make_user(org.branch_a1, Role.LEARNER)
    update_person(db.session, person, actor=admin, ip=None, unit=org.branch_a2)
    (event,) = events("user.moved")
    assert event.details == {"before": {"unit": "a1"}, "after": {"unit": "a2"}}


def test_update_person_refuses_a_taken_email_and_changes_nothing(org, admin):
    make_user(org.branch_a1, Role.LEARNER, email="other@example.org")
    person = make_user(org.branch_a1, Role.LEARNER)
    before = person.first_name
    with pytest.raises(PeopleError, match="e-mail: other@example.org is already used"):
        update_person(
            db.session, person, actor=admin, ip=None, first_name="X", email="Other@example.org"
        )
    assert person.first_name == before
    with pytest.raises(PeopleError, match="cannot change"):
        update_person(db.session, person, actor=admin, ip=None, is_active=False)


def test_grant_and_revoke_record_before_after(org, admin):
    person = make_user(org.branch_a1, Role.LEARNER)
    assignment = grant_role(
        db.session, person, Role.MANAGER, unit=org.region_a, actor=admin, ip=None
    )
    again = grant_role(db.session, person, Role.MANAGER, unit=org.region_a, actor=admin, ip=None)
    assert again is assignment
    granted = [
        e
        for e in events("role.granted")
        if e.object_id == person.id and e.details["role"] == "manager"
    ]
    assert len(granted) == 1
    assert granted[0].details["after"] == {"role": "manager", "unit": "ra", "provider": None}
    revoke_role(db.session, assignment, actor=admin, ip=None)
    db.session.commit()
    assert person.role_set == {Role.LEARNER}
    (revoked,) = events("role.revoked")
    assert revoked.details["before"]["role"] == "manager" and revoked.details["after"] == {}


def test_last_admin_keeps_the_role_and_stays_active(org, admin):
    (assignment,) = [a for a in admin.roles if a.role == Role.ADMIN]
    with pytest.raises(PeopleError, match="last active administrator"):
        revoke_role(db.session, assignment, actor=None, ip=None)
    with pytest.raises(PeopleError, match="last active administrator"):
        deactivate_user(db.session, admin, actor=None, ip=None)
    make_user(org.network, Role.ADMIN)
    revoke_role(db.session, assignment, actor=None, ip=None)
    assert not admin.has_role(Role.ADMIN)


def test_deactivate_and_reactivate_record_before_after(org, admin):
    person = make_user(org.branch_a1, Role.LEARNER)
    version = person.session_version
    deactivate_user(db.session, person, actor=admin, ip=None, now=NOW)
    reactivate_user(db.session, person, actor=admin, ip=None, now=NOW)
    db.session.commit()
    assert person.is_active and person.session_version == version + 1
    (off,) = events("user.deactivated")
    assert off.details["before"]["is_active"] is True
    assert off.details["after"] == {"is_active": False, "deactivated_at": NOW.isoformat()}
    (on,) = events("user.reactivated")
    assert on.details["after"]["is_active"] is True


def test_moving_a_region_rewrites_the_whole_subtree(org, admin):
    other_net = create_unit(db.session, code="net2", name="Other", kind=UnitKind.NETWORK)
    deep = create_unit(
        db.session, code="a1x", name="Extra", kind=UnitKind.BRANCH, parent=org.region_a
    )
    move_unit(db.session, org.region_a, other_net, actor=admin, ip=None)
    db.session.commit()
    db.session.expire_all()
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    for unit in units.values():
        parent = units.get(next((c for c, u in units.items() if u.id == unit.parent_id), ""))
        expected = f"{parent.path if parent else '/'}{unit.id}/"
        assert unit.path == expected, unit.code
        assert unit.depth == (parent.depth + 1 if parent else 0)
    assert units["a1x"].path == f"/{other_net.id}/{org.region_a.id}/{deep.id}/"
    assert units["b1"].path.startswith(units["net"].path)
    (event,) = events("unit.moved")
    assert event.details["before"]["parent"] == "net"
    assert event.details["after"]["parent"] == "net2"


@pytest.mark.parametrize(
    ("unit", "parent", "message"),
    [
        ("network", "region_a", "top of the tree"),
        ("branch_a1", "network", "cannot sit below"),
        ("region_a", "branch_b1", "cannot sit below"),
    ],
)
def test_moves_that_break_the_tree_are_refused(org, admin, unit, parent, message):
    with pytest.raises(PeopleError, match=message):
        move_unit(db.session, getattr(org, unit), getattr(org, parent), actor=admin, ip=None)


def test_closing_keeps_history_and_takes_no_new_people(org, admin):
    person = make_user(org.branch_a2, Role.LEARNER)
    with pytest.raises(PeopleError, match="1 active people"):
        close_unit(db.session, org.branch_a2, actor=admin, ip=None)
    deactivate_user(db.session, person, actor=admin, ip=None)
    close_unit(db.session, org.region_a, actor=admin, ip=None, now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert org.branch_a2.closed_at == NOW and org.region_a.closed_at == NOW
    assert org.branch_b1.closed_at is None
    assert db.session.get(User, person.id).unit_id == org.branch_a2.id  # history kept
    with pytest.raises(PeopleError, match="closed"):
        create_person(
            db.session,
            email="late@example.org",
            first_name="Late",
            last_name="Comer",
            unit=org.branch_a2,
            actor=admin,
            ip=None,
        )
    mover = make_user(org.branch_b1, Role.LEARNER)
    with pytest.raises(PeopleError, match="closed"):
        update_person(db.session, mover, actor=admin, ip=None, unit=org.branch_a1)
    with pytest.raises(PeopleError, match="closed"):
        grant_role(db.session, mover, Role.MANAGER, unit=org.branch_a1, actor=admin, ip=None)
    with pytest.raises(PeopleError, match="closed"):
        reactivate_user(db.session, person, actor=admin, ip=None)
    with pytest.raises(PeopleError, match="closed"):
        create_unit(db.session, code="a3", name="New", kind=UnitKind.BRANCH, parent=org.region_a)


def test_units_and_providers_are_validated_and_audited(org, admin):
    with pytest.raises(PeopleError, match="code: a1 is already used"):
        create_unit(db.session, code="a1", name="Dup", kind=UnitKind.BRANCH, parent=org.region_a)
    with pytest.raises(PeopleError, match="code"):
        create_unit(
            db.session, code="has space", name="X", kind=UnitKind.BRANCH, parent=org.region_a
        )
    rename_unit(db.session, org.branch_a1, "Delémont", actor=admin, ip=None)
    (renamed,) = events("unit.renamed")
    assert renamed.details == {"before": {"name": "Branch A1"}, "after": {"name": "Delémont"}}
    provider = create_provider(db.session, slug="vd-it", name="Vaud IT", actor=admin, ip=None)
    with pytest.raises(PeopleError, match="slug: vd-it is already used"):
        create_provider(db.session, slug="vd-it", name="Again", actor=admin, ip=None)
    with pytest.raises(PeopleError, match="slug"):
        create_provider(db.session, slug="Bad Slug", name="Again", actor=admin, ip=None)
    rename_provider(db.session, provider, "DGNSI Vaud", actor=admin, ip=None)
    (event,) = events("provider.renamed")
    assert event.details["after"] == {"name": "DGNSI Vaud"}
    assert events("provider.created")[0].details["after"]["slug"] == "vd-it"


def test_names_with_line_breaks_are_refused_and_audit_details_are_encoded(org, admin):
    from app.platform.audit import record_event

    person = make_user(org.branch_a1, Role.LEARNER)
    with pytest.raises(PeopleError, match="last name: must not contain control"):
        update_person(db.session, person, actor=admin, ip=None, last_name="Evil\r\nadmin=1")
    event = record_event(db.session, "x", before={"name": "a\nb"}, after={"name": "c"})
    assert event.details["before"] == {"name": "a\\nb"}


def test_refusals_carry_a_translatable_template(org, admin):
    make_user(org.branch_a1, Role.LEARNER, email="taken2@example.org")
    with pytest.raises(PeopleError) as refused:
        create_person(
            db.session,
            email="taken2@example.org",
            first_name="A",
            last_name="B",
            unit=org.branch_a1,
            actor=admin,
            ip=None,
        )
    assert str(refused.value) == "e-mail: taken2@example.org is already used by another person"
    assert refused.value.template == "%(address)s is already used by another person"
    assert refused.value.params == {"address": "taken2@example.org"}


def test_a_subtree_moves_in_one_update_whatever_its_size(org, admin):
    from sqlalchemy import event

    for n in range(30):
        create_unit(
            db.session, code=f"x{n}", name=f"X{n}", kind=UnitKind.BRANCH, parent=org.region_a
        )
    other = create_unit(db.session, code="net2", name="Other", kind=UnitKind.NETWORK)
    db.session.commit()
    updates: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE UNITS"):
            updates.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        move_unit(db.session, org.region_a, other, actor=admin, ip=None)
        db.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(updates) == 1
    db.session.expire_all()
    region = db.session.get(Unit, org.region_a.id)
    assert region.parent_id == other.id and region.parent.code == "net2"
    moved = db.session.scalars(select(Unit).where(Unit.parent_id == region.id)).all()
    assert len(moved) == 32
    assert all(u.path == f"/{other.id}/{region.id}/{u.id}/" and u.depth == 2 for u in moved)
