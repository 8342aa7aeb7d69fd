"""Mail is never lost and rarely doubled: stable Message-IDs, batches, crashes, reconnects."""

from __future__ import annotations

import socket
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.extensions import db
from app.notifications import claims
from app.notifications.claims import CLAIM_LEASE
from app.notifications.mailer import SmtpConnection, build_message
from app.notifications.models import OutboxEmail
from app.notifications.operations import (
    deliver_due,
    deliver_outbox,
    enqueue_email,
    enqueue_emails,
    smtp_settings_from_config,
)

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


class Crash(BaseException):
    """Stands for the process dying (kill -9): nothing in the delivery code catches it."""


def _queue(count: int, now: datetime = NOW) -> list[OutboxEmail]:
    enqueue_emails(
        db.session,
        [
            {
                "to_address": f"person{n}@example.org",
                "subject": f"Reminder {n}",
                "body_text": f"Hello {n}",
                "dedupe_key": f"test:{n}",
            }
            for n in range(count)
        ],
        now=now,
    )
    db.session.commit()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def _received_ids(smtp_server) -> list[str]:
    return [m["Message-ID"] for m in smtp_server.messages]


def test_message_id_is_chosen_when_queued_and_kept_on_every_try(app, smtp_server):
    email = enqueue_email(
        db.session, to_address="a@example.org", subject="Hi", body_text="Hello", now=NOW
    )
    db.session.commit()
    assert email.message_id and email.message_id.endswith("@ready.example.org>")
    settings = smtp_settings_from_config()

    smtp_server.refuse = True  # 451: try again later
    assert deliver_due(db.session, settings, now=NOW) == (0, 1)
    db.session.refresh(email)
    assert email.sent_at is None and email.attempts == 1 and email.claimed_at is None
    smtp_server.refuse = False
    assert deliver_due(db.session, settings, now=email.next_attempt_at) == (1, 0)

    assert smtp_server.refused_ids == [email.message_id]
    assert _received_ids(smtp_server) == [email.message_id]
    assert deliver_due(db.session, settings, now=email.next_attempt_at) == (0, 0)


def test_bulk_queued_messages_get_distinct_message_ids(app):
    rows = _queue(20)
    assert len({row.message_id for row in rows}) == 20


def test_a_message_queued_without_an_id_gets_one_that_it_keeps(app, smtp_server):
    email = enqueue_email(
        db.session, to_address="old@example.org", subject="Hi", body_text="x", now=NOW
    )
    email.message_id = None  # as queued before this revision
    db.session.commit()
    assert deliver_due(db.session, smtp_settings_from_config(), now=NOW) == (1, 0)
    db.session.refresh(email)
    assert email.message_id and _received_ids(smtp_server) == [email.message_id]


def test_each_batch_goes_over_one_smtp_connection(app, smtp_server):
    rows = _queue(25)
    report = deliver_outbox(db.session, smtp_settings_from_config(), now=NOW, batch_size=10)
    assert (report.sent, report.failed, report.batches) == (25, 0, 3)
    assert report.stopped == "empty"
    assert report.connections == 3
    assert smtp_server.connections == 3  # counted by the server: one per batch
    assert sorted(_received_ids(smtp_server)) == sorted(row.message_id for row in rows)
    unsent = db.session.scalar(
        select(func.count()).select_from(OutboxEmail).where(OutboxEmail.sent_at.is_(None))
    )
    assert unsent == 0


def test_a_limit_stops_the_run_and_the_next_run_goes_on(app, smtp_server):
    _queue(12)
    settings = smtp_settings_from_config()
    first = deliver_outbox(db.session, settings, now=NOW, batch_size=5, max_messages=7)
    assert (first.sent, first.stopped) == (7, "max")
    second = deliver_outbox(db.session, settings, now=NOW, batch_size=5)
    assert (second.sent, second.stopped) == (5, "empty")
    assert len(set(_received_ids(smtp_server))) == 12


def test_a_crash_mid_batch_repeats_only_the_message_in_flight(app, smtp_server, monkeypatch):
    rows = _queue(10)
    settings = smtp_settings_from_config()
    real_mark_sent = claims.mark_sent
    marked: list[int] = []

    def crash_on_the_fourth(marks, email_id, attempts, now):
        if len(marked) == 3:
            raise Crash  # the fourth message went out; the process dies before noting it
        marked.append(email_id)
        real_mark_sent(marks, email_id, attempts, now)

    monkeypatch.setattr(claims, "mark_sent", crash_on_the_fourth)
    with pytest.raises(Crash):
        deliver_outbox(db.session, settings, now=NOW, batch_size=10)
    db.session.rollback()
    monkeypatch.setattr(claims, "mark_sent", real_mark_sent)
    assert len(smtp_server.messages) == 4

    # Within the lease the crashed run still holds its batch: nothing is sent twice yet.
    assert deliver_outbox(db.session, settings, now=NOW + timedelta(minutes=1)).sent == 0
    later = deliver_outbox(db.session, settings, now=NOW + CLAIM_LEASE)
    assert later.sent == 7

    counts = Counter(_received_ids(smtp_server))
    assert set(counts) == {row.message_id for row in rows}
    repeated = [message_id for message_id, n in counts.items() if n > 1]
    assert repeated == [rows[3].message_id]  # only the one in flight, with the same ID
    assert counts[rows[3].message_id] == 2


def test_a_crash_before_sending_repeats_nothing(app, smtp_server, monkeypatch):
    rows = _queue(6)
    settings = smtp_settings_from_config()
    sent: list = []
    real_send = SmtpConnection.send

    def crash_after_two(self, message, *envelope):
        if len(sent) == 2:
            raise Crash
        real_send(self, message, *envelope)
        sent.append(message)

    monkeypatch.setattr(SmtpConnection, "send", crash_after_two)
    with pytest.raises(Crash):
        deliver_outbox(db.session, settings, now=NOW, batch_size=6)
    db.session.rollback()
    monkeypatch.setattr(SmtpConnection, "send", real_send)
    deliver_outbox(db.session, settings, now=NOW + CLAIM_LEASE)
    assert Counter(_received_ids(smtp_server)) == Counter(row.message_id for row in rows)


def test_a_dropped_connection_is_reopened_and_nothing_is_lost(app, smtp_server):
    settings = smtp_settings_from_config()
    first = build_message(settings, "a@example.org", "One", "1", None, message_id="<1@x>")
    second = build_message(settings, "b@example.org", "Two", "2", None, message_id="<2@x>")
    with SmtpConnection(settings) as connection:
        connection.send(first)
        # The relay or the network drops the session.
        connection.client.sock.shutdown(socket.SHUT_RDWR)
        connection.send(second)
        assert connection.connections == 2
    assert _received_ids(smtp_server) == ["<1@x>", "<2@x>"]


def test_an_unreachable_server_keeps_every_message_for_later(app, smtp_server):
    rows = _queue(3)
    settings = smtp_settings_from_config()
    from dataclasses import replace

    from tests.conftest import free_port

    nowhere = replace(settings, port=free_port(), timeout=2)
    report = deliver_outbox(db.session, nowhere, now=NOW)
    assert (report.sent, report.failed, report.stopped) == (0, 1, "refused")
    db.session.expire_all()
    waiting = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
    assert all(e.sent_at is None and e.failed_at is None for e in waiting)
    assert all(e.claimed_at is None for e in waiting)  # handed back, no lease to wait for
    later = deliver_outbox(db.session, settings, now=NOW + timedelta(hours=1))
    assert later.sent == 3
    assert sorted(_received_ids(smtp_server)) == sorted(r.message_id for r in rows)


def test_the_cli_delivers_everything_in_one_run(app, runner, smtp_server):
    _queue(30, now=utcnow())  # the command runs at the real time
    result = runner.invoke(args=["mail", "deliver", "--batch", "8", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "sent 30, failed 0 in 4 batches over 4 SMTP connections" in result.output
    assert smtp_server.connections == 4


def test_side_by_side_workers_send_each_message_once(app, runner, smtp_server):
    rows = _queue(60, now=utcnow())
    result = runner.invoke(args=["mail", "deliver", "--batch", "7", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "sent 60, failed 0" in result.output
    assert Counter(_received_ids(smtp_server)) == Counter(row.message_id for row in rows)
    batches = int(result.output.split(" in ")[1].split(" batches")[0])
    assert smtp_server.connections == batches  # still one connection per batch


def test_a_run_of_many_messages_uses_one_connection_per_batch_with_true_envelopes(app, smtp_server):
    tricky = "=" * 20 + " not a boundary ==\n--" + "=" * 15 + "0123==\nÉté à 100 %"
    enqueue_emails(
        db.session,
        [
            {
                "to_address": f"Person {n} <person{n}@example.org>",
                "subject": f"Rappel {n}",
                "body_text": f"{tricky} {n}",
                "body_html": f"<p>{tricky} {n}</p>",
                "dedupe_key": f"test:{n}",
            }
            for n in range(23)
        ],
        now=NOW,
    )
    db.session.commit()
    report = deliver_outbox(db.session, smtp_settings_from_config(), now=NOW, batch_size=5)
    assert (report.sent, report.batches, report.connections) == (23, 5, 5)
    assert smtp_server.connections == 5  # one per batch, counted by the server
    assert sorted(smtp_server.envelopes) == sorted(
        ("no-reply@ready.example.org", [f"person{n}@example.org"]) for n in range(23)
    )
    for message in smtp_server.messages:
        n = message["Subject"].split()[-1]
        # SMTP carries CRLF line ends; the parts are split at the boundary and nowhere else.
        plain, html = (part.get_content().replace("\r\n", "\n") for part in message.iter_parts())
        assert plain == f"{tricky} {n}" and html == f"<p>{tricky} {n}</p>"
