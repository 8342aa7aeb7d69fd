"""Builders for readiness tests: campaigns with modules, assignments and completions, made
directly in the database so that each test states exactly who has done what."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.campaigns.models import (
    Assignment,
    Campaign,
    CampaignAudienceUnit,
    CampaignModule,
    CampaignState,
    RemovalReason,
)
from app.content.models import Module, ModuleStatus, ModuleVersion
from app.extensions import db
from app.people.models import Provider, Unit, User
from app.tracking.models import Completion, Statement
from app.tracking.statements import ObjectKind, Verb

NOW = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)
ASSIGN_AT = datetime(2027, 2, 1, 7, 0, tzinfo=UTC)
DUE_AT = datetime(2027, 3, 1, 22, 59, tzinfo=UTC)
_numbers = itertools.count(1)


def make_module(provider: Provider, *, slug: str | None = None, versions: int = 1) -> Module:
    """A published module with `versions` minor versions (the last is current)."""
    module = Module(
        slug=slug or f"rm-{next(_numbers)}",
        provider_id=provider.id,
        source_language="fr",
        status=ModuleStatus.PUBLISHED,
    )
    db.session.add(module)
    db.session.flush()
    for _ in range(versions):
        add_version(module)
    db.session.commit()
    return module


def add_version(module: Module, *, is_major: bool = False) -> ModuleVersion:
    """Publish the next version of a module (major or minor) and make it current."""
    number = (
        db.session.query(ModuleVersion).filter(ModuleVersion.module_id == module.id).count() + 1
    )
    version = ModuleVersion(
        module_id=module.id,
        number=number,
        is_major=is_major,
        content_hash=f"{module.slug}-{number}",
        minutes=5,
        published_at=ASSIGN_AT - timedelta(days=30),
    )
    db.session.add(version)
    db.session.flush()
    module.current_version_id = version.id
    db.session.commit()
    return version


@dataclass
class CampaignSetup:
    """A campaign and its required modules."""

    campaign: Campaign
    modules: list[Module]
    campaign_modules: list[CampaignModule] = field(default_factory=list)


def make_campaign(
    owner: Unit,
    modules: list[Module],
    *,
    percent: int | None = 80,
    min_per_branch: int | None = None,
    state: CampaignState = CampaignState.ACTIVE,
    assign_at: datetime = ASSIGN_AT,
    due_at: datetime = DUE_AT,
    optional: list[Module] | None = None,
    name: str = "Tax declaration 2027",
) -> CampaignSetup:
    """An active campaign owned by `owner` whose audience is `owner` and all below it."""
    campaign = Campaign(
        name={"en": name, "fr": name},
        theme={"en": "Tax"},
        owner_unit_id=owner.id,
        state=state,
        assign_at=assign_at,
        due_at=due_at,
        starts_at=due_at,
        ends_at=due_at + timedelta(days=60),
        readiness_percent=percent,
        readiness_min_per_branch=min_per_branch,
        reminder_days=[],
        registration=str(uuid.uuid4()),
    )
    db.session.add(campaign)
    db.session.flush()
    db.session.add(CampaignAudienceUnit(campaign_id=campaign.id, unit_id=owner.id))
    setup = CampaignSetup(campaign, list(modules))
    for position, module in enumerate(modules):
        cm = CampaignModule(
            campaign_id=campaign.id, module_id=module.id, is_required=True, position=position
        )
        db.session.add(cm)
        setup.campaign_modules.append(cm)
    for position, module in enumerate(optional or [], start=len(modules)):
        db.session.add(
            CampaignModule(
                campaign_id=campaign.id, module_id=module.id, is_required=False, position=position
            )
        )
    db.session.commit()
    return setup


def assign(
    setup: CampaignSetup,
    user: User,
    *,
    due_at: datetime | None = None,
    assigned_at: datetime | None = None,
    removed: bool = False,
) -> list[Assignment]:
    """Assign every module of the campaign to `user` (required ones with a due date)."""
    rows = []
    for cm in db.session.query(CampaignModule).filter_by(campaign_id=setup.campaign.id):
        row = Assignment(
            campaign_id=setup.campaign.id,
            campaign_module_id=cm.id,
            user_id=user.id,
            module_id=cm.module_id,
            is_required=cm.is_required,
            assigned_at=assigned_at or setup.campaign.assign_at,
            due_at=(due_at or setup.campaign.due_at) if cm.is_required else None,
            removed_at=NOW - timedelta(days=1) if removed else None,
            removal_reason=RemovalReason.LEFT_AUDIENCE if removed else None,
        )
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    return rows


def complete(
    user: User,
    module: Module,
    *,
    at: datetime = ASSIGN_AT + timedelta(days=3),
    version: ModuleVersion | None = None,
    expires_at: datetime | None = None,
    is_current: bool = True,
) -> Completion:
    """Record that `user` completed `module` (its current version unless given)."""
    version_id = version.id if version is not None else module.current_version_id
    number = (
        db.session.query(Completion)
        .filter(Completion.user_id == user.id, Completion.module_id == module.id)
        .count()
        + 1
    )
    if is_current:
        db.session.query(Completion).filter(
            Completion.user_id == user.id, Completion.module_id == module.id
        ).update({"is_current": False})
    statement = Statement(
        uuid=str(uuid.uuid4()),
        user_id=user.id,
        verb=Verb.COMPLETED,
        object_kind=ObjectKind.MODULE,
        object_iri=f"https://example.org/modules/{module.slug}",
        module_id=module.id,
        module_version_id=version_id,
        timestamp=at,
        stored_at=at,
        payload={},
    )
    db.session.add(statement)
    db.session.flush()
    completion = Completion(
        user_id=user.id,
        module_id=module.id,
        module_version_id=version_id,
        number=number,
        completed_at=at,
        score_percent=90.0,
        expires_at=expires_at,
        is_current=is_current,
        statement_id=statement.id,
    )
    db.session.add(completion)
    db.session.commit()
    return completion
