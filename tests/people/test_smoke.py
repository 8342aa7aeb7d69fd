"""The app starts, pages render, and the demo loads."""

from app.people.models import Role
from tests.conftest import login_as
from tests.factories import make_org, make_user


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"csrf_token" in response.data


def test_home_for_each_role(app, client):
    org = make_org()
    for roles, kwargs in [
        ((Role.LEARNER,), {}),
        ((Role.MANAGER,), {"scope_unit": org.region_a}),
        ((Role.TRAINER,), {"provider": org.provider}),
        ((Role.ADMIN,), {}),
    ]:
        user = make_user(org.branch_a1, *roles, **kwargs)
        login_as(client, user)
        response = client.get("/home")
        assert response.status_code == 200, response.data
