"""Confirming an attestation: the statement, the completion it makes, and what is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.attestations.operations import ConfirmResult, record_confirmation
from app.attestations.queries import learner_state, signed_record
from app.extensions import db
from app.people.models import Role
from app.tracking.completion import CompletionStatus, is_module_complete
from app.tracking.models import Certificate, Completion, Statement
from app.tracking.rebuild import rebuild_derived
from app.tracking.statements import Verb
from tests.attestations.helpers import make_attestation, read_and_confirm
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0, add_version, make_module, read_pages


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def learner(org):
    return make_user(org.branch_a1, Role.LEARNER)


def statements(user, verb=None):
    query = select(Statement).where(Statement.user_id == user.id).order_by(Statement.id)
    if verb is not None:
        query = query.where(Statement.verb == verb)
    return db.session.scalars(query).all()


def test_the_rule_needs_a_confirmation_only_for_attestations():
    pages = {1: {10, 11}}
    read = {10, 11}
    assert is_module_complete(
        variant_pages=pages, seen_pages=read, has_quiz=False, quiz_passed=False
    )
    assert not is_module_complete(
        variant_pages=pages,
        seen_pages=read,
        has_quiz=False,
        quiz_passed=False,
        needs_confirmation=True,
    )
    assert is_module_complete(
        variant_pages=pages,
        seen_pages=read,
        has_quiz=False,
        quiz_passed=False,
        needs_confirmation=True,
        is_confirmed=True,
    )
    assert not is_module_complete(
        variant_pages=pages,
        seen_pages={10},
        has_quiz=False,
        quiz_passed=False,
        needs_confirmation=True,
        is_confirmed=True,
    )


def test_reading_every_page_does_not_complete_an_attestation(org, learner):
    built = make_attestation(org.provider)
    plain = make_module(org.provider)
    read_pages(learner, built.page_ids("fr"))
    read_pages(learner, plain.page_ids("fr"))
    completed = {s.module_id for s in statements(learner, Verb.COMPLETED)}
    assert completed == {plain.module.id}
    assert learner_state(db.session, learner.id, built.module, now=T0).status is None


def test_confirming_records_a_statement_naming_the_version_and_completes(org, learner):
    built = make_attestation(org.provider)
    confirmation = read_and_confirm(learner, built)
    assert confirmation.result == ConfirmResult.CONFIRMED and confirmation.code

    attested = statements(learner, Verb.ATTESTED)
    assert len(attested) == 1
    statement = attested[0]
    assert statement.module_version_id == built.current.id
    body = statement.payload
    assert body["verb"]["id"].endswith("/xapi/verbs/attested")
    assert body["context"]["revision"] == str(built.current.number)
    extensions = body["context"]["extensions"]
    assert built.current.content_hash in extensions.values()
    assert "password" in extensions.values()
    # The completion (and its certificate code) follows the confirmation.
    verbs = [s.verb for s in statements(learner)]
    assert verbs[-2:] == [Verb.ATTESTED, Verb.COMPLETED]
    completion = db.session.scalar(select(Completion).where(Completion.user_id == learner.id))
    assert completion.module_version_id == built.current.id
    state = learner_state(db.session, learner.id, built.module, now=T0)
    assert state.is_confirmed and state.version_number == 1
    record = signed_record(db.session, state.code, language="fr", now=T0)
    assert record.statement_uuid == statement.uuid
    assert record.content_hash == built.current.content_hash
    assert record.method == "password" and record.language == "fr"
    assert [page.title for page in record.pages] == ["Page 1 fr", "Page 2 fr"]


def test_confirming_without_reading_every_page_records_nothing(org, learner):
    built = make_attestation(org.provider, pages=3)
    read_pages(learner, built.page_ids("fr")[:2])
    before = len(statements(learner))
    result = record_confirmation(
        db.session,
        learner,
        built.module,
        built.current,
        language="fr",
        method="password",
        now=T0,
        ip=None,
    )
    db.session.commit()
    assert result.result == ConfirmResult.UNREAD
    assert len(statements(learner)) == before
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_a_second_confirmation_of_the_same_version_is_ignored(org, learner):
    built = make_attestation(org.provider)
    read_and_confirm(learner, built)
    again = record_confirmation(
        db.session,
        learner,
        built.module,
        built.current,
        language="fr",
        method="password",
        now=T0 + timedelta(minutes=5),
        ip=None,
    )
    assert again.result == ConfirmResult.ALREADY
    assert len(statements(learner, Verb.ATTESTED)) == 1


def test_a_new_major_version_asks_to_confirm_again(org, learner):
    built = make_attestation(org.provider)
    read_and_confirm(learner, built)
    old = built.current
    add_version(built, languages={"fr": 2}, is_major=True, published_at=T0 + timedelta(days=1))
    later = T0 + timedelta(days=2)
    state = learner_state(db.session, learner.id, built.module, now=later)
    assert state.status == CompletionStatus.OUT_OF_DATE and not state.is_confirmed

    # The old version cannot be confirmed any more, even by someone who read it.
    other = make_user(org.branch_a1, Role.LEARNER)
    refused = record_confirmation(
        db.session, other, built.module, old, language="fr", method="password", now=later, ip=None
    )
    assert refused.result == ConfirmResult.NOT_CURRENT

    confirmation = read_and_confirm(learner, built, now=later)
    assert confirmation.result == ConfirmResult.CONFIRMED
    state = learner_state(db.session, learner.id, built.module, now=later)
    assert state.is_confirmed and state.version_number == 2


def test_a_minor_version_keeps_the_confirmation(org, learner):
    built = make_attestation(org.provider)
    read_and_confirm(learner, built)
    add_version(built, languages={"fr": 2}, is_major=False, published_at=T0 + timedelta(days=1))
    state = learner_state(db.session, learner.id, built.module, now=T0 + timedelta(days=2))
    assert state.is_confirmed and state.version_number == 1


def test_a_plain_module_cannot_be_confirmed(org, learner):
    plain = make_module(org.provider)
    read_pages(learner, plain.page_ids("fr"))
    result = record_confirmation(
        db.session,
        learner,
        plain.module,
        plain.current,
        language="fr",
        method="password",
        now=T0,
        ip=None,
    )
    assert result.result == ConfirmResult.REFUSED
    assert statements(learner, Verb.ATTESTED) == []


def test_the_derived_tables_replay_from_the_statements(org, learner):
    built = make_attestation(org.provider)
    read_and_confirm(learner, built)
    add_version(built, languages={"fr": 2}, is_major=True, published_at=T0 + timedelta(days=1))
    read_and_confirm(learner, built, now=T0 + timedelta(days=2))
    report = rebuild_derived(db.session, check=True)
    assert report.differences == []
