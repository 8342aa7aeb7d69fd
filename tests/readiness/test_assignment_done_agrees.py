"""Every form of "this assignment is done" gives the same answer, refreshers included.

The rule (`app.tracking.completion_sql`): a completion that counts now of the assigned module
or of the campaign's full module; for a refresher, only one made from the campaign's
assignment date on. It is read as EXISTS by the learner's pages, as joins by the readiness
report, the daily snapshots and the tick, and in Python by the person page. One person per
case of a grid: full module or refresher assigned; completion of the full module, of the
refresher or none; made before or after the assignment date; counting now or expired.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.campaigns.models import Assignment, Campaign, CampaignModule
from app.campaigns.queries.learners import CAMPAIGN_ASSIGNMENTS, my_campaigns
from app.campaigns.scheduler.context import TickContext, TickCounts
from app.content.models import ModuleVariant
from app.db import utcnow
from app.extensions import db
from app.people.models import Role, User
from app.readiness.models import ReadinessSnapshot
from app.readiness.operations import take_snapshots
from app.readiness.queries.counting import assignment_rows
from app.readiness.queries.people import BEFORE_CAMPAIGN, person_modules
from app.tracking.completion_sql import assignment_done_clause
from app.tracking.my_learning import my_learning
from tests.conftest import login_as
from tests.factories import make_org, make_user
from tests.readiness.helpers import (
    ASSIGN_AT,
    DUE_AT,
    NOW,
    assign,
    complete,
    make_campaign,
    make_module,
)
from tests.readiness.test_readiness_arithmetic import TZ, report_for

CASES = [(refresher, None, None, None) for refresher in (False, True)] + list(
    itertools.product((False, True), ("full", "refresher"), ("before", "after"), (True, False))
)


def _expected(refresher: bool, completed: str | None, when: str | None, counts: bool | None):
    if completed is None or not counts:
        return False
    module_does_it = completed == "full" or refresher
    return module_does_it and (not refresher or when == "after")


@pytest.fixture
def grid(app):
    org = make_org()
    full, short = make_module(org.provider, slug="tax-basics"), make_module(org.provider)
    for module in (full, short):  # my learning lists modules that have a language
        db.session.add(
            ModuleVariant(
                version_id=module.current_version_id,
                language="en",
                title=module.slug,
                summary="",
                minutes=5,
                content_hash=module.slug,
                markdown="# Page",
            )
        )
    admin = make_user(org.network, Role.ADMIN)
    setup = make_campaign(org.network, [full])
    setup.campaign_modules[0].refresher_module_id = short.id
    db.session.commit()
    people = {}
    for case in CASES:
        refresher, completed, when, counts = case
        person = make_user(org.branch_a1)
        (row,) = assign(setup, person)
        if refresher:
            row.module_id, row.is_refresher = short.id, True
            db.session.commit()
        if completed is not None:
            at = ASSIGN_AT + (timedelta(days=3) if when == "after" else -timedelta(days=200))
            complete(
                person,
                full if completed == "full" else short,
                at=at,
                expires_at=None if counts else NOW - timedelta(days=1),
            )
        people[person.id] = case
    return setup, admin, people


def test_the_grid_has_both_answers(grid):
    _setup, _admin, people = grid
    answers = [_expected(*case) for case in people.values()]
    assert answers.count(True) == 4 and answers.count(False) == len(CASES) - 4


def test_the_tick_and_the_learner_pages_read_the_rule(grid):
    setup, _admin, people = grid
    done = dict(
        db.session.execute(
            select(
                Assignment.user_id,
                assignment_done_clause(Assignment, CampaignModule, Campaign.assign_at, NOW),
            )
            .join(CampaignModule, CampaignModule.id == Assignment.campaign_module_id)
            .join(Campaign, Campaign.id == Assignment.campaign_id)
            .where(Assignment.campaign_id == setup.campaign.id)
        ).all()
    )
    assert {u: bool(d) for u, d in done.items()} == {u: _expected(*c) for u, c in people.items()}
    for user_id, case in people.items():
        (campaign,) = my_campaigns(db.session, db.session.get(User, user_id), "en", NOW)
        assert campaign.is_done == _expected(*case), case


def test_the_ticks_open_assignments_read_the_rule(app, grid):
    """The tick's reminders and digests read its open assignments (joins, once per run)."""
    setup, _admin, people = grid
    ctx = TickContext(db.session, NOW, TickCounts())
    table = ctx.open_assignments(setup.campaign)
    still_open = list(db.session.scalars(select(table.c.user_id)))
    ctx.close()
    assert sorted(still_open) == sorted(u for u, c in people.items() if not _expected(*c))


def test_my_learning_reads_the_rule(grid):
    setup, _admin, people = grid
    late = DUE_AT + timedelta(days=1)
    for user_id, case in people.items():
        assigned = setup.campaign_modules[0].refresher_module_id if case[0] else setup.modules[0].id
        now = my_learning(
            db.session, user_id, language="en", now=NOW, sources=[CAMPAIGN_ASSIGNMENTS]
        )
        assert (assigned in {i.module_id for i in now.todo}) == (not _expected(*case)), case
        after_due = my_learning(
            db.session, user_id, language="en", now=late, sources=[CAMPAIGN_ASSIGNMENTS]
        )
        assert after_due.overdue == (0 if _expected(*case) else 1), case


def test_the_readiness_report_reads_the_rule(grid):
    setup, admin, people = grid
    rows = db.session.execute(assignment_rows(setup.campaign.id, admin, NOW)).mappings()
    done = {row["user_id"]: bool(row["done"]) for row in rows}
    assert done == {u: _expected(*c) for u, c in people.items()}
    ready = sum(_expected(*c) for c in people.values())
    report = report_for(admin, setup)
    assert report.units[setup.campaign.owner_unit_id].ready == ready


def test_the_person_page_reads_the_rule(grid):
    setup, _admin, people = grid
    for user_id, case in people.items():
        (module,) = person_modules(db.session, setup.campaign.id, user_id, NOW)
        assert module.counts == _expected(*case), case
        refresher, completed, when, _counts = case
        earlier = refresher and completed is not None and when == "before"
        assert (module.status == BEFORE_CAMPAIGN) == earlier, case
        if earlier:  # the manager sees when, and that it is to do again
            assert module.completed_at == ASSIGN_AT - timedelta(days=200)


def test_the_manager_sees_a_refresher_completed_before_the_campaign(app, client, grid):
    setup, admin, people = grid
    app.config["CLOCK_OFFSET"] = NOW - utcnow()
    by_case = {case: user_id for user_id, case in people.items()}
    login_as(client, admin)
    campaign = setup.campaign.id
    earlier = by_case[(True, "refresher", "before", True)]
    page = _text(client.get(f"/readiness/campaigns/{campaign}/people/{earlier}"))
    assert "Completed before this campaign: to do again" in page
    done = by_case[(True, "refresher", "after", True)]
    page = _text(client.get(f"/readiness/campaigns/{campaign}/people/{done}"))
    assert "Completed before this campaign" not in page and "Done" in page


def test_the_daily_snapshot_reads_the_rule(grid):
    setup, _admin, people = grid
    take_snapshots(db.session, NOW, tz=TZ)
    network = db.session.scalars(
        select(ReadinessSnapshot).where(
            ReadinessSnapshot.campaign_id == setup.campaign.id,
            ReadinessSnapshot.unit_id == setup.campaign.owner_unit_id,
        )
    ).one()
    assert (network.assigned, network.ready) == (len(people), 4)


def test_the_learner_sees_a_refresher_done_last_year_as_to_do_again(app, client, grid):
    _setup, _admin, people = grid
    app.config["CLOCK_OFFSET"] = NOW - utcnow()
    by_case = {case: user_id for user_id, case in people.items()}
    login_as(client, db.session.get(User, by_case[(True, "refresher", "before", True)]))
    page = _text(client.get("/learning"))
    assert "To do again for this campaign" in page
    assert "Start again" in page and "Look it up" not in page and "Completed (" not in page
    login_as(client, db.session.get(User, by_case[(True, "refresher", "after", True)]))
    page = _text(client.get("/learning"))
    assert "To do again for this campaign" not in page
    assert "Completed (1)" in page and "Start again" not in page


def _text(response) -> str:
    """The page's words, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())
