"""Walk every URL rule: anonymous users and wrong roles are refused unless the rule is public."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from app.people.models import Role
from app.permissions import Access
from tests.conftest import login_as
from tests.factories import make_org, make_user

# The short list of routes anyone may open. Anything else must refuse anonymous users.
PUBLIC = {
    "static",
    "main.index",
    "main.healthz",
    "main.readyz",
    "auth.login",
    "auth.request_reset",
    "auth.reset_password",
    "auth.set_language",
    "api.openapi",
}
# Features that add public routes extend this set in their own module.
PUBLIC_PREFIXES_ALLOWED = (
    "tracking.verify_certificate",
    # The public check of a signed attestation record (the code is the credential).
    "attestations.verify",
    "campaigns.unsubscribe",
    "campaigns.ical",
    "sso.start",
    "sso.callback",
    "sso.logged_out",
    # The invitation link: the signed token is the credential (like a reset link).
    "invitations.accept",
    "invitations.renew",
)


def sample_url(rule: Rule) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        values[arg] = 999999 if converter in ("IntegerConverter",) else "zz-unknown"
    return rule.build(values, append_unknown=False)[1]


def _api_token(user) -> str:
    from app.api.tokens import create_token
    from app.extensions import db
    from app.timekeeping.clock import now

    _token, secret = create_token(db.session, user, name="url rules", days=None, now=now())
    db.session.commit()
    return secret


def rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_endpoint_declares_access(app):
    from app.permissions import access_of

    missing = [r.endpoint for r in rules(app) if access_of(r.endpoint) is None]
    assert missing == []


def test_public_routes_are_exactly_the_allowlist(app):
    from app.permissions import access_of

    public = {r.endpoint for r in rules(app) if access_of(r.endpoint).is_public}
    unexpected = {e for e in public - PUBLIC if not e.startswith(PUBLIC_PREFIXES_ALLOWED)}
    assert unexpected == set()


def test_anonymous_is_refused_everywhere_but_public(app, client):
    from app.permissions import access_of

    for rule in rules(app):
        if access_of(rule.endpoint).is_public:
            continue
        url = sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 401, 400), (
                rule.endpoint,
                method,
                response.status_code,
            )
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], rule.endpoint


@pytest.mark.parametrize("role", list(Role))
def test_wrong_roles_are_refused(app, role):
    from app.permissions import access_of

    org = make_org()
    kwargs = {}
    if role == Role.TRAINER:
        kwargs["provider"] = org.provider
    user = make_user(org.branch_a1, role, **kwargs)
    client = app.test_client()
    login_as(client, user)
    # The JSON API ignores the session cookie: there the same user calls with a token.
    api_headers = {"Authorization": f"Bearer {_api_token(user)}"}
    checked = 0
    for rule in rules(app):
        access: Access = access_of(rule.endpoint)
        if access.is_public or access.roles is None or role in access.roles:
            continue
        url = sample_url(rule)
        headers = api_headers if rule.rule.startswith("/api/") else {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers=headers)
            # 403 from the policy hook; 400 when CSRF refuses a POST first (also a refusal).
            assert response.status_code in (403, 400), (rule.endpoint, method, response.status_code)
            checked += 1
    if role == Role.LEARNER:
        assert checked > 0


def test_get_never_mutates_routes_that_only_accept_post(app, client):
    org = make_org()
    login_as(client, make_user(org.network, Role.ADMIN))
    for rule in rules(app):
        if rule.methods <= {"POST", "OPTIONS"} | {"PUT", "DELETE", "PATCH"}:
            assert client.get(sample_url(rule)).status_code == 405, rule.endpoint
