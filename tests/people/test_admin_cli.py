"""`flask units|providers|users ...`: the admin operations from the shell, errors exit non-zero."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import Provider, Role, Unit, User
from app.platform.audit import AuditEvent
from tests.factories import make_org, make_user


@pytest.fixture
def org(app):
    return make_org()


def run(runner, *args):
    return runner.invoke(args=list(args), catch_exceptions=False)


def fresh(model, **where):
    db.session.expire_all()
    return db.session.scalar(select(model).filter_by(**where))


def test_a_rollout_from_the_shell(runner, org):
    steps = [
        ("units", "add", "ju", "Région Jura", "--kind", "region", "--parent", "net"),
        ("units", "add", "ju-delemont", "Delémont", "--kind", "branch", "--parent", "ju"),
        ("units", "rename", "ju-delemont", "Delémont gare"),
        ("providers", "add", "vd-it", "Vaud IT"),
        ("providers", "rename", "vd-it", "DGNSI Vaud"),
        ("users", "add", "anne@example.org", "--first-name", "Anne", "--last-name", "Muster",
         "--unit", "ju-delemont", "--language", "fr", "--hr-number", "HR-1"),
        ("users", "edit", "HR-1", "--first-name", "Anne-Marie", "--language", "de"),
        ("users", "move", "anne@example.org", "a1"),
        ("users", "grant", "anne@example.org", "manager", "--unit", "a1"),
        ("users", "grant", "anne@example.org", "trainer", "--provider", "vd-it"),
        ("users", "revoke", "anne@example.org", "trainer"),
        ("users", "deactivate", "HR-1"),
        ("users", "reactivate", "HR-1"),
        ("units", "move", "ju", "net"),
    ]  # fmt: skip
    for step in steps:
        result = run(runner, *step)
        assert result.exit_code == 0, (step, result.output)
    anne = fresh(User, email="anne@example.org")
    assert (anne.first_name, anne.preferred_language, anne.unit.code) == ("Anne-Marie", "de", "a1")
    assert anne.is_active
    assert {(a.role, a.unit.code if a.unit else None) for a in anne.roles} == {
        (Role.LEARNER, None),
        (Role.MANAGER, "a1"),
    }
    assert fresh(Unit, code="ju-delemont").name == "Delémont gare"
    assert fresh(Provider, slug="vd-it").name == "DGNSI Vaud"
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "user", AuditEvent.object_id == anne.id)
            .order_by(AuditEvent.id)
        )
    ]
    assert actions == [
        "user.created",
        "role.granted",
        "user.updated",
        "user.moved",
        "role.granted",
        "role.granted",
        "role.revoked",
        "user.deactivated",
        "user.reactivated",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("units", "add", "a1", "D", "--kind", "branch", "--parent", "ra"), "code: a1 is already"),
        (("units", "add", "x9", "X", "--kind", "branch", "--parent", "nowhere"), "parent: no unit"),
        (("units", "add", "x9", "X", "--kind", "branch", "--parent", "net"), "cannot sit below"),
        (("units", "move", "ra", "a1"), "a1 lies inside ra itself"),
        (("units", "move", "ra", "rb"), "cannot sit below"),
        (("units", "close", "a1"), "active people"),
        (("units", "close", "zz"), "unit: no unit has the code"),
        (("providers", "add", "ju-it", "Again"), "slug: ju-it is already used"),
        (("providers", "rename", "nope", "X"), "provider: no provider"),
        (("users", "add", "bad-address", "--first-name", "A", "--last-name", "B"), "e-mail"),
        (("users", "add", "taken@example.org", "--first-name", "A", "--last-name", "B"), "already"),
        (("users", "edit", "nobody@example.org", "--first-name", "X"), "person: nobody"),
        (("users", "edit", "taken@example.org"), "nothing to change"),
        (("users", "edit", "taken@example.org", "--language", "es"), "language: 'es'"),
        (("users", "move", "taken@example.org", "zz"), "unit: no unit"),
        (("users", "grant", "taken@example.org", "manager"), "a manager role needs a unit"),
        (("users", "grant", "taken@example.org", "trainer"), "a trainer role needs a provider"),
        (("users", "revoke", "taken@example.org", "admin"), "holds no such admin role"),
        (("users", "deactivate", "boss@example.org"), "last active administrator"),
    ],
)  # fmt: skip
def test_errors_exit_non_zero_with_a_clear_message(runner, org, args, message):
    make_user(org.branch_a1, Role.LEARNER, email="taken@example.org")
    make_user(org.network, Role.ADMIN, email="boss@example.org")
    before = db.session.scalar(select(db.func.count(AuditEvent.id)))
    result = runner.invoke(args=list(args))
    assert result.exit_code != 0
    assert message in result.output, result.output
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == before


def test_closing_from_the_shell_keeps_the_people(runner, org):
    person = make_user(org.branch_b2, Role.LEARNER, email="gone@example.org")
    assert run(runner, "users", "deactivate", "gone@example.org").exit_code == 0
    assert run(runner, "units", "close", "b2").exit_code == 0
    assert fresh(Unit, code="b2").closed_at is not None
    assert fresh(User, id=person.id).unit.code == "b2"
    result = runner.invoke(args=["users", "reactivate", "gone@example.org"])
    assert result.exit_code != 0 and "closed" in result.output
