"""How a later feature adds an API route: its own blueprint, the usual access decorators and
`document`; tokens, JSON errors, CSRF exemption and the OpenAPI document then just work."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from openapi_spec_validator import validate

from app.api import api_blueprint
from app.api.openapi import document, schema, single
from app.api.pagination import bad_parameter
from app.people.models import Role
from app.permissions import roles_required
from tests.api.conftest import assert_error, bearer, make_token
from tests.conftest import login_as
from tests.factories import make_org, make_user

bp = api_blueprint("test_reminders_api", __name__)
REMINDER = schema(
    "TestReminder",
    {"type": "object", "required": ["person_id"], "properties": {"person_id": {"type": "integer"}}},
)


@bp.post("/test-people/<int:person_id>/reminders")
@roles_required(Role.MANAGER, Role.ADMIN)
@document(
    summary="Send a reminder",
    tags=["test"],
    request_body={"type": "object", "properties": {"note": {"type": "string"}}},
    response=single(REMINDER),
    status=201,
    path_parameters={"person_id": "The person to remind."},
)
def remind(person_id: int):
    """A stand-in for a route a later issue adds."""
    if len((request.get_json(silent=True) or {}).get("note", "")) > 10:
        bad_parameter("The field “note” is too long.")
    return jsonify(data={"person_id": person_id, "by": current_user.id}), 201


def test_a_feature_route_plugs_into_tokens_errors_and_the_document(app):
    app.register_blueprint(bp)
    client = app.test_client()
    org = make_org()
    manager = make_user(org.branch_a1, Role.MANAGER)
    secret = make_token(manager)
    url = "/api/v1/test-people/7/reminders"

    # Token-authenticated POST without any CSRF token: API blueprints are exempt.
    made = client.post(url, json={"note": "hi"}, headers=bearer(secret))
    assert made.status_code == 201
    assert made.get_json()["data"] == {"person_id": 7, "by": manager.id}
    assert_error(
        client.post(url, json={"note": "x" * 11}, headers=bearer(secret)), 400, "bad_request"
    )

    # A learner's token is refused by the same role decorator; a cookie session is ignored.
    learner_secret = make_token(make_user(org.branch_a1, Role.LEARNER))
    assert_error(client.post(url, headers=bearer(learner_secret)), 403, "forbidden")
    login_as(client, manager)
    assert_error(client.post(url), 401, "unauthenticated")

    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    operation = spec["paths"]["/api/v1/test-people/{person_id}/reminders"]["post"]
    assert operation["parameters"][0]["schema"] == {"type": "integer"}
    assert set(operation["responses"]) == {"201", "401", "403", "404"}
    assert "TestReminder" in spec["components"]["schemas"]
