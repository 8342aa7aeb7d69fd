"""Issue 14: the fixed cost of a signed-in page. Loading the user, their unit and every role
assignment is one statement, whatever the number of roles and units; the layout adds no
statement of its own; the navigation, built once per role set, still follows a role change
at once.
"""

from __future__ import annotations

from app.extensions import db
from app.people.models import Role, User
from app.people.role_operations import grant_role, revoke_role
from tests.conftest import login_as, serving
from tests.factories import make_org, make_user
from tests.query_count import StatementLog, statements_during

# The profile page of a signed-in person: the user with unit and roles (one statement) and
# the notice bell's unread count; transaction control is left out (SQLite sends BEGIN as a
# statement, PostgreSQL's driver does not). The page's own work needs nothing more.
PROFILE_STATEMENTS = 2


def _profile_statements(app, client) -> StatementLog:
    client.get("/profile")  # warm: first-request work (compiled statements, templates)
    with statements_during(app, transaction_control=False) as log:
        response = client.get("/profile")
    assert response.status_code == 200
    return log


def test_a_learners_profile_page_runs_a_fixed_small_number_of_statements(app, client):
    org = make_org()
    learner = make_user(org.branch_a1)
    login_as(client, learner)

    log = _profile_statements(app, client)

    assert len(log) == PROFILE_STATEMENTS, log.report()
    user_loads = [sql for sql in log if "FROM users" in sql]
    assert len(user_loads) == 1, log.report()
    assert "role_assignments" in user_loads[0] and "units" in user_loads[0]


def test_the_count_does_not_grow_with_role_assignments_or_units(app, client):
    org = make_org()
    person = make_user(org.branch_a1)
    login_as(client, person)
    before = len(_profile_statements(app, client))

    # Manager of six units, trainer for two providers, admin: nine assignments, each with
    # its scope (a unit or a provider) to load.
    user = db.session.get(User, person.id)
    for unit in (
        org.network,
        org.region_a,
        org.region_b,
        org.branch_a1,
        org.branch_a2,
        org.branch_b1,
    ):
        grant_role(db.session, user, Role.MANAGER, unit=unit)
    grant_role(db.session, user, Role.TRAINER, provider=org.provider)
    grant_role(db.session, user, Role.TRAINER, provider=org.other_provider)
    grant_role(db.session, user, Role.ADMIN)
    db.session.commit()
    assert len(user.roles) == 10

    log = _profile_statements(app, client)
    assert len(log) == before == PROFILE_STATEMENTS, log.report()


def test_the_navigation_follows_a_role_change_at_once(app, client):
    org = make_org()
    person = make_user(org.branch_a1)
    login_as(client, person)
    people_link = 'href="/people"'
    assert people_link not in client.get("/profile").get_data(as_text=True)

    user = db.session.get(User, person.id)
    assignment = grant_role(db.session, user, Role.MANAGER, unit=org.region_a)
    db.session.commit()
    html = client.get("/people").get_data(as_text=True)
    assert '<a href="/people" aria-current="page">' in html

    revoke_role(db.session, assignment, actor=None, ip=None)
    db.session.commit()
    assert people_link not in client.get("/profile").get_data(as_text=True)
    assert client.get("/people").status_code == 403


def test_a_signed_out_page_still_offers_the_language_switcher(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'class="language-switcher"' in html
    assert 'name="next" type="hidden" value="/login"' in html


def test_the_layouts_addresses_follow_the_proxys_prefix_per_request(app_config):
    # Links are built once per script root: a request behind a prefix and one without
    # each get their own addresses, in the layout and in the navigation.
    with serving(dict(app_config, PROXY_FIX_HOPS=1)) as app:
        org = make_org()
        manager = make_user(org.branch_a1, Role.MANAGER)
        client = app.test_client()
        login_as(client, manager)
        prefixed = client.get("/profile", headers={"X-Forwarded-Prefix": "/jura"})
        plain = client.get("/profile")
    prefixed_html, plain_html = prefixed.get_data(as_text=True), plain.get_data(as_text=True)
    for path in ("/static/css/app.css", "/home", "/profile", "/logout", "/people", "/notices"):
        assert f'"/jura{path}' in prefixed_html, path
        assert f'"{path}' in plain_html and "/jura" not in plain_html, path
