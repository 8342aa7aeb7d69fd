"""`flask demo`, part two: a running campaign with realistic progress, so that the readiness
dashboards have something to show.

Everything goes through the features' own operations: the campaign is created, given its
modules and audience and scheduled by `app.campaigns.operations`, made active by the real
platform tick (`app.platform.tick.run_tick`, behind `flask tick`), pages are
read through `app.content.reading.record_page_view` (whose listeners record the tracking
statements) and quizzes are passed through the assessment attempt operations (whose listeners
record the attempt and the completion). Past days are replayed in order, with a tick at the
end of each of the last days, so that the readiness snapshots (a tick task) draw a trend.

Idempotent: the campaign is found by its name; when it exists, only the (idempotent) tick runs.
Learners who already have progress in the campaign's modules are left alone.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.campaigns.audience_operations import add_audience_unit, set_audience_roles
from app.campaigns.models import Assignment, Campaign, CampaignState
from app.campaigns.module_operations import add_module
from app.campaigns.operations import CampaignFields, create_campaign, schedule_campaign
from app.content.models import Module, ModuleStatus
from app.demo.campaign_progress import LearningReplay, ProgressEvent, plan_progress
from app.extensions import db
from app.people.models import Role, Unit, User
from app.platform.tick import run_tick
from app.timekeeping import clock
from app.timekeeping.days import day_end, day_start, local_date
from app.tracking.models import Completion, ModuleProgress

CAMPAIGN_NAME = {"fr": "Déclaration d'impôt 2027", "de": "Steuererklärung 2027"}
CAMPAIGN_THEME = {"fr": "Impôts", "de": "Steuern"}
CAMPAIGN_DESCRIPTION = (
    "Dès le printemps, les clients viendront au guichet avec leur déclaration d'impôt en "
    "ligne. Chaque filiale doit compter au moins deux personnes prêtes à les aider.\n\n"
    "Ab Frühling kommen Kundinnen und Kunden mit ihrer Online-Steuererklärung an den "
    "Schalter. Jede Filiale braucht mindestens zwei vorbereitete Mitarbeitende."
)
MODULE_SLUGS = ("declaration-impot-en-ligne", "confidentialite")
OWNER_CODE = "post"
AUDIENCE_CODE = "post-ju"
OWNER_HR_NUMBER = "DEMO-M004"  # the network manager
SEED = 2027
ASSIGN_DAYS_AGO = 30
DUE_IN_DAYS = 21
STARTS_IN_DAYS = 35
SEASON_DAYS = 90
SNAPSHOT_DAYS = 14  # one tick (hence one readiness snapshot) at the end of each past day


def find_demo_campaign(session: Any) -> Campaign | None:
    """The demo campaign, found by its French name (JSON columns are compared in Python)."""
    owner_id = session.scalar(select(Unit.id).where(Unit.code == OWNER_CODE))
    if owner_id is None:
        return None
    for campaign in session.scalars(select(Campaign).where(Campaign.owner_unit_id == owner_id)):
        if (campaign.name or {}).get("fr") == CAMPAIGN_NAME["fr"]:
            return campaign
    return None


def load_demo_campaigns(
    echo: Callable[[str], None] = lambda _m: None, now: datetime | None = None
) -> Campaign | None:
    """Create the demo campaign with its progress and snapshots (once); tick it on every run."""
    session = db.session
    now = now or clock.now()
    tz = clock.platform_zone()
    existing = find_demo_campaign(session)
    if existing is not None:
        report = run_tick(session, now)
        echo(
            f"campaign «{CAMPAIGN_NAME['fr']}»: already there ({existing.state.value}); "
            f"tick: {report.figure('assigned')} assigned, {report.tasks} task(s) run"
        )
        return existing
    modules = _demo_modules(session)
    campaign = _launch_campaign(session, modules, echo, now, tz)
    if campaign is None or campaign.state != CampaignState.ACTIVE:
        return campaign
    learners = _untouched_learners(session, campaign, modules)
    replay = LearningReplay(session, modules)
    events, outcome = plan_progress(random.Random(SEED), learners, replay, MODULE_SLUGS, now, tz)
    ticks = _replay(session, replay, events, now, tz)
    assignments = session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.campaign_id == campaign.id)
    )
    completions = session.scalar(
        select(func.count())
        .select_from(Completion)
        .where(Completion.module_id.in_([m.id for m in modules.values()]))
    )
    echo(
        f"campaign «{CAMPAIGN_NAME['fr']}»: {campaign.state.value}, "
        f"{assignments} assignments for {sum(len(v) for v in learners.values())} learners"
    )
    echo(
        f"progress: {outcome['completed']} completed both modules, "
        f"{outcome['in progress']} in progress, {outcome['not started']} not started "
        f"({completions} module completions); {ticks + 1} ticks, "
        f"snapshots for the last {SNAPSHOT_DAYS} days"
    )
    _echo_readiness(session, campaign, now, tz, echo)
    return campaign


def _demo_modules(session: Any) -> dict[str, Module]:
    """The campaign's published modules, by slug (those that exist)."""
    return {
        m.slug: m
        for m in session.scalars(
            select(Module).where(
                Module.slug.in_(MODULE_SLUGS),
                Module.status == ModuleStatus.PUBLISHED,
                Module.current_version_id.is_not(None),
            )
        )
    }


def _launch_campaign(
    session: Any,
    modules: dict[str, Module],
    echo: Callable[[str], None],
    now: datetime,
    tz: ZoneInfo,
) -> Campaign | None:
    """Prepare and schedule the campaign, then let the real tick activate it at its date."""
    network = session.scalar(select(Unit).where(Unit.code == OWNER_CODE))
    jura = session.scalar(select(Unit).where(Unit.code == AUDIENCE_CODE))
    owner = session.scalar(select(User).where(User.hr_number == OWNER_HR_NUMBER))
    missing = [s for s in MODULE_SLUGS if s not in modules]
    if network is None or jura is None or owner is None or missing:
        echo(f"campaign skipped: missing units, owner or modules {missing}")
        return None
    today = local_date(now, tz)
    assign_at = day_start(today - timedelta(days=ASSIGN_DAYS_AGO), tz) + timedelta(hours=6)
    prepared_at = assign_at - timedelta(days=3)
    fields = CampaignFields(
        name=dict(CAMPAIGN_NAME),
        theme=dict(CAMPAIGN_THEME),
        description=CAMPAIGN_DESCRIPTION,
        owner_unit_id=network.id,
        owner_provider_id=None,
        assign_at=assign_at,
        due_at=day_end(today + timedelta(days=DUE_IN_DAYS), tz),
        starts_at=day_start(today + timedelta(days=STARTS_IN_DAYS), tz),
        ends_at=day_end(today + timedelta(days=STARTS_IN_DAYS + SEASON_DAYS), tz),
        readiness_percent=80,
        readiness_min_per_branch=2,
    )
    campaign = create_campaign(session, fields, actor=owner, now=prepared_at)
    for slug in MODULE_SLUGS:
        add_module(
            session, campaign, modules[slug], is_required=True, refresher=None, now=prepared_at
        )
    add_audience_unit(session, campaign, jura, include_subunits=True, now=prepared_at)
    set_audience_roles(session, campaign, [Role.LEARNER.value], now=prepared_at)
    schedule_campaign(session, campaign, actor=owner, now=prepared_at + timedelta(hours=1))
    # The launch: the real tick at the assignment date activates and assigns.
    run_tick(session, assign_at)
    session.refresh(campaign)
    if campaign.state != CampaignState.ACTIVE:
        echo(f"campaign «{CAMPAIGN_NAME['fr']}» was not activated ({campaign.state.value})")
    return campaign


def _untouched_learners(
    session: Any, campaign: Campaign, modules: dict[str, Module]
) -> dict[int, list[tuple[int, str]]]:
    """The audience as the tick assigned it, by unit; people with progress are left alone."""
    touched = set(
        session.scalars(
            select(ModuleProgress.user_id).where(
                ModuleProgress.module_id.in_([m.id for m in modules.values()])
            )
        )
    )
    learners: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = session.execute(
        select(User.id, User.unit_id, User.preferred_language)
        .where(User.id.in_(select(Assignment.user_id).where(Assignment.campaign_id == campaign.id)))
        .order_by(User.hr_number)
    )
    for user_id, unit_id, language in rows:
        if user_id not in touched:
            learners[unit_id].append((user_id, language))
    return learners


def _replay(
    session: Any,
    replay: LearningReplay,
    events: list[ProgressEvent],
    now: datetime,
    tz: ZoneInfo,
) -> int:
    """Replay the events in time order, with a tick (a readiness snapshot) at each day's end.

    Returns the number of ticks run.
    """
    today = local_date(now, tz)
    ticks = [
        min(day_end(today - timedelta(days=d), tz) - timedelta(hours=3), now)
        for d in range(SNAPSHOT_DAYS - 1, 0, -1)
    ]
    ticks.append(now)
    position = 0
    for tick_at in ticks:
        while position < len(events) and events[position].at <= tick_at:
            event = events[position]
            if event.kind == "pages":
                replay.read(event)
            else:
                replay.pass_quiz(event)
            position += 1
        run_tick(session, tick_at)
    session.flush()
    return len(ticks)


def _echo_readiness(
    session: Any, campaign: Campaign, now: datetime, tz: Any, echo: Callable[[str], None]
) -> None:
    """Summarise today's branch statuses as the Jura region manager sees them."""
    from app.readiness.queries.report import readiness_report
    from app.readiness.queries.scope import campaign_for

    viewer = session.scalar(select(User).where(User.hr_number == "DEMO-M002"))
    info = campaign_for(session, viewer, campaign.id) if viewer is not None else None
    if info is None:
        return
    report = readiness_report(session, viewer, info, root=None, now=now, tz=tz)
    statuses = Counter(
        u.status.value for u in report.units.values() if u.unit.is_branch and u.assigned
    )
    # The operator's summary reads in words ("at risk"), not status identifiers ("at_risk").
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(statuses.items()))
    echo("readiness by branch: " + counts)
