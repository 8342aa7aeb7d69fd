"""Logging and undoing assists: one statement each, valid xAPI, nothing saved on bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.assists import operations, queries
from app.assists.models import AssistOutcome, CounterAssist
from app.campaigns.models import CampaignState
from app.extensions import db
from app.people.models import Role
from app.tracking.models import Statement
from app.tracking.statements import Verb
from tests.assists.helpers import NOW, ZONE, log, make_tagged_module, submit_key
from tests.factories import make_org, make_user
from tests.readiness.helpers import assign, complete, make_campaign

BASE = "https://readiness.invalid"


@pytest.fixture
def world(app):
    org = make_org()
    tax = make_tagged_module(
        org.provider,
        {"fr": ["impots", "declaration"], "de": ["steuern", "steuererklaerung"]},
        slug="tax",
    )
    eid = make_tagged_module(org.provider, {"fr": ["e-id", "connexion"]}, slug="eid")
    mailbox = make_tagged_module(org.provider, {"fr": ["boite-aux-lettres"]}, slug="mailbox")
    campaign = make_campaign(org.network, [tax])
    helper = make_user(org.branch_a1, Role.LEARNER, language="fr")
    assign(campaign, helper)
    complete(helper, eid)
    return {
        "org": org,
        "tax": tax,
        "eid": eid,
        "mailbox": mailbox,
        "campaign": campaign,
        "helper": helper,
    }


def count(model) -> int:
    """Rows of a table; for statements, only those of assists (the world has a completion)."""
    query = select(func.count()).select_from(model)
    if model is Statement:
        query = query.where(Statement.verb.in_([Verb.ASSISTED, Verb.VOIDED]))
    return db.session.scalar(query) or 0


def test_topics_are_the_tags_of_campaign_and_completed_modules_campaign_first(world):
    topics = queries.learner_topics(db.session, world["helper"].id, "fr", NOW)
    assert [t.name for t in topics] == ["declaration", "impots", "connexion", "e-id"]
    assert [t.is_campaign for t in topics] == [True, True, False, False]
    assert topics[0].registration is not None and topics[2].registration is None
    assert [m.slug for m in topics[0].modules] == ["tax"]


def test_topics_speak_the_helpers_language_with_the_source_as_fallback(world):
    helper = make_user(world["org"].branch_b1, Role.LEARNER, language="de")
    assign(world["campaign"], helper)
    complete(helper, world["eid"])
    names = [t.name for t in queries.learner_topics(db.session, helper.id, "de", NOW)]
    assert names == ["steuererklaerung", "steuern", "connexion", "e-id"]


def test_no_topics_from_a_closed_campaign_or_a_removed_assignment(world):
    closed = make_campaign(
        world["org"].network, [world["mailbox"]], state=CampaignState.CLOSED, name="Old"
    )
    helper = make_user(world["org"].branch_a2, Role.LEARNER)
    assign(closed, helper)
    assign(world["campaign"], helper, removed=True)
    assert queries.learner_topics(db.session, helper.id, "fr", NOW) == []


def test_logging_an_assist_records_one_statement_and_one_row(world, ralph_models):
    assist = log(world["helper"], "impots", "referred")
    statement = db.session.get(Statement, assist.statement_id)
    assert statement.verb == Verb.ASSISTED
    body = statement.payload
    assert body["verb"]["id"] == f"{BASE}/xapi/verbs/assisted"
    assert body["object"]["id"] == f"{BASE}/xapi/topics/impots"
    assert body["object"]["definition"]["type"] == f"{BASE}/xapi/activity-types/counter-topic"
    assert body["result"]["extensions"] == {f"{BASE}/xapi/extensions/assist-outcome": "referred"}
    assert body["context"]["extensions"] == {f"{BASE}/xapi/extensions/unit": "a1"}
    assert body["context"]["contextActivities"]["grouping"][0]["id"] == f"{BASE}/xapi/modules/tax"
    assert body["context"]["registration"] == statement.registration
    ralph_models.statement(body)
    assert (assist.unit_id, assist.topic, assist.outcome) == (
        world["org"].branch_a1.id,
        "impots",
        AssistOutcome.REFERRED,
    )
    assert assist.week == "2027-W07"
    assert (count(Statement), count(CounterAssist)) == (1, 1)


def test_nothing_about_the_citizen_reaches_the_statement(world):
    assist = log(world["helper"], "impots")
    body = db.session.get(Statement, assist.statement_id).payload
    # Only the helper is a person in it: actor, the topic, the outcome, the unit and time.
    assert set(body) == {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "version",
    }
    assert body["actor"]["mbox"] == f"mailto:{world['helper'].email}"


def test_the_same_form_sent_twice_is_one_assist(world):
    key = submit_key()
    first = log(world["helper"], "impots", key=key)
    again = log(world["helper"], "impots", key=key, now=NOW + timedelta(seconds=1))
    assert again.id == first.id
    assert (count(Statement), count(CounterAssist)) == (1, 1)


@pytest.mark.parametrize(
    ("topic", "outcome", "key", "message"),
    [
        ("taxes-foncieres", "solved", None, "is not one of your topics"),
        ("boite-aux-lettres", "solved", None, "is not one of your topics"),  # not trained on it
        ("", "solved", None, "Choose the topic"),
        ("impots", "happy", None, "Choose how it ended"),
        ("impots", "solved", "not-a-key", "The form has expired"),
    ],
)
def test_bad_input_is_refused_and_saves_nothing(world, topic, outcome, key, message):
    with pytest.raises(operations.AssistError) as refused:
        operations.log_assist(
            db.session,
            world["helper"],
            topic=topic,
            outcome=outcome,
            submit_key=key or submit_key(),
            language="fr",
            now=NOW,
            tz=ZONE,
        )
    db.session.rollback()
    assert message in str(refused.value)
    assert (count(Statement), count(CounterAssist)) == (0, 0)


def test_undo_within_a_minute_voids_the_statement(world, ralph_models):
    assist = log(world["helper"], "impots")
    operations.undo_assist(db.session, world["helper"], assist, now=NOW + timedelta(seconds=59))
    db.session.commit()
    assert assist.voided_at == NOW + timedelta(seconds=59)
    voiding = db.session.scalar(select(Statement).where(Statement.verb == Verb.VOIDED))
    target = db.session.get(Statement, assist.statement_id)
    assert voiding.payload["object"] == {"objectType": "StatementRef", "id": target.uuid}
    assert voiding.payload["verb"]["id"] == "http://adlnet.gov/expapi/verbs/voided"
    ralph_models.statement(voiding.payload)
    with pytest.raises(operations.AssistError, match="already been undone"):
        operations.undo_assist(db.session, world["helper"], assist, now=NOW + timedelta(seconds=60))


def test_undo_after_a_minute_or_by_someone_else_is_refused(world):
    assist = log(world["helper"], "impots")
    with pytest.raises(operations.AssistError, match="within a minute"):
        operations.undo_assist(db.session, world["helper"], assist, now=NOW + timedelta(seconds=61))
    other = make_user(world["org"].branch_a1, Role.LEARNER)
    with pytest.raises(operations.AssistError, match="not yours"):
        operations.undo_assist(db.session, other, assist, now=NOW)
    db.session.rollback()
    assert count(Statement) == 1 and assist.voided_at is None


def test_weeks_are_iso_weeks_in_the_platform_time_zone():
    # Sunday 3 January 2027, 23:30 in Zurich is still ISO week 53 of 2026.
    late_sunday = datetime(2027, 1, 3, 22, 30, tzinfo=UTC)
    assert queries.iso_week(late_sunday, ZONE) == "2026-W53"
    assert queries.iso_week(late_sunday + timedelta(hours=1), ZONE) == "2027-W01"
    assert queries.last_weeks(late_sunday + timedelta(hours=1), ZONE, 3) == [
        "2026-W52",
        "2026-W53",
        "2027-W01",
    ]
