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
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.assessment.models import Quiz
from app.assessment.operations import definition_of, save_answer, start_attempt, submit_attempt
from app.assessment.queries import quiz_for_module
from app.assessment.questions import Question
from app.campaigns.audience_operations import add_audience_unit, set_audience_roles
from app.campaigns.models import Assignment, Campaign, CampaignState
from app.campaigns.module_operations import add_module
from app.campaigns.operations import CampaignFields, create_campaign, schedule_campaign
from app.content.models import Module, ModulePage, ModuleStatus, ModuleVersion
from app.content.reading import record_page_view
from app.extensions import db
from app.people.models import Role, Unit, User
from app.platform.hooks import PAGE_READ, QUIZ_GRADED
from app.platform.tick import run_tick
from app.timekeeping import clock
from app.timekeeping.days import day_end, day_start, local_date, zone
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
PROGRESS_DAYS = 20  # completions spread over the last 20 days
SNAPSHOT_DAYS = 14  # one tick (hence one readiness snapshot) at the end of each past day
IN_PROGRESS_SHARE = 0.20
# Share of each branch's learners who complete both modules (mean 0.575, about 55 % of
# all learners with this seed), dealt out to the branches at random (fixed seed): some
# branches end up ready, others at risk.
BRANCH_RATES = (
    0.975,
    0.925,
    0.875,
    0.825,
    0.775,
    0.725,
    0.675,
    0.625,
    0.575,
    0.525,
    0.475,
    0.425,
    0.375,
    0.325,
    0.275,
    0.225,
    0.175,
)


@dataclass(order=True)
class _Event:
    """One learning moment to replay: read some pages, or pass a quiz."""

    at: datetime
    order: int
    user_id: int
    module_slug: str
    kind: str  # "pages" or "quiz"
    pages: int = 0  # how many pages to read ("pages" only; 0 = all)


def find_demo_campaign(session: Any) -> Campaign | None:
    """The demo campaign, found by its French name (JSON columns are compared in Python)."""
    owner_id = session.scalar(select(Unit.id).where(Unit.code == OWNER_CODE))
    if owner_id is None:
        return None
    for campaign in session.scalars(select(Campaign).where(Campaign.owner_unit_id == owner_id)):
        if (campaign.name or {}).get("fr") == CAMPAIGN_NAME["fr"]:
            return campaign
    return None


def correct_response(question: Question) -> Any:
    """A fully correct response to a question, in the shape the grader expects."""
    kind = question.type
    if kind == "single":
        return next(o.id for o in question.options if o.correct)
    if kind == "multiple":
        return [o.id for o in question.options if o.weight > 0]
    if kind == "truefalse":
        return bool(question.answer)
    if kind == "short":
        best = max(question.answers, key=lambda a: a.weight)
        return best.text.replace("*", "") or best.text
    if kind == "numeric":
        best = max(question.answers, key=lambda a: a.weight)
        return str(best.bounds[0] if best.value is None else best.value)
    if kind == "matching":
        return {pair.id: next(iter(pair.match.values())) for pair in question.pairs}
    if kind == "ordering":
        return [item.id for item in question.items]
    raise ValueError(f"no correct response for question type {kind!r}")


class _Learning:
    """Replays a learner's reading and quizzes through the content and assessment operations."""

    def __init__(self, session: Any, modules: dict[str, Module]) -> None:
        self.session = session
        self.modules = modules
        self.page_listeners = PAGE_READ.receivers()
        self.attempt_listeners = QUIZ_GRADED.receivers()
        self.pages: dict[tuple[str, str], list[ModulePage]] = {}
        self.quizzes: dict[str, Quiz | None] = {}
        self.users: dict[int, User] = {}

    def _user(self, user_id: int) -> User:
        if user_id not in self.users:
            self.users[user_id] = self.session.get(User, user_id)
        return self.users[user_id]

    def _pages(self, slug: str, language: str) -> list[ModulePage]:
        key = (slug, language)
        if key not in self.pages:
            module = self.modules[slug]
            version = self.session.get(ModuleVersion, module.current_version_id)
            variants = {v.language: v for v in version.variants}
            variant = (
                variants.get(language)
                or variants.get(module.source_language)
                or next(iter(variants.values()))
            )
            self.pages[key] = sorted(variant.pages, key=lambda p: p.position)
        return self.pages[key]

    def page_count(self, slug: str, language: str) -> int:
        return len(self._pages(slug, language))

    def read(self, event: _Event) -> None:
        user = self._user(event.user_id)
        module = self.modules[event.module_slug]
        pages = self._pages(event.module_slug, user.preferred_language)
        wanted = pages[: event.pages] if event.pages else pages
        for index, page in enumerate(wanted):
            record_page_view(
                self.session,
                user,
                module,
                page,
                version_id=module.current_version_id,
                language=page.variant.language,
                resume_at=min(index + 1, len(pages) - 1),
                now=event.at + timedelta(minutes=2 * index),
                listeners=self.page_listeners,
            )

    def pass_quiz(self, event: _Event) -> None:
        slug = event.module_slug
        if slug not in self.quizzes:
            found = quiz_for_module(self.session, self.modules[slug].id)
            self.quizzes[slug] = self.session.get(Quiz, found.quiz_id) if found else None
        quiz = self.quizzes[slug]
        if quiz is None:
            return
        attempt, _ = start_attempt(
            self.session, event.user_id, quiz, now=event.at, listeners=self.attempt_listeners
        )
        definition = definition_of(attempt.version)
        for number, question_id in enumerate(attempt.question_ids, start=1):
            save_answer(
                self.session,
                attempt,
                question_id,
                correct_response(definition.question(question_id)),
                now=event.at + timedelta(seconds=30 * number),
                listeners=self.attempt_listeners,
            )
        submit_attempt(
            self.session,
            attempt,
            now=event.at + timedelta(seconds=30 * len(attempt.question_ids) + 20),
            listeners=self.attempt_listeners,
        )


def _plan(
    rng: random.Random,
    learners: dict[int, list[tuple[int, str]]],
    learning: _Learning,
    now: datetime,
    tz: Any,
) -> tuple[list[_Event], Counter]:
    """Decide who completes, who is half-way and who has not started, branch by branch."""
    rates = list(BRANCH_RATES)
    rng.shuffle(rates)
    events: list[_Event] = []
    outcome: Counter = Counter()
    today = local_date(now, tz)
    first, second = MODULE_SLUGS

    def moment(days_ago: int) -> datetime:
        day = today - timedelta(days=days_ago)
        local = datetime.combine(day, time(7, 30), tzinfo=tz) + timedelta(
            minutes=rng.randrange(0, 10 * 60)
        )
        return min(local.astimezone(now.tzinfo), now - timedelta(hours=2))

    for index, unit_id in enumerate(sorted(learners)):
        rate = rates[index % len(rates)]
        in_progress = min(IN_PROGRESS_SHARE, 1 - rate)
        for user_id, language in learners[unit_id]:
            draw = rng.random()
            order = len(events)
            if draw < rate:
                # Earlier starters are more common in eager branches: skew towards the past.
                days_ago = max(1, round(PROGRESS_DAYS * rng.random() ** (1.5 - rate)))
                start = moment(days_ago)
                gap = timedelta(hours=rng.choice((0, 1, 3, 24, 48)))
                later = min(start + gap, now - timedelta(hours=2))
                events += [
                    _Event(start, order, user_id, first, "pages"),
                    _Event(start + timedelta(minutes=40), order, user_id, first, "quiz"),
                    _Event(later + timedelta(minutes=50), order, user_id, second, "pages"),
                    _Event(later + timedelta(minutes=80), order, user_id, second, "quiz"),
                ]
                outcome["completed"] += 1
            elif draw < rate + in_progress:
                start = moment(rng.randrange(1, PROGRESS_DAYS + 1))
                total = learning.page_count(first, language)
                if rng.random() < 0.4:
                    # The first module done, the second one only started.
                    events += [
                        _Event(start, order, user_id, first, "pages"),
                        _Event(start + timedelta(minutes=40), order, user_id, first, "quiz"),
                        _Event(
                            start + timedelta(minutes=60),
                            order,
                            user_id,
                            second,
                            "pages",
                            max(1, learning.page_count(second, language) // 2),
                        ),
                    ]
                else:
                    pages = rng.randrange(1, total) if total > 1 else 1
                    events.append(_Event(start, order, user_id, first, "pages", pages))
                outcome["in progress"] += 1
            else:
                outcome["not started"] += 1
    events.sort()
    return events, outcome


def load_demo_campaigns(
    echo: Callable[[str], None] = lambda _m: None, now: datetime | None = None
) -> Campaign | None:
    """Create the demo campaign with its progress and snapshots (once); tick it on every run."""
    session = db.session
    now = now or clock.now()
    tz = zone(current_app.config.get("BABEL_DEFAULT_TIMEZONE"))
    existing = find_demo_campaign(session)
    if existing is not None:
        report = run_tick(session, now)
        echo(
            f"campaign «{CAMPAIGN_NAME['fr']}»: already there ({existing.state.value}); "
            f"tick: {report.figure('assigned')} assigned, {report.tasks} task(s) run"
        )
        return existing

    network = session.scalar(select(Unit).where(Unit.code == OWNER_CODE))
    jura = session.scalar(select(Unit).where(Unit.code == AUDIENCE_CODE))
    owner = session.scalar(select(User).where(User.hr_number == OWNER_HR_NUMBER))
    modules = {
        m.slug: m
        for m in session.scalars(
            select(Module).where(
                Module.slug.in_(MODULE_SLUGS),
                Module.status == ModuleStatus.PUBLISHED,
                Module.current_version_id.is_not(None),
            )
        )
    }
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

    # The audience, as the tick assigned it, grouped by unit; people with progress are skipped.
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

    learning = _Learning(session, modules)
    events, outcome = _plan(random.Random(SEED), learners, learning, now, tz)
    # Replay in time order, with a tick (and so a readiness snapshot) at each day's end.
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
                learning.read(event)
            else:
                learning.pass_quiz(event)
            position += 1
        run_tick(session, tick_at)
    session.flush()

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
        f"({completions} module completions); {len(ticks) + 1} ticks, "
        f"snapshots for the last {SNAPSHOT_DAYS} days"
    )
    _echo_readiness(session, campaign, now, tz, echo)
    return campaign


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
