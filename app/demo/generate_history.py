"""The generated learning history: who works on what, when, and how it ends.

Most learners finish their assignments on time, some late, some only start, a few never do;
how diligent a learner is depends on their branch, so that some branches are ready and others
at risk. A learner who already holds a completion that still counts has nothing to do; an
expired or out-of-date one (a later major version) means doing the module again (a new cycle).
Some people also read modules nobody assigned them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.demo.generate_attempts import take_quiz
from app.demo.generate_bulk import BulkWriter
from app.demo.generate_campaigns import Task
from app.demo.generate_content import ModuleInfo
from app.demo.generate_learning import Learner
from app.demo.generate_org import Org, Person
from app.demo.generate_sizes import Run
from app.demo.generate_statements import BodyTemplates
from app.i18n.languages import pick_language
from app.tracking import statements as xapi
from app.tracking.rebuild import MemoryContent

FIRST_TRY_FAILS = 0.25  # share of quiz takers who fail their first attempt


@dataclass(frozen=True)
class _Session:
    """One sitting: read (some of) a module, then maybe take its quiz."""

    at: datetime
    order: int
    task: Task
    pages_share: float  # 1.0: every page (then the quiz); less: stops part-way


def _content_facts(modules: list[ModuleInfo]) -> MemoryContent:
    """The content facts the projection needs, for every generated module."""
    content = MemoryContent()
    for module in modules:
        content.modules.add(module.id)
        for version in module.versions:
            content.versions[version.id] = version.valid_days
            for variant_id, pages in version.pages.items():
                for page_id, _position, _title in pages:
                    content.pages[page_id] = variant_id
    return content


def _sessions(run: Run, tasks: list[Task], diligence: float) -> list[_Session]:
    """Decide, for each task, when the learner sits down and how far they get."""
    rng, sessions = run.rng, []
    horizon = run.now - timedelta(hours=1)
    for order, task in enumerate(tasks):
        deadline = task.due_at or task.assigned_at + timedelta(days=30)
        draw = rng.random()
        if draw < diligence * 0.85:
            at, share = run.moment_between(task.assigned_at, deadline - timedelta(hours=2)), 1.0
        elif draw < diligence:
            at, share = run.moment_between(deadline, deadline + timedelta(days=45)), 1.0
        elif draw < diligence + (1 - diligence) * 0.4:
            at, share = run.moment_between(task.assigned_at, deadline), rng.uniform(0.2, 0.8)
        else:
            continue  # never started
        if at < horizon:
            sessions.append(_Session(at, order, task, share))
    return sorted(sessions, key=lambda s: (s.at, s.order))


def _free_tasks(run: Run, modules: list[ModuleInfo], person: Person) -> list[Task]:
    """A few modules some people read on their own (no campaign, no due date)."""
    tasks = []
    for _ in range(run.rng.choice((0, 0, 1, 2))):
        module = run.rng.choice(modules)
        start = max(person.joined_at, module.versions[0].published_at)
        if start < run.now - timedelta(days=2):
            tasks.append(Task(module, run.moment_between(start, run.now), None, None))
    return tasks


def _sit(learner: Learner, run: Run, session: _Session) -> None:
    """Play one sitting through the learner's recorder."""
    task, module = session.task, session.task.module
    if learner.counts_done(module, session.at):
        return
    version = module.version_at(session.at)
    if version is None:
        return
    language = pick_language(version.variants, learner.person.language, module.source_language)
    total = len(version.pages[version.variants[language]])
    pages = total if session.pages_share >= 1 else max(1, int(total * session.pages_share))
    pages = min(pages, total - 1) if session.pages_share < 1 and total > 1 else pages
    ended = learner.read(module, version, language, pages, session.at, task.registration)
    if module.quiz is None or session.pages_share < 1:
        return
    if run.rng.random() < FIRST_TRY_FAILS:
        ended = take_quiz(learner, module, ended, task.registration, passes=False)
    take_quiz(learner, module, ended, task.registration, passes=True)


def _write_derived(writer: BulkWriter, learner: Learner) -> None:
    """Write the learner's derived rows as the projection left them, and reading positions."""
    store, uid = learner.store, learner.person.id
    for row in store.modules.values():
        writer.add(
            "module_progress",
            {
                "user_id": uid,
                "module_id": row.module_id,
                "module_version_id": row.module_version_id,
                "cycle": row.cycle,
                "started_at": row.started_at,
                "last_activity_at": row.last_activity_at,
                "quiz_passed_cycle": row.quiz_passed_cycle,
                "quiz_score_percent": row.quiz_score_percent,
                "quiz_attempt_id": row.quiz_attempt_id,
            },
        )
    for row in store.pages.values():
        writer.add(
            "page_progress",
            {
                "user_id": uid,
                "page_id": row.page_id,
                "module_id": row.module_id,
                "module_version_id": row.module_version_id,
                "variant_id": row.variant_id,
                "cycle": row.cycle,
                "seen_at": row.seen_at,
            },
        )
    for row in store.completions.values():
        writer.add(
            "completions",
            {
                "user_id": uid,
                "module_id": row.module_id,
                "module_version_id": row.module_version_id,
                "number": row.number,
                "completed_at": row.completed_at,
                "score_percent": row.score_percent,
                "attempt_id": row.attempt_id,
                "expires_at": row.expires_at,
                "is_current": row.is_current,
                "statement_id": row.statement_id,
            },
        )
    for module_id, (version_id, language, position, at) in learner.positions.items():
        writer.add(
            "reading_positions",
            {
                "user_id": uid,
                "module_id": module_id,
                "version_id": version_id,
                "language": language,
                "position": position,
                "updated_at": at,
            },
        )


def build_history(
    writer: BulkWriter,
    run: Run,
    org: Org,
    modules: list[ModuleInfo],
    tasks: dict[int, list[Task]],
    iris: xapi.Iris,
    step: Callable[[int], None],
) -> None:
    """Play every learner's history, one learner at a time, writing rows in chunks."""
    content = _content_facts(modules)
    templates = BodyTemplates()
    branch_rates = {branch_id: run.rng.uniform(0.55, 0.98) for branch_id, *_ in org.branches}
    for person in org.learners:
        diligence = min(0.99, branch_rates[person.unit_id] * run.rng.uniform(0.85, 1.1))
        own = tasks.get(person.id, []) + _free_tasks(run, modules, person)
        learner = Learner(writer, run, content, iris, templates, person)
        for session in _sessions(run, own, diligence):
            _sit(learner, run, session)
        _write_derived(writer, learner)
        writer.flush_if_full()
        step(1)
