"""Reads about counter assists, as plain rows; every read about people is scoped to the viewer.

- `learner_topics`: the topics a helper may log, from the tags of the modules they are trained
  on (assigned in an active campaign, or completed): the campaign's topics first.
- `assist_counts`: assists per unit × ISO week × topic × outcome, one grouped statement,
  limited to the viewer's units; the manager and export views roll it up.
- `topic_ranking`: the topics asked most across the platform (no people, no units), for
  trainers deciding what to write next.
Undone assists (`voided_at`) never count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.campaigns.models import Assignment, Campaign, CampaignState
from app.campaigns.queries.learners import campaign_registration
from app.content.models import Module, ModuleStatus, ModuleVariant, ModuleVersion
from app.i18n.languages import pick_language
from app.people.models import Unit
from app.permissions import unit_scope_clause
from app.platform.reads import Deferred, Read
from app.timekeeping.days import local_date
from app.tracking.models import Completion
from app.tracking.statements import ModuleRef

from .models import AssistOutcome, CounterAssist

# --- weeks ------------------------------------------------------------------------------------


def iso_week(moment: datetime, tz: ZoneInfo) -> str:
    """Return the ISO week of a moment in the platform's time zone ("2027-W09")."""
    return _week_of(local_date(moment, tz))


def last_weeks(now: datetime, tz: ZoneInfo, count: int) -> list[str]:
    """Return the ISO weeks of the last `count` weeks, oldest first, this week last."""
    today = local_date(now, tz)
    monday = today - timedelta(days=today.weekday())
    return [_week_of(monday - timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


def _week_of(day: date) -> str:
    year, week, _day = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- the helper's topics ----------------------------------------------------------------------


@dataclass
class Topic:
    """A topic a helper may log: a tag of modules they are trained on, in their language."""

    name: str
    language: str
    modules: list[ModuleRef] = field(default_factory=list)
    # The campaign that trains the helper on it (due first), as its xAPI registration.
    registration: str | None = None
    is_campaign: bool = False


def learner_topics(session: Session, user_id: int, language: str, now: datetime) -> list[Topic]:
    """The helper's topics: tags of the modules assigned in active campaigns or completed.

    Three statements. Each module speaks in the variant the helper reads (their language if
    the module has it); the campaign's topics come first, each group in alphabetical order.
    """
    campaign_of = _campaign_of_module(session, user_id, now)
    completed = set(
        session.scalars(
            select(Completion.module_id).where(
                Completion.user_id == user_id, Completion.is_current.is_(True)
            )
        )
    )
    module_ids = set(campaign_of) | completed
    if not module_ids:
        return []
    variants = _published_variants(session, module_ids)
    topics: dict[str, Topic] = {}
    for module_id in sorted(variants, key=lambda m: (m not in campaign_of, m)):
        options = variants[module_id]
        chosen_language = pick_language(
            (v.language for v in options), language, options[0].source_language
        )
        chosen = next(v for v in options if v.language == chosen_language)
        ref = ModuleRef(
            slug=chosen.slug,
            version=chosen.number,
            titles={v.language: v.title for v in options},
        )
        campaign_id = campaign_of.get(module_id)
        for tag in chosen.tags or ():
            name = str(tag).strip()
            if not name:
                continue
            topic = topics.setdefault(name, Topic(name=name, language=chosen_language))
            topic.modules.append(ref)
            if campaign_id is not None and topic.registration is None:
                topic.registration = campaign_registration(campaign_id, user_id)
                topic.is_campaign = True
    return sorted(topics.values(), key=lambda t: (not t.is_campaign, t.name.casefold()))


def _campaign_of_module(session: Session, user_id: int, now: datetime) -> dict[int, int]:
    """The helper's modules assigned in active campaigns, each with its campaign (due first)."""
    assigned = session.execute(
        select(Assignment.module_id, Assignment.campaign_id)
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(
            Assignment.user_id == user_id,
            Assignment.removed_at.is_(None),
            Assignment.assigned_at <= now,
            Campaign.state == CampaignState.ACTIVE,
        )
        .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.campaign_id)
    ).all()
    campaign_of: dict[int, int] = {}
    for module_id, campaign_id in assigned:
        campaign_of.setdefault(module_id, campaign_id)
    return campaign_of


def _published_variants(session: Session, module_ids: set[int]) -> dict[int, list[Any]]:
    """The language variants of the published modules' current versions, by module."""
    rows = session.execute(
        select(
            Module.id,
            Module.slug,
            Module.source_language,
            ModuleVersion.number,
            ModuleVariant.language,
            ModuleVariant.title,
            ModuleVariant.tags,
        )
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .join(ModuleVariant, ModuleVariant.version_id == ModuleVersion.id)
        .where(Module.id.in_(module_ids), Module.status == ModuleStatus.PUBLISHED)
    ).all()
    variants: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        variants[row.id].append(row)
    return variants


# Built once: the home panel and the counter page only bind the helper and the week.
_ASSISTS_IN_WEEK = select(func.count(CounterAssist.id)).where(
    CounterAssist.user_id == bindparam("user_id"),
    CounterAssist.week == bindparam("week"),
    CounterAssist.voided_at.is_(None),
)


def assists_this_week(session: Session, user_id: int, week: str) -> int:
    """How many assists (not undone) the helper logged in a week."""
    return session.scalar(_ASSISTS_IN_WEEK, {"user_id": user_id, "week": week}) or 0


def assists_in_week(user_id: int, week: str) -> Deferred:
    """`assists_this_week` as a read run with the page's others (see `app.platform.reads`)."""
    read = Read(_ASSISTS_IN_WEEK, {"user_id": user_id, "week": week})
    return Deferred((read,), lambda rows: rows[0][0] or 0)


# --- managers: per unit, topic and week -------------------------------------------------------


@dataclass(frozen=True)
class AssistCount:
    """Assists of one unit in one ISO week on one topic with one outcome."""

    unit_id: int
    unit_code: str
    unit_name: str
    week: str
    topic: str
    outcome: AssistOutcome
    count: int


def assist_counts(session: Session, viewer: Any, weeks: Sequence[str]) -> list[AssistCount]:
    """Assists in the viewer's units in these weeks, grouped by unit, week, topic and outcome."""
    if not weeks:
        return []
    rows = session.execute(
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            CounterAssist.week,
            CounterAssist.topic,
            CounterAssist.outcome,
            func.count(CounterAssist.id),
        )
        .join(Unit, Unit.id == CounterAssist.unit_id)
        .where(
            CounterAssist.week.in_(list(weeks)),
            CounterAssist.voided_at.is_(None),
            unit_scope_clause(viewer, Unit.path),
        )
        .group_by(
            Unit.id,
            Unit.code,
            Unit.name,
            CounterAssist.week,
            CounterAssist.topic,
            CounterAssist.outcome,
        )
        .order_by(Unit.name, Unit.id, CounterAssist.week, CounterAssist.topic)
    ).all()
    return [AssistCount(*row) for row in rows]


@dataclass
class UnitAssists:
    """One unit's assists over some weeks: per week, per topic and per outcome."""

    unit_id: int
    by_week: dict[str, int] = field(default_factory=dict)
    by_topic: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[AssistOutcome, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """All assists of the unit in the weeks shown."""
        return sum(self.by_week.values())

    def top_topics(self, limit: int = 3) -> list[tuple[str, int]]:
        """The unit's most frequent topics, most frequent first."""
        ranked = sorted(self.by_topic.items(), key=lambda item: (-item[1], item[0].casefold()))
        return ranked[:limit]


def assists_by_unit(counts: Sequence[AssistCount]) -> dict[int, UnitAssists]:
    """Roll the grouped counts up per unit."""
    result: dict[int, UnitAssists] = {}
    for row in counts:
        unit = result.setdefault(row.unit_id, UnitAssists(row.unit_id))
        unit.by_week[row.week] = unit.by_week.get(row.week, 0) + row.count
        unit.by_topic[row.topic] = unit.by_topic.get(row.topic, 0) + row.count
        unit.by_outcome[row.outcome] = unit.by_outcome.get(row.outcome, 0) + row.count
    return result


# --- trainers: the topics asked most ----------------------------------------------------------


@dataclass(frozen=True)
class TopicRank:
    """A topic and how often it came up at the counter, by outcome."""

    topic: str
    total: int
    solved: int
    referred: int
    coming_back: int
    units: int

    @property
    def unsolved_share(self) -> float:
        """The share of assists on this topic that the counter could not solve at once."""
        return (self.referred + self.coming_back) / self.total if self.total else 0.0


def topic_ranking(session: Session, weeks: Sequence[str], *, limit: int = 50) -> list[TopicRank]:
    """The topics asked most in these weeks, across all units (counts only, no people)."""
    if not weeks:
        return []

    def outcome_count(outcome: AssistOutcome) -> Any:
        return func.count(CounterAssist.id).filter(CounterAssist.outcome == outcome)

    rows = session.execute(
        select(
            CounterAssist.topic,
            func.count(CounterAssist.id).label("total"),
            outcome_count(AssistOutcome.SOLVED),
            outcome_count(AssistOutcome.REFERRED),
            outcome_count(AssistOutcome.COMING_BACK),
            func.count(CounterAssist.unit_id.distinct()),
        )
        .where(CounterAssist.week.in_(list(weeks)), CounterAssist.voided_at.is_(None))
        .group_by(CounterAssist.topic)
        .order_by(func.count(CounterAssist.id).desc(), CounterAssist.topic)
        .limit(limit)
    ).all()
    return [TopicRank(*row) for row in rows]
