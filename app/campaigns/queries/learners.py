"""A learner's campaigns: what is assigned to them ("my learning" lists it through
`assignments_for_user`), how far they are, and the xAPI registration of their statements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from app.campaigns.models import Assignment, Campaign, CampaignModule, CampaignState
from app.campaigns.queries.modules import module_infos
from app.db import TZDateTime
from app.i18n.languages import text_in
from app.people.models import User
from app.platform.reads import Deferred, Read
from app.tracking.assignment_sources import AssignmentRow, AssignmentSource
from app.tracking.completion_sql import assignment_done_clause

# Built once: "my learning" and the home page only bind the person and the clock. Whether
# each assignment is done is the campaigns' rule (`assignment_done_clause`): a refresher
# completed last year, whose completion still counts, is to do again.
_NOW = bindparam("now", type_=TZDateTime())
_MODULE = aliased(CampaignModule)
_ASSIGNMENTS_FOR_USER = (
    select(
        Assignment.module_id,
        Assignment.due_at,
        Campaign.name,
        User.preferred_language,
        assignment_done_clause(Assignment, _MODULE, Campaign.assign_at, _NOW),
    )
    .join(Campaign, Campaign.id == Assignment.campaign_id)
    .join(_MODULE, _MODULE.id == Assignment.campaign_module_id)
    .join(User, User.id == Assignment.user_id)
    .where(
        Assignment.user_id == bindparam("user_id"),
        Assignment.removed_at.is_(None),
        Campaign.state == CampaignState.ACTIVE,
    )
    .order_by(Assignment.due_at, Assignment.id)
)


def _assignment_row(row: Any) -> AssignmentRow:
    module_id, due_at, name, language, is_done = row
    return AssignmentRow(
        module_id=module_id,
        due_at=due_at,
        source=text_in(name, language),
        is_done=bool(is_done),
    )


# What "my learning" lists as assigned by campaigns: the source is the campaign's name in the
# person's language.
CAMPAIGN_ASSIGNMENTS = AssignmentSource(_ASSIGNMENTS_FOR_USER, _assignment_row)


def assignments_for_user(session: Session, user_id: int, now: datetime) -> list[AssignmentRow]:
    """The open campaign assignments of a person (active campaigns), in one query."""
    rows = session.execute(_ASSIGNMENTS_FOR_USER, {"user_id": user_id, "now": now})
    return [_assignment_row(row) for row in rows]


@dataclass(frozen=True)
class MyModule:
    """A module assigned to me in a campaign, with whether it is done."""

    module_id: int
    slug: str
    title: str
    is_required: bool
    is_refresher: bool
    due_at: datetime | None
    is_done: bool


@dataclass(frozen=True)
class MyCampaign:
    """A campaign I take part in, with my modules."""

    id: int
    name: str
    theme: str
    description_html: str
    due_at: datetime | None
    starts_at: datetime
    modules: list[MyModule]

    @property
    def is_done(self) -> bool:
        """Whether every required module is done."""
        return all(m.is_done for m in self.modules if m.is_required)


def my_campaigns(session: Session, user: User, language: str, now: datetime) -> list[MyCampaign]:
    """The active campaigns a person is assigned to, with their modules (two queries)."""
    cm = aliased(CampaignModule)
    done = assignment_done_clause(Assignment, cm, Campaign.assign_at, now)
    rows = session.execute(
        select(
            Campaign,
            Assignment.module_id,
            Assignment.is_required,
            Assignment.is_refresher,
            Assignment.due_at,
            done,
        )
        .join(Assignment, Assignment.campaign_id == Campaign.id)
        .join(cm, cm.id == Assignment.campaign_module_id)
        .where(
            Assignment.user_id == user.id,
            Assignment.removed_at.is_(None),
            Campaign.state == CampaignState.ACTIVE,
        )
        .order_by(Campaign.due_at, Campaign.id, cm.position)
    ).all()
    infos = module_infos(session, {r[1] for r in rows})
    grouped: dict[int, tuple[Campaign, list[MyModule]]] = {}
    for campaign, module_id, is_required, is_refresher, due_at, is_done in rows:
        info = infos.get(module_id)
        entry = grouped.setdefault(campaign.id, (campaign, []))
        entry[1].append(
            MyModule(
                module_id,
                info.slug if info else "",
                info.title_in(language) if info else "?",
                bool(is_required),
                bool(is_refresher),
                due_at,
                bool(is_done),
            )
        )
    result = []
    for campaign, modules in grouped.values():
        dues = [m.due_at for m in modules if m.due_at]
        result.append(
            MyCampaign(
                campaign.id,
                campaign.name_in(language),
                campaign.theme_in(language),
                campaign.description_html_in(language),
                min(dues) if dues else None,
                campaign.starts_at,
                modules,
            )
        )
    return result


REGISTRATION_NAMESPACE = uuid.UUID("5f0c2a1e-8d3b-4b7e-9c61-2a4f7e3d9b10")


def campaign_registration(campaign_id: int, user_id: int) -> str:
    """The xAPI registration of one person in one campaign: stable, derived, never stored."""
    return str(uuid.uuid5(REGISTRATION_NAMESPACE, f"campaign:{campaign_id}:user:{user_id}"))


# Built once: every statement a learner's event records asks for it.
_REGISTERING_CAMPAIGN = (
    select(Assignment.campaign_id)
    .where(
        Assignment.user_id == bindparam("user_id"),
        Assignment.module_id == bindparam("module_id"),
        Assignment.removed_at.is_(None),
        Assignment.assigned_at <= _NOW,
    )
    .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.campaign_id)
    .limit(1)
)


def xapi_registration(session: Session, user_id: int, module_id: int, now: datetime) -> str | None:
    """The registration of the campaign that assigns this module to this person, if any.

    With several campaigns assigning the same module, the one due first is the context.
    """
    campaign_id = session.scalar(
        _REGISTERING_CAMPAIGN, {"user_id": user_id, "module_id": module_id, "now": now}
    )
    return campaign_registration(campaign_id, user_id) if campaign_id else None


@dataclass(frozen=True)
class CampaignSummary:
    """A campaign I take part in, as the home panel shows it: name, due date, done or not."""

    id: int
    name: str
    due_at: datetime | None
    is_done: bool


_summary_module = aliased(CampaignModule)
# Built once: each home page only binds the person and the moment (same rule as my_campaigns).
_MY_CAMPAIGN_ROWS = (
    select(
        Campaign.id,
        Campaign.name,
        Assignment.is_required,
        Assignment.due_at,
        assignment_done_clause(
            Assignment, _summary_module, Campaign.assign_at, bindparam("now")
        ).label("is_done"),
    )
    .join(Assignment, Assignment.campaign_id == Campaign.id)
    .join(_summary_module, _summary_module.id == Assignment.campaign_module_id)
    .where(
        Assignment.user_id == bindparam("user_id"),
        Assignment.removed_at.is_(None),
        Campaign.state == CampaignState.ACTIVE,
    )
    .order_by(Campaign.due_at, Campaign.id, _summary_module.position)
)


def my_campaign_summaries(user_id: int, language: str, now: datetime) -> Deferred:
    """The active campaigns a person is assigned to, each with its earliest due date and
    whether every required module is done, as `CampaignSummary`s (one read, run with the
    page's others: see `app.platform.reads`)."""
    read = Read(_MY_CAMPAIGN_ROWS, {"user_id": user_id, "now": now})
    return Deferred((read,), lambda rows: _summaries(rows, language))


def _summaries(rows: Any, language: str) -> list[CampaignSummary]:
    grouped: dict[int, tuple[str, list[datetime], bool]] = {}
    for campaign_id, name, is_required, due_at, is_done in rows:
        _name, dues, done = grouped.get(campaign_id, (name, [], True))
        if due_at is not None:
            dues.append(due_at)
        grouped[campaign_id] = (name, dues, done and (not is_required or bool(is_done)))
    return [
        CampaignSummary(campaign_id, text_in(name, language), min(dues) if dues else None, done)
        for campaign_id, (name, dues, done) in grouped.items()
    ]
