"""After `flask demo`, the administration pages show the demo network to its admin and managers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import User
from tests.conftest import login_as


def demo_user(hr_number: str) -> User:
    return db.session.scalar(select(User).where(User.hr_number == hr_number))


@pytest.mark.slow
def test_admin_pages_on_the_demo(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    admin = app.test_client()
    login_as(admin, demo_user("DEMO-A001"))
    home = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/"' in home  # the navigation links to the administration
    for path, expected in [
        ("/admin/units", "Saignelégier"),
        ("/admin/providers", "ju-it"),
        ("/admin/people?q=Froidevaux", "Isabelle Froidevaux"),
        ("/admin/audit?action=unit.created", "unit.created"),
    ]:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert expected in response.get_data(as_text=True), path
    branch = app.test_client()
    branch_manager = demo_user("DEMO-M001")
    login_as(branch, branch_manager)
    people = branch.get("/admin/people").get_data(as_text=True)
    assert "Isabelle Froidevaux" in people and "Philippe Crevoisier" not in people
    # The region manager's home is the region; the branch manager cannot touch them.
    region_manager = demo_user("DEMO-M002")
    assert branch.get(f"/admin/people/{region_manager.id}/edit").status_code == 404
    region = app.test_client()
    login_as(region, region_manager)
    assert region.get(f"/admin/people/{branch_manager.id}/edit").status_code == 200
    trainer = demo_user("DEMO-T001")
    assert region.get(f"/admin/people/{trainer.id}/edit").status_code == 403
