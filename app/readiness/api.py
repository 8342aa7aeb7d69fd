"""/api/v1 routes of readiness: per-unit readiness of a campaign (the dashboard's numbers),
overdue assignments and the daily snapshots, all limited to the token user's units."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

from app.api import api_blueprint, json_datetime
from app.api.openapi import PAGING, document, paged, query_param, schema
from app.api.pagination import bad_parameter, int_arg, page_request, paged_response
from app.content.module_titles import module_titles
from app.extensions import db
from app.i18n.request_language import select_language
from app.people.models import Role
from app.permissions import roles_required
from app.readiness.queries.overdue import overdue_assignments
from app.readiness.queries.report import UnitReadiness, readiness_report
from app.readiness.queries.scope import CampaignInfo, UnitNode, campaign_for, scoped_unit
from app.readiness.queries.snapshots import snapshots_page
from app.readiness.rules import Status
from app.timekeeping import clock

api_bp = api_blueprint("readiness_api", __name__)
MANAGERS = (Role.MANAGER, Role.ADMIN)

_UNIT_PARAM = query_param(
    "unit",
    {"type": "integer", "minimum": 1},
    "Only this unit and the units below it (default: every unit the token's user manages).",
)
_CAMPAIGN_PATH = {"campaign_id": "The campaign."}

_READINESS = schema(
    "UnitReadiness",
    {
        "type": "object",
        "required": [
            "unit",
            "assigned",
            "ready",
            "share",
            "overdue",
            "branches",
            "branches_short",
            "is_met",
            "forecast",
            "status",
        ],
        "properties": {
            "unit": {
                "type": "object",
                "required": ["id", "parent_id", "code", "name", "kind", "depth"],
                "properties": {
                    "id": {"type": "integer"},
                    "parent_id": {"type": ["integer", "null"]},
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["network", "region", "branch"]},
                    "depth": {"type": "integer"},
                },
            },
            "assigned": {
                "type": "integer",
                "description": "Active people in the unit and below with a required module.",
            },
            "ready": {
                "type": "integer",
                "description": "Of those, people with a completion that counts of every one.",
            },
            "share": {"type": ["number", "null"], "description": "ready / assigned (0..1)."},
            "overdue": {
                "type": "integer",
                "description": "People with a required module past its own due date.",
            },
            "branches": {"type": "integer", "description": "Branches with assigned people."},
            "branches_short": {
                "type": "integer",
                "description": "Of those, branches below the campaign's minimum of ready people.",
            },
            "is_met": {"type": "boolean", "description": "The readiness rule is met today."},
            "forecast": {
                "type": "object",
                "required": ["method", "ready", "share", "will_meet"],
                "properties": {
                    "method": {
                        "type": "string",
                        "description": (
                            "reference_class: a branch's own forecast from the same branches' "
                            "earlier campaigns; deadline_pace: a branch's own forecast while "
                            "there are none; sum: the sum of the units "
                            "below; too_early: too little history, `ready` is today's number; "
                            "closed: the due date has passed. trend, rate and flat are no "
                            "longer produced."
                        ),
                        "enum": [
                            "reference_class",
                            "deadline_pace",
                            "sum",
                            "too_early",
                            "closed",
                            "trend",
                            "rate",
                            "flat",
                        ],
                    },
                    "ready": {"type": "number", "description": "Projected ready people."},
                    "share": {"type": ["number", "null"]},
                    "will_meet": {"type": "boolean"},
                    "is_known": {
                        "type": "boolean",
                        "description": "False while it is too early to tell.",
                    },
                    "low": {
                        "type": ["number", "null"],
                        "description": "Low end of the 80 % range of projected ready people.",
                    },
                    "high": {
                        "type": ["number", "null"],
                        "description": "High end of the 80 % range of projected ready people.",
                    },
                },
            },
            "status": {"type": "string", "enum": [s.value for s in Status]},
        },
    },
)
_OVERDUE = schema(
    "OverdueAssignment",
    {
        "type": "object",
        "required": ["assignment_id", "person", "unit", "module", "due_at", "days_overdue"],
        "properties": {
            "assignment_id": {"type": "integer"},
            "person": {
                "type": "object",
                "required": ["id", "name", "email"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "email": {"type": "string", "format": "email"},
                },
            },
            "unit": {
                "type": "object",
                "required": ["id", "code", "name"],
                "properties": {
                    "id": {"type": "integer"},
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                },
            },
            "module": {
                "type": "object",
                "required": ["id", "slug", "title"],
                "properties": {
                    "id": {"type": "integer"},
                    "slug": {"type": "string"},
                    "title": {"type": "string"},
                },
            },
            "due_at": {"type": "string", "format": "date-time"},
            "days_overdue": {"type": "integer", "minimum": 0},
        },
    },
)
_SNAPSHOT = schema(
    "ReadinessSnapshot",
    {
        "type": "object",
        "required": ["unit", "day", "assigned", "ready", "overdue", "taken_at"],
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
            "day": {"type": "string", "format": "date"},
            "assigned": {"type": "integer"},
            "ready": {"type": "integer"},
            "overdue": {"type": "integer"},
            "taken_at": {"type": "string", "format": "date-time"},
        },
    },
)


def _campaign(campaign_id: int) -> CampaignInfo:
    campaign = campaign_for(db.session, current_user, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _unit() -> UnitNode | None:
    unit_id = int_arg("unit", default=None, minimum=1, maximum=2**31 - 1)
    if unit_id is None:
        return None
    unit = scoped_unit(db.session, current_user, unit_id)
    if unit is None:
        abort(404)
    return unit


def _day_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        bad_parameter(
            _(
                "The parameter “%(name)s” must be a date such as 2027-03-01, not “%(value)s”.",
                name=name,
                value=raw[:40],
            )
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def unit_readiness_json(node: UnitReadiness) -> dict[str, Any]:
    """The API's view of a unit's readiness (the same numbers as the dashboard)."""
    projection = node.projection
    return {
        "unit": {
            "id": node.unit.id,
            "parent_id": node.unit.parent_id,
            "code": node.unit.code,
            "name": node.unit.name,
            "kind": node.unit.kind,
            "depth": node.unit.depth,
        },
        "assigned": node.assigned,
        "ready": node.ready,
        "share": node.share,
        "overdue": node.overdue,
        "branches": node.branches,
        "branches_short": node.branches_short,
        "is_met": node.is_met,
        "forecast": {
            "method": projection.method if projection else "flat",
            "ready": round(projection.ready, 3) if projection else float(node.ready),
            "share": projection.share if projection else node.share,
            "will_meet": node.will_meet,
            "is_known": projection.is_known if projection else True,
            "low": _rounded(projection.low) if projection else None,
            "high": _rounded(projection.high) if projection else None,
        },
        "status": node.status.value,
    }


@api_bp.get("/campaigns/<int:campaign_id>/readiness")
@roles_required(*MANAGERS)
@document(
    summary="Readiness of a campaign per unit",
    description=(
        "For every unit the token's user manages (or the units below `unit`), in tree order: "
        "assigned and ready people, the share, overdue people, branches below the minimum, "
        "whether the readiness rule is met, the forecast for the due date and the status "
        "(ready, on_track, at_risk, not_ready, no_one). Numbers include the units below."
    ),
    tags=["readiness"],
    parameters=(*PAGING, _UNIT_PARAM),
    response=paged(_READINESS),
    path_parameters=_CAMPAIGN_PATH,
)
def campaign_readiness(campaign_id: int):
    """Per-unit readiness of a campaign, paged."""
    campaign = _campaign(campaign_id)
    unit = _unit()
    page = page_request()
    report = readiness_report(
        db.session, current_user, campaign, root=unit, now=clock.now(), tz=clock.platform_zone()
    )
    nodes = sorted(report.units.values(), key=lambda node: node.unit.path)
    return paged_response(
        [unit_readiness_json(node) for node in page.slice(nodes)], page, len(nodes)
    )


@api_bp.get("/campaigns/<int:campaign_id>/overdue")
@roles_required(*MANAGERS)
@document(
    summary="Overdue assignments of a campaign",
    description=(
        "Required modules not completed (or whose completion no longer counts) by their own "
        "due date, for people in the units the token's user manages; oldest due date first."
    ),
    tags=["readiness"],
    parameters=(*PAGING, _UNIT_PARAM),
    response=paged(_OVERDUE),
    path_parameters=_CAMPAIGN_PATH,
)
def campaign_overdue(campaign_id: int):
    """Overdue assignments of a campaign, paged."""
    campaign = _campaign(campaign_id)
    unit = _unit()
    page = page_request()
    now = clock.now()
    rows, total = overdue_assignments(
        db.session,
        current_user,
        campaign.id,
        now,
        root_path=unit.path if unit is not None else None,
        offset=page.offset,
        limit=page.per_page,
    )
    titles = module_titles(db.session, {r.module_id for r in rows}, select_language())
    return paged_response(
        [
            {
                "assignment_id": r.assignment_id,
                "person": {"id": r.user_id, "name": r.name, "email": r.email},
                "unit": {"id": r.unit_id, "code": r.unit_code, "name": r.unit_name},
                "module": {
                    "id": r.module_id,
                    "slug": titles[r.module_id].slug if r.module_id in titles else "",
                    "title": titles[r.module_id].title if r.module_id in titles else "",
                },
                "due_at": json_datetime(r.due_at),
                "days_overdue": max((now - r.due_at).days, 0),
            }
            for r in rows
        ],
        page,
        total,
    )


@api_bp.get("/campaigns/<int:campaign_id>/snapshots")
@roles_required(*MANAGERS)
@document(
    summary="Daily readiness snapshots of a campaign",
    description=(
        "What was known on each day: assigned, ready and overdue people per unit (the unit and "
        "everything below it), taken once a day by the scheduler; by day, then in tree order."
    ),
    tags=["readiness"],
    parameters=(
        *PAGING,
        _UNIT_PARAM,
        query_param("from", {"type": "string", "format": "date"}, "From this day (inclusive)."),
        query_param("to", {"type": "string", "format": "date"}, "Up to this day (inclusive)."),
    ),
    response=paged(_SNAPSHOT),
    path_parameters=_CAMPAIGN_PATH,
)
def campaign_snapshots(campaign_id: int):
    """Snapshots of a campaign, paged."""
    campaign = _campaign(campaign_id)
    unit = _unit()
    page = page_request()
    first, last = _day_arg("from"), _day_arg("to")
    if first and last and last < first:
        bad_parameter(_("The parameter “to” must not be before “from”."))
    rows, total = snapshots_page(
        db.session,
        current_user,
        campaign.id,
        root_path=unit.path if unit is not None else None,
        first_day=first,
        last_day=last,
        offset=page.offset,
        limit=page.per_page,
    )
    return paged_response(
        [
            {
                "unit": {"id": r.unit_id, "code": r.unit_code, "name": r.unit_name},
                "day": r.day.isoformat(),
                "assigned": r.assigned,
                "ready": r.ready,
                "overdue": r.overdue,
                "taken_at": json_datetime(r.taken_at),
            }
            for r in rows
        ],
        page,
        total,
    )
