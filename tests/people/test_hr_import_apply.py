"""HR import against the database: the apply matrix, atomicity, scope, the commands, export."""

from __future__ import annotations

import csv
import io
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.field_rules import PeopleError
from app.people.hr_file import EXPORT_HEADER, HrFileError
from app.people.hr_sync import ImportRefused, apply_plan, export_rows, plan_import
from app.people.models import Role, User
from app.people.unit_operations import close_unit
from app.platform.audit import AuditEvent
from tests.factories import make_org, make_user

HEADER = ";".join(EXPORT_HEADER)


def hr_file(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def admin(org):
    return make_user(org.network, Role.ADMIN)


def people_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def by_hr(hr: str) -> User | None:
    return db.session.scalar(select(User).where(User.hr_number == hr))


def run_import(data: bytes, importer, *, full: bool = False, skip: bool = False):
    plan = plan_import(db.session, data, filename="hr.csv", importer=importer, is_full_export=full)
    result = apply_plan(db.session, plan, actor=importer, ip="127.0.0.1", skip_errors=skip)
    db.session.commit()
    return plan, result


def test_apply_matrix_creates_changes_moves_and_deactivates_with_audit(org, admin):
    stay = make_user(org.branch_a1)
    stay.hr_number = "100"
    old_last_name = stay.last_name
    mover = make_user(org.branch_a1)
    mover.hr_number = "200"
    leaver = make_user(org.branch_a2)
    leaver.hr_number = "300"
    db.session.commit()
    data = hr_file(
        f"100;{stay.first_name};Renamed;{stay.email};a1;de;",
        f"200;{mover.first_name};{mover.last_name};{mover.email};b1;;manager",
        "400;Neu;Person;neu@example.org;a2;it;",
    )
    plan, result = run_import(data, admin, full=True)
    assert (result.created, result.changed, result.moved, result.deactivated) == (1, 2, 1, 1)
    db.session.expire_all()
    assert by_hr("100").last_name == "Renamed" and by_hr("100").preferred_language == "de"
    moved = by_hr("200")
    assert moved.unit_id == org.branch_b1.id
    assert any(a.role == Role.MANAGER and a.unit_id == org.branch_b1.id for a in moved.roles)
    assert not by_hr("300").is_active
    new = by_hr("400")
    assert (new.email, new.unit_id, new.preferred_language) == (
        "neu@example.org",
        org.branch_a2.id,
        "it",
    )
    assert new.role_set == {Role.LEARNER} and new.password_hash is None
    actions = [
        (e.action, e.object_id)
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == admin.id))
    ]
    assert ("user.created", new.id) in actions
    assert ("user.deactivated", leaver.id) in actions
    assert ("user.moved", mover.id) in actions or ("user.updated", mover.id) in actions
    updated = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "user.updated", AuditEvent.object_id == stay.id
        )
    )
    assert updated.details["after"] == {"last_name": "Renamed", "preferred_language": "de"}
    assert updated.details["before"] == {"last_name": old_last_name, "preferred_language": "en"}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "hr_import.applied"))


def test_errors_block_the_apply_and_nothing_changes(org, admin):
    before = people_count()
    data = hr_file("1;A;B;a@example.org;a1;;", "2;C;D;not-an-address;a1;;")
    plan = plan_import(db.session, data, filename="x.csv", importer=admin, is_full_export=False)
    with pytest.raises(ImportRefused):
        apply_plan(db.session, plan, actor=admin, ip=None)
    db.session.rollback()
    assert people_count() == before


def test_skipping_errors_imports_the_good_rows_only(org, admin):
    before = people_count()
    _plan, result = run_import(
        hr_file("1;A;B;a@example.org;a1;;", "2;C;D;not-an-address;a1;;"), admin, skip=True
    )
    assert (result.created, result.skipped_rows) == (1, 1)
    assert people_count() == before + 1


def test_a_failure_in_the_middle_leaves_the_database_as_it_was(org, admin):
    before = people_count()
    data = hr_file(*(f"{i};A{i};B{i};p{i}@example.org;a1;;" for i in range(1, 6)))
    plan = plan_import(db.session, data, filename="x.csv", importer=admin, is_full_export=False)
    # Between the dry run and the apply the unit closes: the operations refuse the 1st person.
    close_unit(db.session, org.branch_a1, actor=admin, ip=None)
    db.session.commit()
    audit_before = db.session.scalar(select(func.count(AuditEvent.id)))
    with pytest.raises(PeopleError):
        apply_plan(db.session, plan, actor=admin, ip=None)
    db.session.rollback()
    assert people_count() == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_before


def test_manager_imports_within_their_scope_only(org, admin):
    manager = make_user(org.region_a, Role.MANAGER)
    region_b_person = make_user(org.branch_b1)
    region_b_person.hr_number = "900"
    peer = make_user(org.branch_a1, Role.MANAGER, scope_unit=org.network)
    peer.hr_number = "901"
    db.session.commit()
    data = hr_file(
        "1;In;Scope;in@example.org;a1;;",
        "2;Out;Side;out@example.org;b1;;",
        "3;Wants;Admin;wants@example.org;a2;;admin",
        "4;Branch;Boss;boss@example.org;a2;;manager",
        f"901;{peer.first_name};Changed;{peer.email};a1;;",
    )
    plan = plan_import(db.session, data, filename="x.csv", importer=manager, is_full_export=True)
    errors = {e.row: e.problem.text() for e in plan.errors}
    assert "outside your scope" in errors[3]
    assert "may not grant the role admin" in errors[4]
    assert "may not change" in errors[6]  # a peer with the same rank reaches beyond the scope
    assert [c.row for c in plan.creations] == [2, 5]
    # A full export from a region manager never deactivates people of another region.
    assert region_b_person.id not in [d.person_id for d in plan.deactivations]


def test_export_imports_back_with_no_change_and_is_formula_safe(org, admin, runner, tmp_path):
    evil = make_user(org.branch_a1)
    evil.first_name = '=HYPERLINK("http://evil")'
    evil.last_name = "-Minus"
    evil.hr_number = "@7"
    boss = make_user(org.branch_a1, Role.MANAGER, scope_unit=org.region_a)
    boss.hr_number = "8"
    trainer = make_user(org.branch_a2, Role.TRAINER, provider=org.provider)
    trainer.hr_number = "9"
    db.session.commit()
    target = tmp_path / "export.csv"
    result = runner.invoke(args=["users", "export", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(EXPORT_HEADER)
    evil_row = next(r for r in rows if "HYPERLINK" in r[1])
    assert evil_row[0] == "'@7" and evil_row[1].startswith("'=") and evil_row[2] == "'-Minus"
    assert next(r for r in rows if r[0] == "8")[6] == "manager:ra"
    assert next(r for r in rows if r[0] == "9")[6] == "trainer:ju-it"
    # people without an HR number (the admin) are left out and counted
    assert "without HR number" in result.output
    plan = plan_import(
        db.session, target.read_bytes(), filename="export.csv", importer=None, is_full_export=True
    )
    assert not plan.errors, [e.text() for e in plan.errors]
    assert plan.is_empty and plan.unchanged == 3


def test_cli_dry_run_lists_errors_and_changes_nothing(org, runner, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(hr_file("1;A;B;a@example.org;a1;;", "2;C;D;bad;a1;;"))
    before = people_count()
    result = runner.invoke(args=["users", "import", str(path), "--dry-run"])
    assert result.exit_code == 0
    assert "1 to create" in result.output and "row 3: bad is not a valid e-mail" in result.output
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert people_count() == before
    result = runner.invoke(args=["users", "import", str(path), "--skip-errors"])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output and "1 invitations queued" in result.output
    assert people_count() == before + 1


def test_cli_refuses_an_unreadable_file_naming_it(org, runner, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_bytes(b"Name;Mail\nA;B\n")
    result = runner.invoke(args=["users", "import", str(path)])
    assert (
        result.exit_code == 1 and "hr.csv" in result.output and "lacks the column" in result.output
    )


def test_file_errors_are_raised_before_anything_is_loaded(org):
    with pytest.raises(HrFileError):
        plan_import(db.session, b"", filename="x.csv", importer=None, is_full_export=False)


@pytest.mark.slow
def test_ten_thousand_rows_with_37_bad_rows_change_nothing_then_import_in_seconds(
    org, runner, tmp_path
):
    bad = set(range(50, 10_000, 270))
    lines = []
    for i in range(10_000):
        email = f"p{i}@example.org" if i + 2 not in bad else f"p{i}-at-example.org"
        lines.append(f"H{i:05d};First{i};Last{i};{email};{('a1', 'a2', 'b1')[i % 3]};fr;")
    path = tmp_path / "hr.csv"
    path.write_bytes(hr_file(*lines))
    before = people_count()
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert "37 bad row(s)" in result.output
    for row in sorted(bad):
        assert f"row {row}: " in result.output
    assert people_count() == before
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0

    good = tmp_path / "good.csv"
    good.write_bytes(hr_file(*(line.replace("-at-", "@") for line in lines)))
    started = time.perf_counter()
    result = runner.invoke(args=["users", "import", str(good), "--no-invite"])
    created_in = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert people_count() == before + 10_000
    started = time.perf_counter()
    result = runner.invoke(args=["users", "import", str(good), "--dry-run"])
    again_in = time.perf_counter() - started
    assert "10000 unchanged" in result.output
    # Generous bounds for a shared 2-core machine; the figures measured are in the report.
    assert created_in < 90 and again_in < 45


def test_export_rows_of_a_manager_cover_their_scope_only(org):
    manager = make_user(org.region_a, Role.MANAGER)
    for unit, hr in ((org.branch_a1, "1"), (org.branch_b1, "2")):
        person = make_user(unit)
        person.hr_number = hr
    db.session.commit()
    rows, _left_out = export_rows(db.session, manager)
    assert [r[0] for r in rows] == ["1"]
