"""Test data builders: small organisation trees and people with roles."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from app.extensions import db
from app.people.models import Provider, Role, Unit, UnitKind, User
from app.people.passwords import hash_password
from app.people.role_operations import grant_role
from app.people.unit_operations import create_unit, get_or_create_provider

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"
FAST_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@dataclass
class Org:
    """A network with two regions and two branches each."""

    network: Unit
    region_a: Unit
    region_b: Unit
    branch_a1: Unit
    branch_a2: Unit
    branch_b1: Unit
    branch_b2: Unit
    provider: Provider
    other_provider: Provider


def make_org() -> Org:
    """Build the standard small tree used across tests."""
    s = db.session
    network = create_unit(s, code="net", name="Network", kind=UnitKind.NETWORK)
    region_a = create_unit(s, code="ra", name="Region A", kind=UnitKind.REGION, parent=network)
    region_b = create_unit(s, code="rb", name="Region B", kind=UnitKind.REGION, parent=network)
    org = Org(
        network=network,
        region_a=region_a,
        region_b=region_b,
        branch_a1=create_unit(
            s, code="a1", name="Branch A1", kind=UnitKind.BRANCH, parent=region_a
        ),
        branch_a2=create_unit(
            s, code="a2", name="Branch A2", kind=UnitKind.BRANCH, parent=region_a
        ),
        branch_b1=create_unit(
            s, code="b1", name="Branch B1", kind=UnitKind.BRANCH, parent=region_b
        ),
        branch_b2=create_unit(
            s, code="b2", name="Branch B2", kind=UnitKind.BRANCH, parent=region_b
        ),
        provider=get_or_create_provider(s, slug="ju-it", name="Jura IT"),
        other_provider=get_or_create_provider(s, slug="bs-it", name="Basel IT"),
    )
    s.commit()
    return org


def make_user(
    unit: Unit | None = None,
    *roles: Role,
    scope_unit: Unit | None = None,
    provider: Provider | None = None,
    language: str | None = "en",
    password: str | None = PASSWORD,
    email: str | None = None,
    is_active: bool = True,
) -> User:
    """Create a user with roles; managers get `scope_unit` (default their unit)."""
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.org",
        first_name=f"First{n}",
        last_name=f"Last{n}",
        preferred_language=language,
        unit=unit,
        password_hash=hash_password(password, FAST_HASH) if password else None,
        is_active=is_active,
    )
    db.session.add(user)
    db.session.flush()
    for role in roles or (Role.LEARNER,):
        if role == Role.MANAGER:
            grant_role(db.session, user, role, unit=scope_unit or unit)
        elif role == Role.TRAINER:
            grant_role(db.session, user, role, provider=provider)
        else:
            grant_role(db.session, user, role)
    db.session.commit()
    return user
