"""The permission rules as a table: role x action x object, allowed and denied."""

from __future__ import annotations

import pytest

from app.people.models import Role
from app.permissions import Action, may, register_rule
from tests.factories import make_org, make_user


@pytest.fixture
def world(app):
    org = make_org()
    people = {
        "learner_a1": make_user(org.branch_a1, Role.LEARNER),
        "learner_a2": make_user(org.branch_a2, Role.LEARNER),
        "learner_b1": make_user(org.branch_b1, Role.LEARNER),
        "manager_a1": make_user(org.branch_a1, Role.MANAGER),
        "manager_ra": make_user(org.region_a, Role.MANAGER),
        "manager_net": make_user(org.network, Role.MANAGER),
        "trainer_ju": make_user(org.network, Role.TRAINER, provider=org.provider),
        "admin": make_user(org.network, Role.ADMIN),
        "inactive_admin": make_user(org.network, Role.ADMIN, is_active=False),
    }
    return org, people


CASES = [
    # actor, action, object, allowed
    ("learner_a1", Action.VIEW_PERSON, "learner_a1", True),
    ("learner_a1", Action.VIEW_PERSON, "learner_a2", False),
    ("learner_a1", Action.VIEW_UNIT, "branch_a1", False),
    ("learner_a1", Action.MANAGE_PERSON, "learner_a1", False),
    ("learner_a1", Action.ADMINISTER, None, False),
    ("manager_a1", Action.VIEW_PERSON, "learner_a1", True),
    ("manager_a1", Action.VIEW_PERSON, "learner_a2", False),
    ("manager_a1", Action.VIEW_UNIT, "branch_a1", True),
    ("manager_a1", Action.VIEW_UNIT, "region_a", False),
    ("manager_a1", Action.MANAGE_PERSON, "learner_a1", True),
    ("manager_a1", Action.MANAGE_PERSON, "manager_a1", False),
    ("manager_ra", Action.VIEW_PERSON, "learner_a2", True),
    ("manager_ra", Action.VIEW_PERSON, "learner_b1", False),
    ("manager_ra", Action.VIEW_UNIT, "branch_b1", False),
    ("manager_ra", Action.MANAGE_PERSON, "manager_a1", True),
    ("manager_net", Action.VIEW_PERSON, "learner_b1", True),
    ("manager_net", Action.MANAGE_PERSON, "admin", False),
    ("manager_net", Action.ADMINISTER, None, False),
    ("trainer_ju", Action.EDIT_CONTENT, "provider", True),
    ("trainer_ju", Action.EDIT_CONTENT, "other_provider", False),
    ("trainer_ju", Action.VIEW_PERSON, "learner_a1", False),
    ("manager_net", Action.EDIT_CONTENT, "provider", False),
    ("admin", Action.EDIT_CONTENT, "other_provider", True),
    ("admin", Action.VIEW_PERSON, "learner_b1", True),
    ("admin", Action.MANAGE_PERSON, "admin", False),
    ("admin", Action.ADMINISTER, None, True),
    ("inactive_admin", Action.ADMINISTER, None, False),
    ("inactive_admin", Action.VIEW_PERSON, "learner_a1", False),
]


def resolve(org, people, name):
    if name is None:
        return None
    if name in people:
        return people[name]
    if name in ("provider", "other_provider"):
        return getattr(org, name).id
    return getattr(org, name)


@pytest.mark.parametrize(("actor", "action", "target", "allowed"), CASES)
def test_permission_table(world, actor, action, target, allowed):
    org, people = world
    assert may(people[actor], action, resolve(org, people, target)) is allowed


def test_unknown_action_is_denied(world):
    _, people = world
    assert may(people["admin"], "launch_rockets", None) is False


def test_a_rule_that_raises_denies(world):
    _, people = world

    def broken(user, obj):
        raise RuntimeError("bug in a rule")

    register_rule("test.broken", broken)
    assert may(people["admin"], "test.broken", object()) is False


def test_anonymous_is_denied_everything(world):
    from flask_login import AnonymousUserMixin

    for action in Action:
        assert may(AnonymousUserMixin(), action, None) is False


def test_manager_scope_does_not_leak_through_path_prefixes(app):
    """Unit /1/2/ must not cover /1/23/: paths end with a slash."""
    org = make_org()
    from app.extensions import db
    from app.people.models import UnitKind
    from app.people.unit_operations import create_unit

    extra = [
        create_unit(
            db.session, code=f"x{i}", name=f"X{i}", kind=UnitKind.REGION, parent=org.network
        )
        for i in range(25)
    ]
    db.session.commit()
    manager = make_user(org.region_a, Role.MANAGER)
    for unit in extra:
        assert not may(manager, Action.VIEW_UNIT, unit), unit.path
