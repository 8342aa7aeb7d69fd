"""Modules of a campaign: adding one (with its refresher) and removing one, which ends its
assignments in an active campaign (history kept). They flush; the caller commits."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.campaigns.models import (
    Assignment,
    Campaign,
    CampaignModule,
    CampaignState,
    RemovalReason,
)
from app.campaigns.operations import ensure_editable, refuse
from app.content.models import Module, ModuleStatus


def declared_refresher_id(session: Session, module_id: int) -> int | None:
    """The published module that declares itself the refresher of `module_id`, if any."""
    return session.scalar(
        select(Module.id)
        .where(Module.refresher_of_id == module_id, Module.status == ModuleStatus.PUBLISHED)
        .order_by(Module.id)
        .limit(1)
    )


def add_module(
    session: Session,
    campaign: Campaign,
    module: Module,
    *,
    is_required: bool,
    refresher: Module | None,
    now: datetime,
) -> CampaignModule:
    """Add a module (people already assigned get it at the scheduler's next run)."""
    ensure_editable(campaign)
    if module.status != ModuleStatus.PUBLISHED or module.current_version_id is None:
        raise refuse("module", _l("Only published modules can be part of a campaign."))
    if refresher is not None and refresher.id == module.id:
        raise refuse("refresher", _l("A module cannot be its own refresher."))
    used = {m.module_id for m in campaign.active_modules} | {
        m.refresher_module_id for m in campaign.active_modules if m.refresher_module_id
    }
    if refresher is not None and refresher.id in used:
        raise refuse("refresher", _l("This refresher is already part of the campaign."))
    existing = next((m for m in campaign.modules if m.module_id == module.id), None)
    if existing is not None and existing.removed_at is None:
        raise refuse("module", _l("This module is already part of the campaign."))
    if module.id in used:
        raise refuse("module", _l("This module is already part of the campaign as a refresher."))
    position = max((m.position for m in campaign.modules), default=-1) + 1
    if existing is not None:
        existing.removed_at = None
        existing.is_required = is_required
        existing.refresher_module_id = refresher.id if refresher else None
        existing.position = position
        existing.added_at = now
        cm = existing
    else:
        cm = CampaignModule(
            campaign=campaign,
            module_id=module.id,
            is_required=is_required,
            refresher_module_id=refresher.id if refresher else None,
            position=position,
            added_at=now,
        )
        session.add(cm)
    campaign.updated_at = now
    session.flush()
    return cm


def remove_module(
    session: Session, campaign: Campaign, cm: CampaignModule, *, now: datetime
) -> int:
    """Take a module out; in an active campaign its assignments end (kept as history).

    Returns how many open assignments ended.
    """
    ensure_editable(campaign)
    if cm.campaign_id != campaign.id or cm.removed_at is not None:
        raise refuse("module", _l("This module is not part of the campaign."))
    campaign.updated_at = now
    if campaign.state in (CampaignState.DRAFT, CampaignState.SCHEDULED):
        session.delete(cm)
        session.flush()
        return 0
    cm.removed_at = now
    result = session.execute(
        update(Assignment)
        .where(Assignment.campaign_module_id == cm.id, Assignment.removed_at.is_(None))
        .values(removed_at=now, removal_reason=RemovalReason.MODULE_REMOVED)
    )
    session.flush()
    return result.rowcount or 0
