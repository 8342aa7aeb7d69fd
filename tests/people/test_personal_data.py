"""A person's data: export everything as JSON; erase by pseudonymising, with aggregates kept."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.assessment.item_analysis import analyse_quiz
from app.assessment.item_analysis_queries import attempts_from_rows, submitted_answers
from app.assessment.models import Attempt, AttemptAnswer
from app.extensions import db
from app.notifications.operations import enqueue_email
from app.people.field_rules import PeopleError
from app.people.hr_models import Invitation
from app.people.operations import deactivate_user, reactivate_user
from app.people.personal_data import erase_person, export_person_data
from app.platform.audit import AuditEvent, record_event
from app.readiness.queries.heatmap import quiz_score_bins
from app.readiness.queries.report import readiness_report
from app.readiness.queries.scope import campaign_for
from app.tracking.models import Statement
from app.tracking.statements import ObjectKind, Verb
from tests.conftest import csrf_token_from, login_as
from tests.readiness.helpers import NOW
from tests.readiness.scene import Scene, build_scene

TZ = ZoneInfo("Europe/Zurich")


@pytest.fixture
def scene(app) -> Scene:
    scene = build_scene()
    cat = scene.people["cat"]
    cat.hr_number = "H-4711"
    # Answers for the item statistics, and a statement carrying the actor as xAPI does.
    for attempt in db.session.scalars(select(Attempt)):
        db.session.add(
            AttemptAnswer(
                attempt_id=attempt.id,
                question_id="q1",
                response={"choice": "a" if attempt.score_percent > 50 else "b"},
                fraction=1.0 if attempt.score_percent > 50 else 0.0,
                saved_at=NOW - timedelta(days=5),
            )
        )
    db.session.add(
        Statement(
            uuid=str(uuid.uuid4()),
            user_id=cat.id,
            verb=Verb.COMPLETED,
            object_kind=ObjectKind.MODULE,
            object_iri="https://example.org/modules/tax-basics",
            module_id=None,
            timestamp=NOW - timedelta(days=8),
            stored_at=NOW - timedelta(days=8),
            payload={
                "actor": {
                    "objectType": "Agent",
                    "name": cat.display_name,
                    "mbox": f"mailto:{cat.email}",
                },
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            },
        )
    )
    record_event(db.session, "login.failed", ip_address="10.0.0.1", email=cat.email)
    record_event(
        db.session,
        "user.updated",
        object_type="user",
        object_id=cat.id,
        before={"hr_number": None},
        after={"hr_number": "H-4711"},
    )
    enqueue_email(
        db.session, to_address=cat.email, subject="Hi", body_text="Hello Cat", user_id=cat.id
    )
    db.session.commit()
    return scene


def figures(scene: Scene) -> dict:
    """Readiness, score distribution and item analysis, with the existing query functions."""
    viewer = scene.admin
    campaign = campaign_for(db.session, viewer, scene.campaign_id)
    report = readiness_report(db.session, viewer, campaign, root=None, now=NOW, tz=TZ)
    rows = submitted_answers(db.session, scene.quiz.id)
    return {
        "readiness": {
            unit_id: (u.assigned, u.ready, u.status) for unit_id, u in report.units.items()
        },
        "score_bins": quiz_score_bins(db.session, viewer, scene.campaign_id, NOW, root_path=None),
        "answers": [row[:3] + row[4:7] for row in rows],
        "analysis": repr(analyse_quiz([], attempts_from_rows(rows))),
    }


def test_export_holds_everything_about_the_person_and_no_secrets(scene):
    cat = scene.people["cat"]
    data = export_person_data(db.session, cat)
    assert data["profile"]["email"] == cat.email and data["profile"]["hr_number"] == "H-4711"
    assert "password_hash" not in data["profile"]
    assert data["unit"] == "a1" and data["roles"][0]["role"] == "learner"
    records = data["records"]
    assert len(records["assignments"]) == 2
    assert len(records["attempts"]) == 1 and records["attempt_answers"][0]["question_id"] == "q1"
    assert len(records["completions"]) == 1
    assert len(records["statements"]) == 2
    assert any(r["payload"].get("actor") for r in records["statements"])
    assert records["outbox_emails"][0]["subject"] == "Hi"
    assert "body_text" not in records["outbox_emails"][0]  # e-mails may hold live links
    assert {e["action"] for e in data["audit"]} >= {"user.updated"}
    json.dumps(data)  # JSON-ready as it is


def test_admin_downloads_the_export_and_it_is_audited(client, scene):
    cat = scene.people["cat"]
    login_as(client, scene.admin)
    page = client.get(f"/people/{cat.id}").get_data(as_text=True)
    answer = client.post(
        f"/people/{cat.id}/personal-data", data={"csrf_token": csrf_token_from(page)}
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert answer.headers["Cache-Control"] == "no-store"
    assert json.loads(answer.get_data(as_text=True))["profile"]["id"] == cat.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.data_exported"))
    assert event.actor_id == scene.admin.id and event.object_id == cat.id
    login_as(client, scene.a1_manager)
    token = csrf_token_from(client.get("/profile").get_data(as_text=True))
    refused = client.post(f"/people/{cat.id}/personal-data", data={"csrf_token": token})
    assert refused.status_code == 403


def test_erasing_a_leaver_keeps_readiness_and_item_statistics(scene):
    cat = scene.people["cat"]
    deactivate_user(db.session, cat, actor=scene.admin, ip=None)
    db.session.commit()
    before = figures(scene)
    erase_person(db.session, cat, confirm_email=cat.email, actor=scene.admin, ip="10.0.0.2")
    db.session.commit()
    db.session.expire_all()
    assert figures(scene) == before


def test_erasing_an_active_person_changes_figures_only_by_the_deactivation(scene):
    cat = scene.people["cat"]
    before = figures(scene)
    erase_person(db.session, cat, confirm_email=cat.email, actor=scene.admin, ip=None)
    db.session.commit()
    after = figures(scene)
    # Item statistics count every submitted attempt, active or not: identical.
    assert after["answers"] == before["answers"] and after["analysis"] == before["analysis"]
    # Readiness counts active people only, so the deactivation (not the pseudonym) shows;
    # back to active, the erased person counts exactly as before.
    assert after["readiness"] != before["readiness"]
    reactivate_user(db.session, cat, actor=scene.admin, ip=None)
    db.session.commit()
    db.session.expire_all()
    assert figures(scene) == before


def test_erasure_pseudonymises_everywhere_and_is_audited(scene):
    cat = scene.people["cat"]
    old_email, old_name, cat_id = cat.email, cat.display_name, cat.id
    db.session.add(Invitation(user_id=cat.id, sent_at=NOW, expires_at=NOW + timedelta(days=7)))
    db.session.commit()
    erase_person(db.session, cat, confirm_email=old_email.upper(), actor=scene.admin, ip=None)
    db.session.commit()
    db.session.expire_all()
    assert (cat.first_name, cat.last_name) == ("Erased", f"person {cat_id}")
    assert cat.email == f"erased-{cat_id}@erased.invalid"
    assert cat.hr_number is None and cat.password_hash is None and not cat.is_active
    payloads = [
        s.payload for s in db.session.scalars(select(Statement).where(Statement.user_id == cat_id))
    ]
    text = json.dumps(payloads) + json.dumps(
        [e.details for e in db.session.scalars(select(AuditEvent))]
    )
    assert old_email not in text and old_name not in text and "H-4711" not in text
    actor = next(p["actor"] for p in payloads if p.get("actor"))
    assert actor["mbox"] == f"mailto:erased-{cat_id}@erased.invalid"
    data = export_person_data(db.session, cat)
    assert data["records"]["outbox_emails"] == [] and data["records"]["invitations"] == []
    assert len(data["records"]["completions"]) == 1  # learning records stay
    erased = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.erased"))
    assert erased.actor_id == scene.admin.id and erased.object_id == cat_id
    with pytest.raises(PeopleError, match="already erased"):
        erase_person(db.session, cat, confirm_email=cat.email, actor=scene.admin, ip=None)


def test_erasure_needs_the_typed_email_and_never_applies_to_oneself(scene):
    cat = scene.people["cat"]
    with pytest.raises(PeopleError, match="confirmation"):
        erase_person(db.session, cat, confirm_email="someone@else.org", actor=scene.admin, ip=None)
    db.session.rollback()
    assert db.session.get(type(cat), cat.id).is_active
    admin = scene.admin
    with pytest.raises(PeopleError, match="themselves"):
        erase_person(db.session, admin, confirm_email=admin.email, actor=admin, ip=None)


def test_erase_in_the_browser_asks_for_the_email(client, scene):
    cat = scene.people["cat"]
    login_as(client, scene.admin)
    page = client.get(f"/people/{cat.id}/erase")
    assert page.status_code == 200 and "cannot be undone" in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    wrong = client.post(
        f"/people/{cat.id}/erase", data={"csrf_token": token, "confirm_email": "x@y.z"}
    )
    assert wrong.status_code == 400 and "not the person" in wrong.get_data(as_text=True)
    done = client.post(
        f"/people/{cat.id}/erase", data={"csrf_token": token, "confirm_email": cat.email}
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert cat.email.endswith("@erased.invalid")
    login_as(client, scene.a1_manager)
    assert client.get(f"/people/{scene.people['ann'].id}/erase").status_code == 403


def test_cli_erase_and_export_data(runner, scene, tmp_path):
    ann = scene.people["ann"]
    target = tmp_path / "ann.json"
    result = runner.invoke(args=["users", "export-data", ann.email, str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["profile"]["email"] == ann.email
    result = runner.invoke(args=["users", "erase", ann.email], input="wrong@example.org\n")
    assert result.exit_code == 1 and "confirmation" in result.output
    result = runner.invoke(args=["users", "erase", ann.email, "--confirm", ann.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert ann.email.endswith("@erased.invalid")


def test_requests_are_exported_and_their_free_text_is_blanked_on_erasure(scene):
    from app.learner_requests.asking import ask_question
    from app.learner_requests.models import ProblemReport, RequestEvent
    from app.learner_requests.operations import add_follow_up

    cat = scene.people["cat"]
    request = ask_question(
        db.session,
        user=cat,
        module=None,
        subject="Cat's tablet",
        text="My colleague Dora Beispiel cannot sign in either.",
        now=NOW,
    )
    add_follow_up(db.session, request, user=cat, text="Still broken, Cat", now=NOW)
    db.session.commit()

    data = json.loads(json.dumps(export_person_data(db.session, cat)))
    assert [r["subject"] for r in data["records"]["problem_reports"]] == ["Cat's tablet"]
    written = data["records"]["request_events (written by this person)"]
    assert "Still broken, Cat" in [event["text"] for event in written]

    erase_person(db.session, cat, confirm_email=cat.email, actor=scene.admin, ip=None, now=NOW)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(ProblemReport, request.id)
    assert (stored.subject, stored.comment) == ("–", "–")
    texts = db.session.scalars(
        select(RequestEvent.text).where(RequestEvent.actor_id == cat.id)
    ).all()
    assert texts and all(text in (None, "–") for text in texts)
    # The request and its timeline stay, so the trainers' counts do not change.
    assert db.session.scalar(select(RequestEvent.id).where(RequestEvent.request_id == request.id))
