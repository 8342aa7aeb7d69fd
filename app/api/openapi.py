"""The OpenAPI 3.1 document of /api/v1, built from what every route declares about itself.

A route describes itself with `@document(...)` (summary, parameters, the schema of its answer);
the path, its path parameters, the methods and the security come from the URL map and the
route's access declaration, so they cannot drift from the code. Features register their
schemas with `schema(name, definition)` at import time. A test holds the document against
every /api/v1 rule, so an undescribed route fails the suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask
from werkzeug.routing import FloatConverter, IntegerConverter, Rule, UUIDConverter

from app.api import API_V1
from app.web.errors import ERROR_CODES

F = TypeVar("F", bound=Callable[..., Any])

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
_IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
_RULE_ARGUMENT_RE = re.compile(r"<(?:[^<>:]+:)?([A-Za-z_][A-Za-z0-9_]*)>")

_ERROR_RESPONSES = {
    400: ("BadRequest", "A parameter is missing, malformed or out of range; the message names it."),
    401: ("Unauthenticated", "No API token, or a token that is unknown, revoked or expired."),
    403: ("Forbidden", "The token's user does not hold a role this route requires."),
    404: ("NotFound", "Nothing here, or nothing the token's user may see."),
    405: ("MethodNotAllowed", "The path exists but not with this method."),
    409: ("Conflict", "The request conflicts with the current state."),
    429: ("TooManyRequests", "Too many requests; retry later."),
    500: ("InternalError", "An unexpected error; it has been logged."),
}


def ref(name: str) -> dict[str, str]:
    """Return a JSON reference to a schema in the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Return `definition` also allowing null (OpenAPI 3.1 / JSON Schema style)."""
    if "$ref" in definition:
        return {"oneOf": [dict(definition), {"type": "null"}]}
    kind = definition.get("type")
    kinds = list(kind) if isinstance(kind, list) else [kind]
    return {**definition, "type": [*kinds, "null"]}


# The schemas every API shares; features add theirs through `schema()`.
_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message"],
                "properties": {
                    "status": {"type": "integer", "description": "The HTTP status."},
                    "code": {
                        "type": "string",
                        "enum": sorted(set(ERROR_CODES.values())),
                        "description": "A stable code to switch on.",
                    },
                    "message": {
                        "type": "string",
                        "description": "A sentence for people, in the user's language.",
                    },
                },
            }
        },
    },
    "PageMeta": {
        "type": "object",
        "required": ["page", "per_page", "total"],
        "properties": {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "total": {"type": "integer", "minimum": 0, "description": "Items on all pages."},
        },
    },
    "PageLinks": {
        "type": "object",
        "required": ["next", "prev"],
        "properties": {
            "next": {"type": ["string", "null"], "format": "uri"},
            "prev": {"type": ["string", "null"], "format": "uri"},
        },
    },
}

_PARAMETERS: dict[str, dict[str, Any]] = {
    "page": {
        "name": "page",
        "in": "query",
        "description": "The page to return, from 1.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1},
    },
    "per_page": {
        "name": "per_page",
        "in": "query",
        "description": "Items per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
    "since": {
        "name": "since",
        "in": "query",
        "description": "Only items after this moment (exclusive), RFC 3339 with a time zone.",
        "schema": {"type": "string", "format": "date-time"},
    },
    "until": {
        "name": "until",
        "in": "query",
        "description": "Only items up to this moment (inclusive), RFC 3339 with a time zone.",
        "schema": {"type": "string", "format": "date-time"},
    },
}

PAGING = ({"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"})
TIME_WINDOW = (
    {"$ref": "#/components/parameters/since"},
    {"$ref": "#/components/parameters/until"},
)


def schema(name: str, definition: dict[str, Any]) -> dict[str, str]:
    """Register a named schema in the components (at import time) and return its reference."""
    known = _SCHEMAS.get(name)
    if known is not None and known != definition:
        raise ValueError(f"the OpenAPI schema {name!r} is already registered differently")
    _SCHEMAS[name] = definition
    return ref(name)


def single(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return the schema of an answer carrying one object: `{"data": item}`."""
    return {"type": "object", "required": ["data"], "properties": {"data": dict(item)}}


def paged(item: Mapping[str, Any]) -> dict[str, Any]:
    """Return the schema of a paged list answer (see `app.api.pagination`)."""
    return {
        "type": "object",
        "required": ["data", "meta", "links"],
        "properties": {
            "data": {"type": "array", "items": dict(item)},
            "meta": ref("PageMeta"),
            "links": ref("PageLinks"),
        },
    }


def query_param(
    name: str, definition: Mapping[str, Any], description: str, *, required: bool = False
) -> dict[str, Any]:
    """Return the description of one query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": dict(definition),
    }


@dataclass(frozen=True)
class Operation:
    """What a route says about one of its methods; the rest is derived from the code."""

    summary: str
    description: str | None = None
    tags: tuple[str, ...] = ()
    parameters: tuple[dict[str, Any], ...] = ()
    response: dict[str, Any] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    request_body: dict[str, Any] | None = None


def document(
    *,
    summary: str,
    description: str | None = None,
    tags: Iterable[str] = (),
    parameters: Iterable[dict[str, Any]] = (),
    response: dict[str, Any] | None = None,
    status: int = 200,
    errors: Iterable[int] = (),
    path_parameters: Mapping[str, str] | None = None,
    request_body: dict[str, Any] | None = None,
    method: str | None = None,
) -> Callable[[F], F]:
    """Describe an API route for the OpenAPI document (once per method with `method=`).

    `response` is the schema of the success body (`single(...)`, `paged(...)`); error answers
    implied by the route (400 for query parameters, 401 unless public, 403 for role-restricted
    routes, 404 with path parameters) are added automatically, `errors` adds others.
    """
    operation = Operation(
        summary=summary,
        description=description,
        tags=tuple(tags),
        parameters=tuple(parameters),
        response=response,
        status=status,
        errors=tuple(errors),
        path_parameters=dict(path_parameters or {}),
        request_body=request_body,
    )
    key = method.upper() if method else "*"

    def decorator(view: F) -> F:
        operations = view.__dict__.setdefault("openapi", {})
        if key in operations:
            raise ValueError(f"{view.__name__} is already documented for {key}")
        operations[key] = operation
        return view

    return decorator


def operations_of(view: Callable[..., Any] | None) -> dict[str, Operation]:
    """Return the operations a view function documents, by method ("*": all its methods)."""
    return dict(getattr(view, "openapi", None) or {})


def openapi_path(rule: Rule) -> str:
    """Turn a Flask rule ("/api/v1/people/<int:user_id>") into an OpenAPI path ("…/{user_id}")."""
    return _RULE_ARGUMENT_RE.sub(lambda match: "{" + match.group(1) + "}", rule.rule)


def _path_parameter_schema(rule: Rule, name: str) -> dict[str, Any]:
    converter = rule._converters.get(name)
    if isinstance(converter, IntegerConverter):
        return {"type": "integer"}
    if isinstance(converter, FloatConverter):
        return {"type": "number"}
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def _error_statuses(operation: Operation, access: Any, has_path_parameters: bool) -> list[int]:
    statuses = set(operation.errors)
    if operation.parameters:
        statuses.add(400)
    if access is None or not access.is_public:
        statuses.add(401)
    if access is None or access.roles is not None:
        statuses.add(403)
    if has_path_parameters:
        statuses.add(404)
    return sorted(statuses)


def _render(
    operation: Operation, rule: Rule, method: str, access: Any, *, many_methods: bool
) -> dict[str, Any]:
    """Return the OpenAPI operation object for one method of a rule."""
    operation_id = rule.endpoint.replace(".", "_") + (f"_{method.lower()}" if many_methods else "")
    description = operation.description or ""
    if access is not None and access.roles is not None:
        roles = " or ".join(sorted(role.value for role in access.roles))
        description = f"{description}\n\nOpen to tokens of users with the role {roles}.".strip()
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": operation.path_parameters.get(name, ""),
            "schema": _path_parameter_schema(rule, name),
        }
        for name in sorted(rule.arguments)
    ]
    parameters.extend(operation.parameters)
    success: dict[str, Any] = {"description": operation.summary}
    if operation.response is not None:
        success["content"] = {"application/json": {"schema": operation.response}}
    responses: dict[str, Any] = {str(operation.status): success}
    for status in _error_statuses(operation, access, bool(rule.arguments)):
        name = _ERROR_RESPONSES.get(status, _ERROR_RESPONSES[400 if status < 500 else 500])[0]
        responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
    rendered: dict[str, Any] = {
        "operationId": operation_id,
        "summary": operation.summary,
        "responses": responses,
    }
    if description:
        rendered["description"] = description
    if operation.tags:
        rendered["tags"] = list(operation.tags)
    if parameters:
        rendered["parameters"] = parameters
    if operation.request_body is not None:
        rendered["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": operation.request_body}},
        }
    if access is not None and access.is_public:
        rendered["security"] = []
    elif access is not None and access.roles is not None:
        rendered["x-required-roles"] = sorted(role.value for role in access.roles)
    return rendered


def api_rules(app: Flask) -> list[Rule]:
    """Return the URL rules of the versioned API, sorted by path."""
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API_V1 + "/")),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def build_document(app: Flask) -> dict[str, Any]:
    """Build the OpenAPI document from the app's /api/v1 rules and their declarations."""
    paths: dict[str, dict[str, Any]] = {}
    tags: set[str] = set()
    for rule in api_rules(app):
        view = app.view_functions.get(rule.endpoint)
        operations = operations_of(view)
        if not operations:
            continue
        methods = sorted((rule.methods or set()) - _IGNORED_METHODS)
        for method in methods:
            operation = operations.get(method) or operations.get("*")
            if operation is None:
                continue
            tags.update(operation.tags)
            paths.setdefault(openapi_path(rule), {})[method.lower()] = _render(
                operation,
                rule,
                method,
                getattr(view, "access", None),
                many_methods=len(methods) > 1,
            )
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Counter Ready API",
            "version": API_VERSION,
            "description": (
                "Read access for BI tools, HR systems and scripts. Authenticate every request "
                "with a personal API token (`Authorization: Bearer cr_…`), created in the "
                "profile or with `flask api create-token`; a token can do exactly what its "
                "user can. Lists are paged (`page`, `per_page` up to 200) and answer "
                '`{"data", "meta", "links"}`; errors answer '
                '`{"error": {"status", "code", "message"}}`.'
            ),
        },
        "security": [{"bearerAuth": []}],
        "tags": [{"name": name} for name in sorted(tags)],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token: `cr_` followed by 40 characters.",
                }
            },
            "schemas": {name: _SCHEMAS[name] for name in sorted(_SCHEMAS)},
            "parameters": dict(_PARAMETERS),
            "responses": {
                name: {
                    "description": text,
                    "content": {"application/json": {"schema": ref("Error")}},
                }
                for name, text in _ERROR_RESPONSES.values()
            },
        },
    }


def openapi_document(app: Flask) -> dict[str, Any]:
    """Return the app's document, built once (routes do not change after start-up)."""
    cached = app.extensions.get("api.openapi")
    if cached is None:
        cached = app.extensions["api.openapi"] = build_document(app)
    return cached
