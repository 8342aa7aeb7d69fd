"""Scope is by rank, not by home unit: actor x action x target, allowed and denied."""

from __future__ import annotations

import pytest

from app.people.models import Role
from app.permissions import Action, RoleGrant, may
from tests.factories import make_org, make_user


@pytest.fixture
def world(app):
    org = make_org()
    people = {
        "learner_a1": make_user(org.branch_a1, Role.LEARNER),
        "learner_b1": make_user(org.branch_b1, Role.LEARNER),
        "manager_a1": make_user(org.branch_a1, Role.MANAGER),
        "manager_a1_peer": make_user(org.branch_a1, Role.MANAGER),
        # A region manager whose home unit is a branch (the case the issue quotes).
        "manager_ra_at_a1": make_user(org.branch_a1, Role.MANAGER, scope_unit=org.region_a),
        "manager_ra": make_user(org.region_a, Role.MANAGER),
        "manager_net": make_user(org.network, Role.MANAGER),
        # The canton's trainers sit in a branch of the region.
        "trainer_at_a2": make_user(org.branch_a2, Role.TRAINER, provider=org.provider),
        "admin": make_user(org.network, Role.ADMIN),
        "admin2": make_user(org.network, Role.ADMIN),
    }
    return org, people


MANAGE = [
    # actor, target, allowed
    ("manager_a1", "learner_a1", True),
    ("manager_a1", "manager_a1_peer", True),  # same reach, not beyond
    ("manager_a1", "manager_ra_at_a1", False),  # home unit in scope, role reaches beyond
    ("manager_a1", "learner_b1", False),
    ("manager_a1", "manager_a1", False),  # nobody manages themselves
    ("manager_ra", "manager_a1", True),
    ("manager_ra", "manager_ra_at_a1", True),
    ("manager_ra", "trainer_at_a2", False),  # trainers belong to admins
    ("manager_ra", "admin", False),
    ("manager_net", "trainer_at_a2", False),
    ("manager_net", "admin", False),
    ("manager_net", "manager_ra", True),
    ("trainer_at_a2", "learner_a1", False),  # a trainer edits no people
    ("learner_a1", "learner_b1", False),
    ("admin", "trainer_at_a2", True),
    ("admin", "admin2", True),
    ("admin", "admin", False),
]


@pytest.mark.parametrize(("actor", "target", "allowed"), MANAGE)
def test_manage_person_by_rank(world, actor, target, allowed):
    _org, people = world
    assert may(people[actor], Action.MANAGE_PERSON, people[target]) is allowed


GRANTS = [
    # actor, target, role, scope, allowed
    ("manager_a1", "manager_a1", Role.ADMIN, None, False),  # granting themselves admin
    ("manager_a1", "manager_a1", Role.MANAGER, "region_a", False),
    ("manager_a1", "learner_a1", Role.ADMIN, None, False),
    ("manager_a1", "learner_a1", Role.MANAGER, "branch_a1", True),
    ("manager_a1", "learner_a1", Role.MANAGER, "region_a", False),  # wider than their own
    ("manager_a1", "learner_a1", Role.TRAINER, "provider", False),
    ("manager_ra", "learner_a1", Role.MANAGER, "region_a", True),
    ("manager_ra", "learner_a1", Role.MANAGER, "branch_b1", False),
    ("manager_ra", "learner_a1", Role.TRAINER, "provider", False),
    ("manager_net", "learner_b1", Role.ADMIN, None, False),
    ("trainer_at_a2", "learner_a1", Role.TRAINER, "provider", False),
    ("learner_a1", "learner_a1", Role.MANAGER, "branch_a1", False),
    ("admin", "learner_b1", Role.TRAINER, "provider", True),
    ("admin", "learner_b1", Role.ADMIN, None, True),
    ("admin", "admin", Role.MANAGER, "network", False),  # not even admins change themselves
]


@pytest.mark.parametrize(("actor", "target", "role", "scope", "allowed"), GRANTS)
def test_grant_role_never_wider_than_ones_own(world, actor, target, role, scope, allowed):
    org, people = world
    unit = getattr(org, scope) if scope and scope != "provider" else None
    provider_id = org.provider.id if scope == "provider" else None
    grant = RoleGrant(people[target], role, unit, provider_id)
    assert may(people[actor], Action.GRANT_ROLE, grant) is allowed


REVOKES = [
    ("manager_ra", "manager_a1", True),
    ("manager_a1", "manager_ra_at_a1", False),
    ("manager_ra", "trainer_at_a2", False),
    ("manager_a1", "manager_a1", False),
    ("admin", "trainer_at_a2", True),
]


@pytest.mark.parametrize(("actor", "target", "allowed"), REVOKES)
def test_revoke_role_by_rank(world, actor, target, allowed):
    _org, people = world
    person = people[target]
    (assignment,) = [a for a in person.roles if a.role != Role.LEARNER]
    assert may(people[actor], Action.REVOKE_ROLE, assignment) is allowed


PLACES = [
    ("manager_a1", "branch_a1", True),
    ("manager_a1", "branch_a2", False),
    ("manager_ra", "branch_a2", True),
    ("manager_ra", "branch_b1", False),
    ("trainer_at_a2", "branch_a2", False),
    ("admin", "branch_b2", True),
]


@pytest.mark.parametrize(("actor", "unit", "allowed"), PLACES)
def test_people_are_placed_only_in_units_in_scope(world, actor, unit, allowed):
    org, people = world
    assert may(people[actor], Action.PLACE_IN_UNIT, getattr(org, unit)) is allowed
