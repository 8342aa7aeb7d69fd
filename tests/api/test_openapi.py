"""The OpenAPI document: public, valid, and matching every /api/v1 route (both ways)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from app.api.openapi import api_rules, document, openapi_path, schema
from app.permissions import access_of

# Routes the document does not describe: the document itself.
UNDOCUMENTED = {"api.openapi"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_public_and_valid_openapi(app, client):
    spec = _document(client)
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    components = spec["components"]
    assert components["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": components["securitySchemes"]["bearerAuth"]["description"],
    }
    assert {"Error", "PageMeta", "PageLinks"} <= set(components["schemas"])
    assert set(components["schemas"]["Error"]["properties"]["error"]["required"]) == {
        "status",
        "code",
        "message",
    }


def test_every_api_route_is_documented_and_every_documented_path_exists(app, client):
    spec = _document(client)
    in_code: dict[str, dict[str, set[str]]] = {}
    for rule in api_rules(app):
        if rule.endpoint in UNDOCUMENTED:
            continue
        methods = {m.lower() for m in rule.methods - IGNORED_METHODS}
        for method in methods:
            in_code.setdefault(openapi_path(rule), {})[method] = set(rule.arguments)

    in_document: dict[str, dict[str, set[str]]] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            in_document.setdefault(path, {})[method] = {
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"
            }
            assert set(re.findall(r"{(\w+)}", path)) == in_document[path][method], path

    assert in_document == in_code


def test_every_route_states_its_security_and_errors(app, client):
    spec = _document(client)
    rules = {openapi_path(rule): rule for rule in api_rules(app)}
    for path, operations in spec["paths"].items():
        access = access_of(rules[path].endpoint)
        for method, operation in operations.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (path, method)
            if access.is_public:
                assert operation["security"] == []
                continue
            assert "security" not in operation  # the document-wide bearerAuth applies
            assert "401" in responses, (path, method)
            if access.roles is not None:
                assert "403" in responses, (path, method)
                assert set(operation["x-required-roles"]) == {r.value for r in access.roles}


def test_paged_routes_document_the_envelope_and_parameters(app, client):
    operation = _document(client)["paths"]["/api/v1/people"]["get"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in operation["parameters"]}
    assert {"page", "per_page", "q"} <= names
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"data", "meta", "links"}
    assert "400" in operation["responses"]


def test_a_route_cannot_be_documented_twice_for_one_method():
    def view():
        return None

    document(summary="once", method="GET")(view)
    with pytest.raises(ValueError):
        document(summary="twice", method="get")(view)


def test_a_schema_name_cannot_mean_two_things():
    from app.api import openapi

    try:
        schema("TestOnlyThing", {"type": "string"})
        schema("TestOnlyThing", {"type": "string"})  # the same again is fine (re-import)
        with pytest.raises(ValueError):
            schema("TestOnlyThing", {"type": "integer"})
    finally:
        openapi._SCHEMAS.pop("TestOnlyThing", None)
