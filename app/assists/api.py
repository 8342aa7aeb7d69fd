"""/api/v1/assists: counter assists per unit, ISO week, topic and outcome, for BI tools.

The same grouped counts as the managers' page and its CSV export, limited to the token user's
units. Single assists are xAPI statements (`/api/v1/xapi/statements?verb=...assisted`).
"""

from __future__ import annotations

from flask_login import current_user

from app.api import api_blueprint
from app.api.openapi import PAGING, document, paged, query_param, schema
from app.api.pagination import int_arg, page_request, paged_response
from app.extensions import db
from app.people.models import Role
from app.permissions import roles_required
from app.timekeeping import clock
from app.timekeeping.clock import platform_zone

from .models import AssistOutcome
from .queries import AssistCount, assist_counts, last_weeks

api_bp = api_blueprint("assists_api", __name__)
MAX_WEEKS = 104

_ASSIST_COUNT = schema(
    "AssistCount",
    {
        "type": "object",
        "required": ["unit", "week", "topic", "outcome", "assists"],
        "properties": {
            "unit": {
                "type": "object",
                "required": ["id", "code", "name"],
                "properties": {
                    "id": {"type": "integer"},
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                },
            },
            "week": {"type": "string", "description": "ISO week in the platform's time zone."},
            "topic": {"type": "string", "description": "A module tag, as the helper saw it."},
            "outcome": {"type": "string", "enum": [o.value for o in AssistOutcome]},
            "assists": {"type": "integer", "description": "Assists not undone."},
        },
    },
)


def _json(row: AssistCount) -> dict:
    return {
        "unit": {"id": row.unit_id, "code": row.unit_code, "name": row.unit_name},
        "week": row.week,
        "topic": row.topic,
        "outcome": row.outcome.value,
        "assists": row.count,
    }


@api_bp.get("/assists")
@roles_required(Role.MANAGER, Role.ADMIN)
@document(
    summary="Counter assists per unit, week, topic and outcome",
    description=(
        "Citizens helped at the counter in the units the token's user manages, counted per "
        "unit (the helper's unit when they helped), ISO week, topic and outcome, over the "
        "last `weeks` weeks (this week included). Undone assists do not count."
    ),
    tags=["assists"],
    parameters=(
        *PAGING,
        query_param(
            "weeks",
            {"type": "integer", "minimum": 1, "maximum": MAX_WEEKS, "default": 8},
            "How many weeks back, this week included.",
        ),
    ),
    response=paged(_ASSIST_COUNT),
)
def assists():
    """Grouped assist counts in the token user's units, paged."""
    weeks = int_arg("weeks", default=8, minimum=1, maximum=MAX_WEEKS) or 8
    page = page_request()
    rows = assist_counts(db.session, current_user, last_weeks(clock.now(), platform_zone(), weeks))
    return paged_response([_json(row) for row in page.slice(rows)], page, len(rows))
