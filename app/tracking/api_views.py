"""/api/v1 routes of the learning record: xAPI statements and completions, scoped like the user.

A learner's token sees only their own records, a manager's the people in the units they
manage (and their own), an admin's everything.
"""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api import api_blueprint, json_datetime
from app.api.openapi import PAGING, TIME_WINDOW, document, paged, query_param, schema
from app.api.pagination import bad_parameter, page_request, paged_response, time_window
from app.extensions import db
from app.permissions import signed_in
from app.timekeeping import clock
from app.tracking.completion import CompletionStatus
from app.tracking.operations import tracking_config
from app.tracking.queries import StatementFilter, completions_page, statements_page
from app.tracking.statements import XAPI_VERSION, Verb

api_bp = api_blueprint("tracking_api", __name__)

_STATEMENT_RESULT = schema(
    "XapiStatementResult",
    {
        "type": "object",
        "description": "An xAPI 1.0.3 StatementResult.",
        "required": ["statements", "more"],
        "properties": {
            "statements": {
                "type": "array",
                "items": {
                    "type": "object",
                    "description": (
                        "An xAPI 1.0.3 statement (actor, verb, object, result, context, "
                        "timestamp, stored, id, version)."
                    ),
                    "required": ["id", "actor", "verb", "object", "timestamp", "stored"],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "actor": {"type": "object"},
                        "verb": {"type": "object"},
                        "object": {"type": "object"},
                        "result": {"type": "object"},
                        "context": {"type": "object"},
                        "timestamp": {"type": "string", "format": "date-time"},
                        "stored": {"type": "string", "format": "date-time"},
                        "version": {"type": "string"},
                    },
                },
            },
            "more": {
                "type": "string",
                "description": "The URL of the next page, or an empty string on the last one.",
            },
        },
    },
)

_COMPLETION = schema(
    "Completion",
    {
        "type": "object",
        "required": [
            "user",
            "module",
            "version",
            "number",
            "completed_at",
            "score_percent",
            "expires_at",
            "is_current",
            "status",
        ],
        "properties": {
            "user": {
                "type": "object",
                "required": ["id", "name", "email"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                },
            },
            "module": {
                "type": "object",
                "required": ["id", "slug"],
                "properties": {"id": {"type": "integer"}, "slug": {"type": "string"}},
            },
            "version": {"type": "integer", "description": "The module version completed."},
            "number": {"type": "integer", "description": "1 for the first completion, then 2…"},
            "completed_at": {"type": "string", "format": "date-time"},
            "score_percent": {"type": ["number", "null"], "description": "The quiz score."},
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "is_current": {
                "type": "boolean",
                "description": "The learner's latest completion of the module.",
            },
            "status": {
                "type": "string",
                "enum": [status.value for status in CompletionStatus],
                "description": (
                    "valid and expiring_soon (within 30 days) count; expired and out_of_date "
                    "(a later major version) do not."
                ),
            },
        },
    },
)


def _agent_email(raw: str) -> str:
    """Read an xAPI `agent` parameter: a JSON Agent with `mbox`, or a bare mailto/e-mail."""
    text = raw.strip()
    if text.startswith("{"):
        try:
            agent = json.loads(text)
        except ValueError:
            agent = None
        mbox = agent.get("mbox") if isinstance(agent, dict) else None
        if not isinstance(mbox, str):
            bad_parameter(_("The parameter “agent” must be an xAPI agent with an “mbox”."))
        text = mbox
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    if "@" not in text or len(text) > 254:
        bad_parameter(_("The parameter “agent” must be an xAPI agent with an “mbox”."))
    return text


def _bool_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    bad_parameter(_("The parameter “%(name)s” must be true or false.", name=name))
    return default  # unreachable: bad_parameter raises


def _statement_filter() -> StatementFilter:
    window = time_window()
    verb = None
    raw_verb = request.args.get("verb")
    if raw_verb is not None:
        verb = Verb.from_iri(raw_verb.strip(), tracking_config().iris)
        if verb is None:
            bad_parameter(_("The parameter “verb” must be the IRI of a verb the platform uses."))
    activity = request.args.get("activity")
    if activity is not None and not 0 < len(activity) <= 500:
        bad_parameter(_("The parameter “activity” must be an activity IRI."))
    registration = request.args.get("registration")
    if registration is not None and len(registration) != 36:
        bad_parameter(_("The parameter “registration” must be a UUID."))
    agent = request.args.get("agent")
    return StatementFilter(
        since=window.since,
        until=window.until,
        verb=verb,
        activity=activity,
        agent_email=_agent_email(agent) if agent is not None else None,
        registration=registration,
        ascending=_bool_arg("ascending", False),
    )


@api_bp.get("/xapi/statements")
@signed_in
@document(
    summary="xAPI statements",
    description=(
        "The learning record in xAPI 1.0.3 form (a StatementResult), newest first by `stored`. "
        "A learner's token sees their own statements, a manager's those of the people in the "
        "units they manage, an admin's all. The answer carries `X-Experience-API-Version`. "
        "`more` links to the next page and pins `until`, so pages stay stable while new "
        "statements arrive."
    ),
    tags=["xapi"],
    parameters=(
        *PAGING,
        *TIME_WINDOW,
        query_param("verb", {"type": "string", "format": "iri"}, "Only this verb (its IRI)."),
        query_param(
            "activity", {"type": "string", "format": "iri"}, "Only statements about this activity."
        ),
        query_param(
            "agent",
            {"type": "string"},
            'Only this learner: an xAPI agent (`{"mbox": "mailto:…"}`) or a mailto IRI.',
        ),
        query_param("registration", {"type": "string", "format": "uuid"}, "Only this campaign."),
        query_param("ascending", {"type": "boolean", "default": False}, "Oldest first."),
    ),
    response=_STATEMENT_RESULT,
)
def xapi_statements():
    """List statements the token's user may see, in xAPI form."""
    page = page_request()
    filters = _statement_filter()
    statements, has_more = statements_page(
        db.session, current_user, filters, offset=page.offset, limit=page.per_page
    )
    more = ""
    if has_more:
        args = request.args.to_dict()
        args["page"] = str(page.page + 1)
        if "until" not in args and statements and not filters.ascending:
            args["until"] = statements[0]["stored"]
        more = url_for(request.endpoint, **args, _external=True)
    response = jsonify(statements=statements, more=more)
    response.headers["X-Experience-API-Version"] = XAPI_VERSION
    return response


def _completion_json(row: Any) -> dict[str, Any]:
    return {
        "user": {"id": row.user_id, "name": row.user_name, "email": row.user_email},
        "module": {"id": row.module_id, "slug": row.module_slug},
        "version": row.version_number,
        "number": row.number,
        "completed_at": json_datetime(row.completed_at),
        "score_percent": row.score_percent,
        "expires_at": json_datetime(row.expires_at),
        "is_current": row.is_current,
        "status": row.status.value,
    }


@api_bp.get("/completions")
@signed_in
@document(
    summary="Completions",
    description=(
        "Module completions, newest first, with where each stands now. A learner's token sees "
        "their own, a manager's those of the people in the units they manage, an admin's all. "
        "`since`/`until` filter on the completion time."
    ),
    tags=["tracking"],
    parameters=(
        *PAGING,
        *TIME_WINDOW,
        query_param("module", {"type": "string", "maxLength": 100}, "Only this module (slug)."),
        query_param(
            "current",
            {"type": "boolean", "default": True},
            "Only each learner's latest completion of a module (false: every completion).",
        ),
    ),
    response=paged(_COMPLETION),
)
def completions():
    """List completions the token's user may see."""
    page = page_request()
    window = time_window()
    module = request.args.get("module")
    if module is not None and not 0 < len(module) <= 100:
        bad_parameter(_("The parameter “module” must be a module's id of at most 100 characters."))
    rows, total = completions_page(
        db.session,
        current_user,
        now=clock.now(),
        offset=page.offset,
        limit=page.per_page,
        since=window.since,
        until=window.until,
        module_slug=module,
        current_only=_bool_arg("current", True),
    )
    return paged_response([_completion_json(row) for row in rows], page, total)
