"""Generated campaigns over three years, their audiences and the assignments they made.

Past campaigns are closed, current ones active, the next one scheduled (no assignments yet).
Assignments are what the scheduler's tick would have made: everyone in the audience with the
learner role, at launch with the campaign's due date, later joiners with max(due date, joining
day + the late-joiner days).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.campaigns.models import DEFAULT_LATE_JOINER_DAYS, DEFAULT_REMINDER_DAYS, CampaignState
from app.content.rendering import render_markdown
from app.demo import generate_texts as texts
from app.demo.generate_bulk import BulkWriter
from app.demo.generate_content import ModuleInfo
from app.demo.generate_org import Org, Person
from app.demo.generate_sizes import Run
from app.timekeeping.days import day_end, local_date


@dataclass(frozen=True)
class Task:
    """A module a learner was given by a campaign (or picked freely: no campaign)."""

    module: ModuleInfo
    assigned_at: datetime
    due_at: datetime | None
    registration: str | None


@dataclass(frozen=True)
class _Campaign:
    id: int
    registration: str
    state: CampaignState
    assign_at: datetime
    due_at: datetime
    ends_at: datetime
    regions: frozenset[int] | None  # None: the whole network
    modules: tuple[tuple[int, ModuleInfo, bool], ...]  # (campaign module id, module, required)


def _state(run: Run, assign_at: datetime, ends_at: datetime) -> CampaignState:
    if assign_at > run.now:
        return CampaignState.SCHEDULED
    return CampaignState.CLOSED if ends_at <= run.now else CampaignState.ACTIVE


def _campaign_row(run: Run, org: Org, campaign: _Campaign, theme: dict[str, str]) -> dict:
    year = campaign.assign_at.year
    names = {lang: f"{theme[lang]} {year}" for lang in ("de", "fr", "it")}
    description = {lang: f"{texts.SENTENCES[lang][0]} {theme[lang]}." for lang in ("de", "fr")}
    active = campaign.state != CampaignState.SCHEDULED
    return {
        "id": campaign.id,
        "name": names,
        "theme": {lang: theme[lang] for lang in ("de", "fr", "it")},
        "descriptions": description,
        "descriptions_html": {k: render_markdown(v) for k, v in description.items()},
        "owner_unit_id": org.network_id,
        "owner_provider_id": None,
        "state": campaign.state.value,
        "assign_at": campaign.assign_at,
        "due_at": campaign.due_at,
        "starts_at": campaign.due_at + timedelta(days=3),
        "ends_at": campaign.ends_at,
        "readiness_percent": 80,
        "readiness_min_per_branch": 2 if run.rng.random() < 0.5 else None,
        "reminder_days": list(DEFAULT_REMINDER_DAYS),
        "remind_weekly_overdue": True,
        "send_digests": True,
        "late_joiner_days": DEFAULT_LATE_JOINER_DAYS,
        "audience_roles": ["learner"],
        "is_yearly": False,
        "previous_id": None,
        "registration": campaign.registration,
        "created_by_id": None,
        "created_at": campaign.assign_at - timedelta(days=10),
        "updated_at": campaign.assign_at - timedelta(days=5),
        "scheduled_at": campaign.assign_at - timedelta(days=5),
        "activated_at": campaign.assign_at if active else None,
        "closed_at": campaign.ends_at if campaign.state == CampaignState.CLOSED else None,
    }


def _pick_modules(run: Run, modules: list[ModuleInfo], assign_at: datetime) -> list[ModuleInfo]:
    published = [m for m in modules if m.versions[0].published_at < assign_at]
    count = min(len(published), run.rng.choice((1, 2, 2, 3)))
    return run.rng.sample(published, count)


def _write_campaign(
    writer: BulkWriter, run: Run, org: Org, modules: list[ModuleInfo], assign_at: datetime
) -> _Campaign:
    """Write one campaign with its modules and audience units."""
    rng = run.rng
    due_at = assign_at + timedelta(days=rng.randint(28, 45))
    ends_at = due_at + timedelta(days=rng.randint(60, 120))
    campaign_id = writer.new_id("campaigns")
    whole = rng.random() < 0.35 or len(org.regions) == 1
    regions = None
    if not whole:
        chosen = rng.sample(org.regions, rng.randint(1, max(1, len(org.regions) // 2)))
        regions = frozenset(region_id for region_id, _lang in chosen)
    picked = []
    for position, module in enumerate(_pick_modules(run, modules, assign_at)):
        cm_id, required = writer.new_id("campaign_modules"), rng.random() < 0.85
        picked.append((cm_id, module, required))
        writer.add(
            "campaign_modules",
            {
                "id": cm_id,
                "campaign_id": campaign_id,
                "module_id": module.id,
                "is_required": required,
                "refresher_module_id": None,
                "position": position,
                "added_at": assign_at - timedelta(days=10),
                "removed_at": None,
            },
        )
    registration = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    campaign = _Campaign(
        campaign_id,
        registration,
        _state(run, assign_at, ends_at),
        assign_at,
        due_at,
        ends_at,
        regions,
        tuple(picked),
    )
    writer.add("campaigns", _campaign_row(run, org, campaign, rng.choice(texts.TOPICS)))
    for unit_id in sorted(regions) if regions else [org.network_id]:
        writer.add(
            "campaign_audience_units",
            {
                "id": writer.new_id("campaign_audience_units"),
                "campaign_id": campaign_id,
                "unit_id": unit_id,
                "include_subunits": True,
                "added_at": assign_at - timedelta(days=10),
            },
        )
    return campaign


def _assign(
    writer: BulkWriter, run: Run, campaign: _Campaign, person: Person, tasks: dict[int, list[Task]]
) -> None:
    """Write the assignments one learner got from a campaign (and remember them as tasks)."""
    if person.joined_at >= campaign.ends_at or campaign.state == CampaignState.SCHEDULED:
        return
    tz = run.tz
    assigned_at, due_at = campaign.assign_at, campaign.due_at
    if person.joined_at > campaign.assign_at:
        assigned_at = person.joined_at
        late = day_end(local_date(person.joined_at, tz) + timedelta(DEFAULT_LATE_JOINER_DAYS), tz)
        due_at = max(due_at, late)
    for cm_id, module, required in campaign.modules:
        row: dict[str, Any] = {
            "id": writer.new_id("assignments"),
            "campaign_id": campaign.id,
            "campaign_module_id": cm_id,
            "user_id": person.id,
            "module_id": module.id,
            "is_required": required,
            "is_refresher": False,
            "assigned_at": assigned_at,
            "due_at": due_at if required else None,
            "notified_at": assigned_at,
            "removed_at": None,
            "removal_reason": None,
        }
        writer.add("assignments", row)
        tasks[person.id].append(Task(module, assigned_at, row["due_at"], campaign.registration))


def build_campaigns(
    writer: BulkWriter, run: Run, org: Org, modules: list[ModuleInfo]
) -> dict[int, list[Task]]:
    """Write the campaigns and assignments; return each learner's tasks."""
    count = run.size.campaigns
    span = (run.now + timedelta(days=30) - run.start).total_seconds()
    moments = sorted(
        run.start + timedelta(seconds=span * (i + run.rng.random()) / count) for i in range(count)
    )
    if count >= 2:
        # Whatever the size, one campaign is running now and the next one is scheduled.
        moments[-2:] = [run.now - timedelta(days=20), run.now + timedelta(days=10)]
        moments.sort()
    region_of = {branch_id: region_id for branch_id, region_id, _lang in org.branches}
    tasks: dict[int, list[Task]] = defaultdict(list)
    for assign_at in moments:
        campaign = _write_campaign(writer, run, org, modules, assign_at)
        for person in org.learners:
            if campaign.regions is None or region_of[person.unit_id] in campaign.regions:
                _assign(writer, run, campaign, person, tasks)
                writer.flush_if_full()
    run.counts["campaigns"] = count
    return tasks
