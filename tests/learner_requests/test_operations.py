"""Requests as a domain: asking, routing, limits, answering with its events, notice and e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.campaigns.models import Channel, Notice
from app.campaigns.notice_operations import set_channel
from app.extensions import db
from app.learner_requests import asking, notices
from app.learner_requests import operations as ops
from app.learner_requests.models import (
    EventKind,
    ProblemReport,
    ReportStatus,
    RequestEvent,
    RequestKind,
)
from app.learner_requests.queries import inbox, my_requests, timeline
from app.notifications.models import OutboxEmail
from app.page_feedback.operations import FeedbackRefused, report_problem, set_report_status
from app.page_feedback.queries import feedback_page
from app.platform.audit import AuditEvent

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _question(world, *, module=True, now=T0, subject="Proxy form", text="Where is it?"):
    request = asking.ask_question(
        db.session,
        user=world.learner,
        module=world.module.module if module else None,
        subject=subject,
        text=text,
        now=now,
    )
    db.session.commit()
    return request


def _kinds(request) -> list[str]:
    return [e.kind.value for e in timeline(db.session, request)]


def test_a_question_about_a_module_goes_to_its_provider_and_starts_received(world):
    request = _question(world)
    assert request.kind == RequestKind.QUESTION and request.status == ReportStatus.RECEIVED
    assert request.provider_id == world.org.provider.id
    assert request.module_id == world.module.module.id and request.page_id is None
    events = timeline(db.session, request)
    assert [(e.kind, e.new_status, e.created_at) for e in events] == [
        (EventKind.RECEIVED, ReportStatus.RECEIVED, T0)
    ]
    assert [r.id for r in inbox(db.session, world.trainer, "en")] == [request.id]
    assert inbox(db.session, world.outsider, "en") == []


def test_a_request_without_module_or_provider_reaches_every_trainer_and_only_trainers(world):
    module_request = asking.request_module(
        db.session,
        user=world.manager,
        provider=None,
        topic="Proxy access for relatives",
        why="Citizens ask every day.",
        audience="All counter staff",
        now=T0,
    )
    general = _question(world, module=False)
    db.session.commit()
    for trainer in (world.trainer, world.outsider, world.admin):
        assert {r.id for r in inbox(db.session, trainer, "en")} == {module_request.id, general.id}
    for person in (world.learner, world.manager):
        assert inbox(db.session, person, "en") == []
    rows = my_requests(db.session, world.manager.id, "en")
    assert [(r.kind, r.subject, r.audience) for r in rows] == [
        (RequestKind.NEW_MODULE, "Proxy access for relatives", "All counter staff")
    ]


def test_a_module_request_for_one_provider_reaches_only_its_trainers(world):
    request = asking.request_module(
        db.session,
        user=world.learner,
        provider=world.org.other_provider,
        topic="eID log-in",
        why="New service in May.",
        audience="Branches of region B",
        now=T0,
    )
    db.session.commit()
    assert [r.id for r in inbox(db.session, world.outsider, "en")] == [request.id]
    assert inbox(db.session, world.trainer, "en") == []


@pytest.mark.parametrize(
    ("subject", "text", "field", "message"),
    [
        ("   ", "text", "subject", "Give your question a short subject."),
        ("x" * 201, "text", "subject", "The subject can have at most %(max)d characters."),
        ("Subject", "", "text", "Write your question."),
        ("Subject", "x" * 2001, "text", "The question can have at most %(max)d characters."),
    ],
)
def test_bad_questions_are_refused_naming_the_field(world, subject, text, field, message):
    with pytest.raises(ops.RequestRefused) as refused:
        asking.ask_question(
            db.session, user=world.learner, module=None, subject=subject, text=text, now=T0
        )
    assert (refused.value.field, refused.value.message) == (field, message)
    db.session.rollback()
    assert db.session.scalar(select(ProblemReport.id)) is None


def test_one_daily_limit_for_every_kind_of_request(world):
    for n in range(ops.MAX_REQUESTS_PER_DAY):
        _question(world, now=T0 + timedelta(minutes=n), subject=f"Question {n}")
    page = feedback_page(db.session, world.module.page_ids()[0])
    with pytest.raises(FeedbackRefused):
        report_problem(db.session, user=world.learner, page=page, comment="typo", now=T0)
    db.session.rollback()
    # A day after the first of them the learner may send one again.
    next_day = T0 + timedelta(days=1, seconds=1)
    report = report_problem(db.session, user=world.learner, page=page, comment="typo", now=next_day)
    assert _kinds(report) == ["received"] and report.provider_id == world.org.provider.id


def test_an_answer_and_a_new_status_are_two_events_one_notice_and_one_email(world):
    request = _question(world)
    later = T0 + timedelta(hours=3)
    events = ops.respond(
        db.session,
        request,
        actor=world.trainer,
        answer="It is on page 2.\n<b>Not bold</b>",
        status=ReportStatus.HANDLED,
        now=later,
        ip="10.0.0.1",
    )
    db.session.commit()
    assert [e.kind for e in events] == [EventKind.ANSWER, EventKind.STATUS]
    assert _kinds(request) == ["received", "answer", "status"]
    assert request.status == ReportStatus.HANDLED and request.status_changed_at == later
    notice = db.session.scalars(select(Notice)).one()
    assert notice.user_id == world.learner.id and notice.kind == "request"
    assert notice.params["answered"] is True and notice.params["subject"] == "Proxy form"
    assert notice.url == f"https://ready.example.org/requests/{request.id}"
    mail = db.session.scalars(select(OutboxEmail)).one()
    assert mail.to_address == "lea@example.org" and mail.user_id == world.learner.id
    # In the learner's language (German), with the answer escaped in the HTML part.
    assert 'lang="de-CH"' in mail.body_html
    assert "Ausbildung und Bereitschaft für Schalterpersonal" in mail.body_text
    assert "&lt;b&gt;Not bold&lt;/b&gt;" in mail.body_html and "<b>" not in mail.body_html
    assert "It is on page 2." in mail.body_text
    assert f"https://ready.example.org/requests/{request.id}" in mail.body_text
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "problem_report").order_by(AuditEvent.id)
    ).all()
    assert [(a.action, a.actor_id, a.object_id) for a in audit] == [
        ("readiness.report_status", world.trainer.id, request.id),
        ("requests.answered", world.trainer.id, request.id),
    ]


def test_a_status_change_alone_tells_the_person_in_their_language(world):
    request = _question(world)
    ops.respond(
        db.session,
        request,
        actor=world.trainer,
        answer="  ",
        status=ReportStatus.IN_PROGRESS,
        now=T0,
    )
    db.session.commit()
    mail = db.session.scalars(select(OutboxEmail)).one()
    assert "In Bearbeitung" in mail.subject
    event = db.session.scalars(select(RequestEvent).where(RequestEvent.kind == "status")).one()
    assert (event.old_status, event.new_status) == (
        ReportStatus.RECEIVED,
        ReportStatus.IN_PROGRESS,
    )


def test_nothing_to_save_is_refused_and_too_long_answers_too(world):
    request = _question(world)
    with pytest.raises(ops.RequestRefused) as refused:
        ops.respond(db.session, request, actor=world.trainer, answer="", status=None, now=T0)
    assert refused.value.message == "Write an answer or choose a new status."
    with pytest.raises(ops.RequestRefused) as refused:
        ops.respond(
            db.session,
            request,
            actor=world.trainer,
            answer="x" * (ops.MAX_ANSWER + 1),
            status=ReportStatus.HANDLED,
            now=T0,
        )
    assert refused.value.field == "answer"
    db.session.rollback()
    assert _kinds(request) == ["received"]
    assert db.session.scalar(select(Notice.id)) is None


def test_someone_who_chose_in_app_only_gets_the_notice_but_no_email(world):
    set_channel(db.session, world.learner.id, Channel.IN_APP, now=T0)
    request = _question(world)
    ops.respond(db.session, request, actor=world.trainer, answer="Yes.", status=None, now=T0)
    db.session.commit()
    assert db.session.scalars(select(Notice)).one().user_id == world.learner.id
    assert db.session.scalar(select(OutboxEmail.id)) is None


def test_the_same_step_never_notifies_twice(world):
    request = _question(world)
    events = ops.respond(
        db.session, request, actor=world.trainer, answer="Yes.", status=None, now=T0
    )
    sent = notices.notify_requester(db.session, request, events[-1], now=T0, answer="Yes.")
    assert sent == (0, 0)
    db.session.commit()
    assert len(db.session.scalars(select(Notice)).all()) == 1
    assert len(db.session.scalars(select(OutboxEmail)).all()) == 1


def test_a_follow_up_on_a_handled_request_opens_it_again_without_notifying_its_author(world):
    request = _question(world)
    ops.respond(
        db.session,
        request,
        actor=world.trainer,
        answer="Done.",
        status=ReportStatus.HANDLED,
        now=T0,
    )
    db.session.commit()
    notices = len(db.session.scalars(select(Notice)).all())
    ops.add_follow_up(
        db.session,
        request,
        user=world.learner,
        text="It is still missing.",
        now=T0 + timedelta(days=1),
    )
    db.session.commit()
    assert request.status == ReportStatus.RECEIVED
    assert _kinds(request) == ["received", "answer", "status", "follow_up", "status"]
    assert len(db.session.scalars(select(Notice)).all()) == notices
    with pytest.raises(ops.RequestRefused):
        ops.add_follow_up(db.session, request, user=world.learner, text=" ", now=T0)


def test_a_problem_report_moved_on_the_feedback_page_tells_the_learner_too(world):
    page = feedback_page(db.session, world.module.page_ids()[1])
    report = report_problem(db.session, user=world.learner, page=page, comment="typo", now=T0)
    db.session.commit()
    assert report.subject == page.title and report.kind == RequestKind.PROBLEM
    assert set_report_status(
        db.session, report, ReportStatus.IN_PROGRESS, actor=world.trainer, now=T0
    )
    assert not set_report_status(
        db.session, report, ReportStatus.IN_PROGRESS, actor=world.trainer, now=T0
    )
    db.session.commit()
    assert _kinds(report) == ["received", "status"]
    assert db.session.scalars(select(Notice)).one().params["status"] == "in_progress"


def test_follow_ups_have_a_daily_limit_too(world):
    request = _question(world)
    for n in range(ops.MAX_FOLLOW_UPS_PER_DAY):
        ops.add_follow_up(
            db.session, request, user=world.learner, text=f"more {n}", now=T0 + timedelta(minutes=n)
        )
    with pytest.raises(ops.RequestRefused) as refused:
        ops.add_follow_up(
            db.session, request, user=world.learner, text="again", now=T0 + timedelta(hours=1)
        )
    assert "too many follow-ups" in refused.value.message


def test_a_subject_stays_on_one_line_in_notices_and_mail_headers(world):
    request = _question(world, subject="Proxy\r\nBcc: evil@example.org")
    assert request.subject == "Proxy Bcc: evil@example.org"
    ops.respond(db.session, request, actor=world.trainer, answer="Yes.", status=None, now=T0)
    db.session.commit()
    mail = db.session.scalars(select(OutboxEmail)).one()
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_a_follow_up_sent_twice_from_the_same_view_is_added_once(world):
    request = _question(world)
    seen = ops.latest_event_id(db.session, request.id)
    ops.add_follow_up(db.session, request, user=world.learner, text="More", now=T0, seen=seen)
    db.session.commit()
    with pytest.raises(ops.RequestRefused) as refused:
        ops.add_follow_up(db.session, request, user=world.learner, text="More", now=T0, seen=seen)
    assert "changed while you were writing" in refused.value.message
    db.session.rollback()
    assert _kinds(request) == ["received", "follow_up"]


def test_the_same_question_sent_twice_is_stored_once(world):
    first = _question(world)
    again = _question(world, now=T0 + timedelta(minutes=2))
    other = _question(world, now=T0 + timedelta(minutes=3), text="Another thing")
    later = _question(world, now=T0 + timedelta(hours=1))
    assert again.id == first.id and len({first.id, other.id, later.id}) == 3
    assert _kinds(first) == ["received"]
