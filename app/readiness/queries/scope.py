"""What a readiness report covers: campaigns past their draft, units in the viewer's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session

from app.campaigns.access import campaign_scope_clause
from app.campaigns.models import Campaign, CampaignState
from app.i18n.languages import text_in
from app.people.models import Unit, UnitKind, User
from app.permissions import (
    is_admin,
    managed_unit_paths,
    trainer_provider_ids,
    unit_scope_clause,
)
from app.readiness.rules import Rule


@dataclass(frozen=True)
class CampaignInfo:
    """What a readiness report needs to know about a campaign."""

    id: int
    name: dict[str, str]
    state: str
    assign_at: datetime
    due_at: datetime
    rule: Rule

    def name_in(self, language: str | None) -> str:
        """Return the name by the platform's fallback order (`app.i18n.languages`), else #id."""
        return text_in(self.name, language, default=f"#{self.id}")


REPORTED_STATES = (CampaignState.SCHEDULED, CampaignState.ACTIVE, CampaignState.CLOSED)


def campaign_info(campaign: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=campaign.id,
        name=dict(campaign.name or {}),
        state=campaign.state.value,
        assign_at=campaign.assign_at,
        due_at=campaign.due_at,
        rule=Rule(campaign.readiness_percent, campaign.readiness_min_per_branch),
    )


# Campaign statements by the viewer's permission data (admin or not, trainer providers, managed
# unit paths): exactly what `campaign_scope_clause` reads, so a statement is only ever reused
# for a viewer with the same rights, read from their roles on every request. Bounded: emptied
# when full (a network has a few hundred distinct manager scopes).
_CAMPAIGN_STATEMENTS: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_MAX_CACHED_SCOPES = 2_048
_CAMPAIGN_ID = bindparam("campaign_id", type_=Integer)


def _campaign_statements(viewer: User) -> tuple[Any, Any]:
    """(visible campaigns, one campaign by `campaign_id`) for the viewer's scope, built once."""
    key = (
        is_admin(viewer),
        tuple(sorted(trainer_provider_ids(viewer))),
        tuple(managed_unit_paths(viewer)),
    )
    statements = _CAMPAIGN_STATEMENTS.get(key)
    if statements is None:
        visible = Campaign.state.in_(REPORTED_STATES), campaign_scope_clause(viewer)
        statements = (
            select(Campaign).where(*visible).order_by(Campaign.due_at.desc(), Campaign.id.desc()),
            select(Campaign).where(Campaign.id == _CAMPAIGN_ID, *visible),
        )
        if len(_CAMPAIGN_STATEMENTS) >= _MAX_CACHED_SCOPES:
            _CAMPAIGN_STATEMENTS.clear()
        _CAMPAIGN_STATEMENTS[key] = statements
    return statements


def visible_campaigns(session: Session, viewer: User) -> list[CampaignInfo]:
    """Campaigns past their draft that the viewer may see, latest due date first (one query)."""
    campaigns = session.scalars(_campaign_statements(viewer)[0]).all()
    return [campaign_info(c) for c in campaigns]


def campaign_for(session: Session, viewer: User, campaign_id: int) -> CampaignInfo | None:
    """The campaign if it exists, is past its draft and the viewer may see it (else None)."""
    campaign = session.scalar(_campaign_statements(viewer)[1], {"campaign_id": campaign_id})
    return campaign_info(campaign) if campaign is not None else None


@dataclass(frozen=True)
class UnitNode:
    """A unit of the tree, as reports show it."""

    id: int
    code: str
    name: str
    kind: str
    depth: int
    path: str

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids on the path from the root to this unit, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def parent_id(self) -> int | None:
        """The parent's id (None for a root)."""
        chain = self.ancestor_ids
        return chain[-2] if len(chain) > 1 else None

    @property
    def is_branch(self) -> bool:
        """Tell whether the unit is a branch (where the minimum per branch applies)."""
        return self.kind == UnitKind.BRANCH.value


def unit_node(row: Any) -> UnitNode:
    kind = row.kind.value if hasattr(row.kind, "value") else str(row.kind)
    return UnitNode(row.id, row.code, row.name, kind, row.depth, row.path)


UNIT_COLUMNS = (Unit.id, Unit.code, Unit.name, Unit.kind, Unit.depth, Unit.path)


def scoped_unit(session: Session, viewer: User, unit_id: int) -> UnitNode | None:
    """The unit if it lies in the viewer's scope (else None, for a 404 either way)."""
    row = session.execute(
        select(*UNIT_COLUMNS).where(Unit.id == unit_id, unit_scope_clause(viewer, Unit.path))
    ).one_or_none()
    return unit_node(row) if row is not None else None


def units_in_scope(session: Session, viewer: User, root: UnitNode | None) -> list[UnitNode]:
    """The units of `root`'s subtree (or of the whole scope) the viewer may see, in tree order."""
    query = select(*UNIT_COLUMNS).where(unit_scope_clause(viewer, Unit.path))
    if root is not None:
        query = query.where(Unit.path.startswith(root.path, autoescape=True))
    return [unit_node(row) for row in session.execute(query.order_by(Unit.path))]


def breadcrumb(session: Session, viewer: User, unit: UnitNode) -> list[UnitNode]:
    """The unit's ancestors the viewer may see, root first, the unit itself last (one query)."""
    ids = unit.ancestor_ids
    rows = session.execute(
        select(*UNIT_COLUMNS).where(Unit.id.in_(ids), unit_scope_clause(viewer, Unit.path))
    ).all()
    nodes = {row.id: unit_node(row) for row in rows}
    return [nodes[i] for i in ids if i in nodes]


def scope_root_units(session: Session, viewer: User) -> list[UnitNode]:
    """The tops of the viewer's scope: the units they manage (roots of the tree for admins)."""
    if is_admin(viewer):
        query = select(*UNIT_COLUMNS).where(Unit.parent_id.is_(None))
    else:
        paths = managed_unit_paths(viewer)
        if not paths:
            return []
        query = select(*UNIT_COLUMNS).where(Unit.path.in_(paths))
    return scope_roots([unit_node(row) for row in session.execute(query.order_by(Unit.name))])


def scope_roots(units: Sequence[UnitNode]) -> list[UnitNode]:
    """The units in a list that lie below no other unit of the list."""
    paths = {u.path for u in units}
    return [u for u in units if not any(p in paths for p in _ancestor_paths(u.path))]


def _ancestor_paths(path: str) -> list[str]:
    """The paths of a unit's ancestors ("/1/2/3/" -> "/1/", "/1/2/"): a unit's depth of
    lookups instead of one per unit in the list (a thousand branches made it a million)."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:k]) + "/" for k in range(1, len(parts))]
