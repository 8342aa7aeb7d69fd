"""/api/v1/campaigns: the campaigns the token's user may see (scoped, paged, documented)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from app.api import api_blueprint, json_datetime
from app.api.openapi import PAGING, document, paged, schema
from app.api.pagination import page_request, paged_response
from app.campaigns.models import Campaign, CampaignModule, CampaignState
from app.campaigns.queries.campaign_lists import campaigns_for_api
from app.extensions import db
from app.people.models import Role
from app.permissions import roles_required

api_bp = api_blueprint("campaigns_api", __name__)

_TEXTS = {
    "type": "object",
    "description": "Text by language code (de, fr, it, en); only languages given are present.",
    "additionalProperties": {"type": "string"},
}

_CAMPAIGN = schema(
    "Campaign",
    {
        "type": "object",
        "required": [
            "id",
            "name",
            "theme",
            "state",
            "owner",
            "assign_at",
            "due_at",
            "starts_at",
            "ends_at",
            "readiness",
            "reminder_days",
            "remind_weekly_overdue",
            "late_joiner_days",
            "previous_id",
            "registration",
            "modules",
        ],
        "properties": {
            "id": {"type": "integer"},
            "name": _TEXTS,
            "theme": _TEXTS,
            "state": {"type": "string", "enum": [s.value for s in CampaignState]},
            "owner": {
                "type": "object",
                "required": ["kind", "id"],
                "properties": {
                    "kind": {"type": "string", "enum": ["unit", "provider"]},
                    "id": {"type": "integer"},
                },
            },
            "assign_at": {"type": "string", "format": "date-time"},
            "due_at": {
                "type": "string",
                "format": "date-time",
                "description": "Staff must be ready by this moment (the end of the due day).",
            },
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "readiness": {
                "type": "object",
                "required": ["percent", "min_per_branch"],
                "properties": {
                    "percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
                    "min_per_branch": {"type": ["integer", "null"], "minimum": 0},
                },
            },
            "reminder_days": {"type": "array", "items": {"type": "integer"}},
            "remind_weekly_overdue": {"type": "boolean"},
            "late_joiner_days": {"type": "integer"},
            "previous_id": {
                "type": ["integer", "null"],
                "description": "Last year's campaign this one was copied from.",
            },
            "registration": {
                "type": "string",
                "format": "uuid",
                "description": "The xAPI registration of the campaign's learning statements.",
            },
            "modules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["module_id", "is_required", "refresher_module_id"],
                    "properties": {
                        "module_id": {"type": "integer"},
                        "is_required": {"type": "boolean"},
                        "refresher_module_id": {"type": ["integer", "null"]},
                    },
                },
            },
        },
    },
)


def _campaign_json(campaign: Campaign, modules: list[CampaignModule]) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": dict(campaign.name),
        "theme": dict(campaign.theme),
        "state": campaign.state.value,
        "owner": (
            {"kind": "unit", "id": campaign.owner_unit_id}
            if campaign.owner_unit_id
            else {"kind": "provider", "id": campaign.owner_provider_id}
        ),
        "assign_at": json_datetime(campaign.assign_at),
        "due_at": json_datetime(campaign.due_at),
        "starts_at": json_datetime(campaign.starts_at),
        "ends_at": json_datetime(campaign.ends_at),
        "readiness": {
            "percent": campaign.readiness_percent,
            "min_per_branch": campaign.readiness_min_per_branch,
        },
        "reminder_days": list(campaign.reminder_days),
        "remind_weekly_overdue": campaign.remind_weekly_overdue,
        "late_joiner_days": campaign.late_joiner_days,
        "previous_id": campaign.previous_id,
        "registration": campaign.registration,
        "modules": [
            {
                "module_id": m.module_id,
                "is_required": m.is_required,
                "refresher_module_id": m.refresher_module_id,
            }
            for m in modules
        ],
    }


@api_bp.get("/campaigns")
@roles_required(Role.MANAGER, Role.TRAINER, Role.ADMIN)
@document(
    summary="Campaigns in the caller's scope",
    description=(
        "Campaigns the token's user may see: owned by a unit they manage or by a provider they "
        "train for, or reaching into their units; all for admins. By id."
    ),
    tags=["campaigns"],
    parameters=PAGING,
    response=paged(_CAMPAIGN),
)
def campaigns():
    """List one page of the campaigns the token's user may see."""
    page = page_request()
    rows, total = campaigns_for_api(
        db.session, current_user, offset=page.offset, limit=page.per_page
    )
    return paged_response([_campaign_json(c, modules) for c, modules in rows], page, total)
