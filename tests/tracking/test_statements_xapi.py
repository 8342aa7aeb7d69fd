"""Every statement shape the platform emits is valid xAPI 1.0.3 (Ralph's pydantic models, run
in Ralph's own virtualenv)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import Role
from app.tracking import event_statements
from app.tracking import statements as xapi
from app.tracking.models import Statement
from tests.factories import make_org, make_user
from tests.lrs.ralph_venv import RalphModels
from tests.tracking.helpers import T0, make_module, read_pages, take_quiz

IRIS = xapi.Iris("https://counter.example.ch")
ACTOR = xapi.Actor("Anne.Muster@Example.org", "Anne Muster")
MODULE = xapi.ModuleRef(slug="eid-login", version=3, titles={"fr": "Connexion eID", "de": "eID"})
QUIZ = xapi.QuizRef(slug="eid-quiz", version=2, titles={"fr": "Quiz eID"}, module=MODULE)
WHEN = datetime(2027, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
REGISTRATION = "6f1b2a9e-1c0d-4e7b-9a39-0d3b3f1d2c11"


def valid(ralph: RalphModels, statement: dict) -> dict:
    """Validate with Ralph; also as the API returns it (with `stored`). Return Ralph's parse."""
    ralph.statement(xapi.with_stored(statement, WHEN + timedelta(seconds=1)))
    return ralph.statement(statement)


def sid(key: str) -> str:
    return IRIS.statement_id(key)


@pytest.mark.parametrize("registration", [None, REGISTRATION])
def test_launched_and_experienced(registration, ralph_models):
    launched = valid(
        ralph_models,
        event_statements.module_launched(
            IRIS,
            statement_id=sid("l"),
            actor=ACTOR,
            module=MODULE,
            language="fr",
            timestamp=WHEN,
            registration=registration,
        ),
    )
    assert launched["verb"]["id"] == "http://adlnet.gov/expapi/verbs/launched"
    page = event_statements.page_experienced(
        IRIS,
        statement_id=sid("e"),
        actor=ACTOR,
        module=MODULE,
        position=4,
        page_title="Se connecter",
        language="fr",
        timestamp=WHEN,
        registration=registration,
    )
    parsed = valid(ralph_models, page)
    assert (
        page["object"]["id"]
        == "https://counter.example.ch/xapi/modules/eid-login/versions/3/pages/4"
    )
    assert page["object"]["definition"]["type"] == "http://activitystrea.ms/schema/1.0/page"
    assert page["context"]["contextActivities"]["parent"][0]["id"] == IRIS.module("eid-login")
    assert page["actor"] == {
        "objectType": "Agent",
        "name": "Anne Muster",
        "mbox": "mailto:anne.muster@example.org",
    }
    if registration:
        assert parsed["context"]["registration"] == registration


def test_page_activity_matches_ralphs_page_concept(ralph_models):
    page = event_statements.page_experienced(
        IRIS,
        statement_id=sid("e"),
        actor=ACTOR,
        module=MODULE,
        position=0,
        page_title="Titre",
        language="fr",
        timestamp=WHEN,
    )
    concepts = "ralph.models.xapi.concepts.activity_types"
    ralph_models.check(f"{concepts}.activity_streams_vocabulary.PageActivity", page["object"])
    ralph_models.check(f"{concepts}.scorm_profile.ModuleActivity", MODULE.activity(IRIS))


def test_completed_with_and_without_score(ralph_models):
    with_score = event_statements.module_completed(
        IRIS, statement_id=sid("c1"), actor=ACTOR, module=MODULE, timestamp=WHEN, score_percent=87.5
    )
    parsed = valid(ralph_models, with_score)
    assert float(parsed["result"]["score"]["scaled"]) == 0.875
    assert parsed["result"]["completion"] is True and parsed["result"]["success"] is True
    assert with_score["context"]["revision"] == "3"
    ralph_models.check(
        "ralph.models.xapi.concepts.verbs.scorm_profile.CompletedVerb", with_score["verb"]
    )
    without = event_statements.module_completed(
        IRIS, statement_id=sid("c2"), actor=ACTOR, module=MODULE, timestamp=WHEN, score_percent=None
    )
    assert "score" not in valid(ralph_models, without)["result"]


@pytest.mark.parametrize(("score", "passed"), [(100.0, True), (0.0, False), (66.67, True)])
def test_attempted_and_result(score, passed, ralph_models):
    valid(
        ralph_models,
        event_statements.quiz_attempted(
            IRIS, statement_id=sid("a"), actor=ACTOR, quiz=QUIZ, attempt_number=2, timestamp=WHEN
        ),
    )
    body = event_statements.quiz_result(
        IRIS,
        statement_id=sid("r"),
        actor=ACTOR,
        quiz=QUIZ,
        attempt_number=2,
        score_percent=score,
        is_passed=passed,
        duration=timedelta(minutes=4, seconds=3.5),
        timestamp=WHEN,
    )
    parsed = valid(ralph_models, body)
    assert body["verb"]["id"].endswith("/passed" if passed else "/failed")
    assert parsed["result"]["success"] is passed
    assert parsed["result"]["duration"] == "PT4M3.5S"
    assert body["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"


@pytest.mark.parametrize(
    "kind", ["single", "multiple", "truefalse", "short", "numeric", "matching", "ordering"]
)
def test_answered_for_every_question_type(kind, ralph_models):
    body = event_statements.question_answered(
        IRIS,
        statement_id=sid(f"q-{kind}"),
        actor=ACTOR,
        quiz=QUIZ,
        question_id="q 1/é",
        question_type=kind,
        stem={"fr": "Que faire ?", "de": ""},
        points=0.5,
        max_points=2,
        fraction=0.25,
        timestamp=WHEN,
    )
    parsed = valid(ralph_models, body)
    ralph_models.check("ralph.models.xapi.concepts.verbs.adl_vocabulary.AnsweredVerb", body["verb"])
    assert parsed["result"]["success"] is False
    assert body["object"]["definition"]["interactionType"] == xapi.INTERACTION_TYPES[kind]
    assert body["object"]["definition"]["name"] == {"fr": "Que faire ?"}  # no empty values
    assert (
        body["object"]["id"]
        == "https://counter.example.ch/xapi/quizzes/eid-quiz/questions/q%201%2F%C3%A9"
    )


def test_a_standalone_quiz_has_no_parent_module(ralph_models):
    quiz = xapi.QuizRef(slug="general", version=1, titles={})
    body = event_statements.quiz_result(
        IRIS,
        statement_id=sid("s"),
        actor=xapi.Actor("x@example.org"),
        quiz=quiz,
        attempt_number=1,
        score_percent=50,
        is_passed=True,
        duration=None,
        timestamp=WHEN,
    )
    valid(ralph_models, body)
    assert "contextActivities" not in body["context"]
    assert "name" not in body["actor"]


def test_ids_are_deterministic_per_key_and_installation():
    assert IRIS.statement_id("k") == IRIS.statement_id("k")
    assert IRIS.statement_id("k") != IRIS.statement_id("k2")
    assert xapi.Iris("https://other.example").statement_id("k") != IRIS.statement_id("k")
    assert uuid.UUID(IRIS.statement_id("k")).version == 5


def test_iri_base_comes_from_config_or_server_name():
    assert xapi.iri_base_from("https://x.example/", None) == "https://x.example"
    assert xapi.iri_base_from(None, "counter.example.ch") == "https://counter.example.ch"
    assert xapi.iri_base_from(None, None) == "https://readiness.invalid"


def test_verbs_are_the_adl_vocabulary():
    for verb in (verb for verb in xapi.Verb if not verb.is_platform):
        assert verb.iri == f"http://adlnet.gov/expapi/verbs/{verb.value}"
        assert IRIS.verb(verb) == verb.iri
        assert xapi.Verb.from_iri(verb.iri) is verb
        assert xapi.Verb.from_iri(verb.value) is verb
    assert xapi.Verb.from_iri("http://example.org/verbs/passed") is None
    assert xapi.Verb.from_iri("nope") is None


def test_the_platforms_own_verbs_live_under_the_iri_base():
    assisted = xapi.Verb.ASSISTED
    assert assisted.is_platform
    assert IRIS.verb(assisted) == "https://counter.example.ch/xapi/verbs/assisted"
    assert xapi.Verb.from_iri(IRIS.verb(assisted), IRIS) is assisted
    assert xapi.Verb.from_iri("assisted") is assisted
    # Another installation's IRI, or the ADL namespace, is not this verb.
    assert xapi.Verb.from_iri("https://other.example/xapi/verbs/assisted", IRIS) is None
    assert xapi.Verb.from_iri("http://adlnet.gov/expapi/verbs/assisted", IRIS) is None
    with pytest.raises(ValueError):
        _ = assisted.iri


def test_durations_and_timestamps():
    assert xapi.iso_duration(timedelta(0)) == "PT0S"
    assert xapi.iso_duration(timedelta(hours=1, minutes=2, seconds=3.25)) == "PT1H2M3.25S"
    assert xapi.iso_duration(timedelta(minutes=2)) == "PT2M"
    assert xapi.timestamp_text(WHEN) == "2027-03-01T09:30:15.123Z"
    with pytest.raises(ValueError):
        xapi.timestamp_text(datetime(2027, 1, 1))


def test_a_registration_must_be_a_uuid():
    with pytest.raises(ValueError):
        event_statements.module_launched(
            IRIS,
            statement_id=sid("l"),
            actor=ACTOR,
            module=MODULE,
            language="fr",
            timestamp=WHEN,
            registration="campaign-7",
        )


def test_every_statement_the_platform_recorded_is_valid(app, ralph_models):
    """A whole journey (read, fail, pass, complete) through the real operations."""
    org = make_org()
    learner = make_user(org.branch_a1, Role.LEARNER)
    built = make_module(org.provider, languages={"fr": 2, "de": 2}, with_quiz=True)
    read_pages(learner, built.page_ids("fr"))
    take_quiz(learner, built.quiz, correct=False, now=T0 + timedelta(hours=1))
    take_quiz(learner, built.quiz, correct=True, now=T0 + timedelta(hours=2))
    rows = db.session.scalars(select(Statement).order_by(Statement.id)).all()
    # Every verb of a module journey; assists and attestations have tests of their own.
    assert {row.verb for row in rows} == {
        xapi.Verb.LAUNCHED,
        xapi.Verb.EXPERIENCED,
        xapi.Verb.ATTEMPTED,
        xapi.Verb.ANSWERED,
        xapi.Verb.FAILED,
        xapi.Verb.PASSED,
        xapi.Verb.COMPLETED,
    }
    for row in rows:
        parsed = valid(ralph_models, row.payload)
        assert parsed["id"] == row.uuid
        assert parsed["version"] == xapi.XAPI_VERSION
        assert row.object_iri == row.payload["object"]["id"]
