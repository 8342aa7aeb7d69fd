"""The tick's shortcuts for writing 50,000 messages say exactly what the slow way says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.campaigns.links import LinkBuilder, unsubscribe_token, user_from_unsubscribe_token
from app.campaigns.models import Notice
from app.campaigns.notices import Message, Recipient, send_messages
from app.campaigns.phrases import digest_lines
from app.campaigns.scheduler.digests import DigestLines
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.notifications.mailer import new_message_ids
from app.notifications.models import OutboxEmail
from app.notifications.operations import enqueue_emails
from tests.factories import make_user

NOW = datetime(2027, 2, 8, 6, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("language", LANGUAGES)
def test_digest_lines_are_the_phrases_own(app, language):
    params = {
        "people": [
            ["Zoë 100% d'Aubigné %(name)s", "Delémont {unit}", 1],
            ["Anna Muster", "Porrentruy", 3],
            ["Anna Muster", "Porrentruy", 1],
        ],
        "more": 7,
    }
    with app.test_request_context():
        for case in (params, {"people": [], "more": 1}, {"people": [], "more": 0}):
            with force_locale(f"{language}_CH"):
                expected = digest_lines(case)
            assert DigestLines()(language, case) == expected


def test_unsubscribe_links_carry_the_signed_token(app):
    with app.test_request_context():
        links = LinkBuilder()
        for user_id in (1, 42, 123456789):
            url = links.unsubscribe_url(user_id)
            token = url.rsplit("/", 1)[-1]
            assert token == unsubscribe_token(user_id)
            assert user_from_unsubscribe_token(token) == user_id


def test_message_ids_are_distinct_and_well_formed():
    ids = new_message_ids("ready.example.org", 1000)
    assert len(set(ids)) == 1000
    assert all(len(i) == len("<>@ready.example.org") + 32 for i in ids)
    assert all(i.startswith("<") and i.endswith("@ready.example.org>") for i in ids)


def test_bulk_rows_keep_their_moment_and_params(app):
    with app.test_request_context():
        user = make_user()
        db.session.commit()
        recipient = Recipient(user.id, user.email, "Zoë", "Muster", "fr", wants_email=True)
        params = {"campaign": "Impôts 2027", "modules": ["Module é"], "due": "2027-03-01"}
        message = Message(user.id, "assigned", params, "https://x/m", "k:1", ["Module é"])
        sent = send_messages(db.session, [message], {user.id: recipient}, NOW, LinkBuilder())
        assert sent == (1, 1)
        db.session.commit()
        notice = db.session.scalar(select(Notice).where(Notice.dedupe_key == "k:1"))
        assert notice.params == params and notice.created_at == NOW
        email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.dedupe_key == "k:1"))
        assert (email.created_at, email.next_attempt_at, email.attempts) == (NOW, NOW, 0)
        again = {"to_address": "a@b.ch", "subject": "s", "body_text": "t", "dedupe_key": "k:1"}
        enqueue_emails(db.session, [again], now=NOW)
        db.session.commit()
        assert (
            db.session.scalar(select(OutboxEmail.id).where(OutboxEmail.to_address == "a@b.ch"))
            is None
        )
