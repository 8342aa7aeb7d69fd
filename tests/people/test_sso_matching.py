"""Single sign-on matching rules: stored link first, then HR number or verified e-mail, JIT."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import User
from app.people.sso_models import UserIdentity
from app.people.sso_operations import (
    IdentityClaims,
    MatchRules,
    SsoRefusal,
    claims_from,
    match_identity,
)
from app.platform.audit import AuditEvent
from tests.factories import make_org, make_user

ISSUER = "https://id.example.ch"
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
BY_EMAIL = MatchRules(match_by="email")
BY_HR = MatchRules(match_by="hr_number")


@pytest.fixture
def org(app):
    return make_org()


def claims(subject: str = "sub-1", **values) -> IdentityClaims:
    values.setdefault("email_verified", True)
    return IdentityClaims(issuer=ISSUER, subject=subject, **values)


def refusal(claims_: IdentityClaims, rules: MatchRules) -> SsoRefusal:
    with pytest.raises(SsoRefusal) as info:
        match_identity(db.session, claims_, rules, now=NOW)
    db.session.rollback()
    return info.value


def links() -> list[tuple[int, str, str, str]]:
    rows = db.session.scalars(select(UserIdentity).order_by(UserIdentity.id))
    return [(r.user_id, r.issuer, r.subject, r.matched_by) for r in rows]


def test_verified_email_matches_and_stores_the_link(org):
    person = make_user(org.branch_a1, email="anna@example.ch")
    match = match_identity(
        db.session, claims(email="Anna@Example.CH"), BY_EMAIL, ip="10.0.0.1", now=NOW
    )
    db.session.commit()
    assert (match.user.id, match.matched_by, match.is_new_link) == (person.id, "email", True)
    assert links() == [(person.id, ISSUER, "sub-1", "email")]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso.linked"))
    assert event.object_id == person.id and event.details["matched_by"] == "email"


def test_the_stored_link_wins_over_changed_claims(org):
    person = make_user(org.branch_a1, email="anna@example.ch")
    match_identity(db.session, claims(email="anna@example.ch"), BY_EMAIL, now=NOW)
    db.session.commit()
    # The provider now sends another address (a name change): the link still finds Anna,
    # and the new address does not hijack anyone.
    other = make_user(org.branch_a1, email="anna.new@example.ch")
    match = match_identity(db.session, claims(email="anna.new@example.ch"), BY_EMAIL, now=NOW)
    assert match.user.id == person.id and not match.is_new_link
    assert match.user.id != other.id
    assert db.session.get(UserIdentity, 1).last_used_at == NOW


def test_unverified_email_identifies_nobody(org):
    make_user(org.branch_a1, email="anna@example.ch")
    refused = refusal(claims(email="anna@example.ch", email_verified=False), BY_EMAIL)
    assert refused.reason == "email_unverified"
    assert links() == []


def test_string_true_counts_as_verified():
    parsed = claims_from(
        {"iss": ISSUER, "sub": "s"},
        {"sub": "s", "email": "a@b.ch", "email_verified": "true"},
        hr_claim="hr_number",
    )
    assert parsed.email_verified is True


def test_hr_number_matching_ignores_email(org):
    person = make_user(org.branch_a1, email="anna@example.ch")
    person.hr_number = "HR-0042"
    make_user(org.branch_a1, email="someone@example.ch")
    db.session.commit()
    match = match_identity(
        db.session, claims(email="someone@example.ch", hr_number="HR-0042"), BY_HR, now=NOW
    )
    assert match.user.id == person.id and match.matched_by == "hr_number"


def test_hr_number_rule_needs_the_claim(org):
    make_user(org.branch_a1, email="anna@example.ch")
    assert refusal(claims(email="anna@example.ch"), BY_HR).reason == "hr_number_missing"


def test_unknown_person_is_refused_without_jit(org):
    refused = refusal(claims(email="nobody@example.ch"), BY_EMAIL)
    assert refused.reason == "unknown"
    assert db.session.scalar(select(User).where(User.email == "nobody@example.ch")) is None


def test_deactivated_person_is_refused_by_claim_and_by_link(org):
    person = make_user(org.branch_a1, email="anna@example.ch")
    match_identity(db.session, claims(email="anna@example.ch"), BY_EMAIL, now=NOW)
    person.is_active = False
    db.session.commit()
    refused = refusal(claims(email="anna@example.ch"), BY_EMAIL)
    assert (refused.reason, refused.user_id) == ("deactivated", person.id)
    gone = make_user(org.branch_a1, email="gone@example.ch", is_active=False)
    refused = refusal(claims("sub-2", email="gone@example.ch"), BY_EMAIL)
    assert (refused.reason, refused.user_id) == ("deactivated", gone.id)
    assert [link[0] for link in links()] == [person.id]


def test_a_second_subject_cannot_take_a_linked_account(org):
    person = make_user(org.branch_a1, email="anna@example.ch")
    match_identity(db.session, claims("sub-1", email="anna@example.ch"), BY_EMAIL, now=NOW)
    db.session.commit()
    refused = refusal(claims("sub-evil", email="anna@example.ch"), BY_EMAIL)
    assert (refused.reason, refused.user_id) == ("already_linked", person.id)
    assert links() == [(person.id, ISSUER, "sub-1", "email")]


def test_same_subject_at_another_issuer_is_another_identity(org):
    person = make_user(org.branch_a1, email="anna@example.ch")
    match_identity(db.session, claims("sub-1", email="anna@example.ch"), BY_EMAIL, now=NOW)
    db.session.commit()
    stranger = IdentityClaims(
        issuer="https://other.example.ch", subject="sub-1", email="x@example.ch"
    )
    assert refusal(stranger, BY_EMAIL).reason == "email_unverified"
    assert links() == [(person.id, ISSUER, "sub-1", "email")]


def test_jit_creates_the_person_in_the_configured_unit(org):
    rules = MatchRules(match_by="email", jit_unit_code="a2")
    match = match_identity(
        db.session,
        claims(
            email="new@example.ch",
            first_name="Nina",
            last_name="Neu",
            hr_number="HR-9",
            language="de",
        ),
        rules,
        ip="10.0.0.2",
        now=NOW,
    )
    db.session.commit()
    person = db.session.scalar(select(User).where(User.email == "new@example.ch"))
    assert match.user.id == person.id and match.matched_by == "created"
    assert (person.unit_id, person.first_name, person.last_name) == (
        org.branch_a2.id,
        "Nina",
        "Neu",
    )
    assert (person.hr_number, person.preferred_language, person.password_hash) == (
        "HR-9",
        "de",
        None,
    )
    assert links() == [(person.id, ISSUER, "sub-1", "created")]


def test_jit_needs_a_verified_email_and_an_existing_unit(org):
    unverified = claims(email="new@example.ch", email_verified=False, first_name="N")
    with_jit = MatchRules(match_by="hr_number", jit_unit_code="a2")
    nameless = claims(hr_number="HR-1", email="n@example.ch")
    assert refusal(nameless, with_jit).reason == "creation_failed"
    assert refusal(
        IdentityClaims(issuer=ISSUER, subject="s", hr_number="HR-2"), with_jit
    ).reason == ("email_unverified")
    assert refusal(unverified, MatchRules(jit_unit_code="a2")).reason == "email_unverified"
    missing_unit = MatchRules(jit_unit_code="nope")
    assert refusal(claims(email="n2@example.ch"), missing_unit).reason == "setup"


def test_jit_does_not_take_an_address_that_belongs_to_someone(org):
    make_user(org.branch_a1, email="taken@example.ch").hr_number = "HR-1"
    db.session.commit()
    rules = MatchRules(match_by="hr_number", jit_unit_code="a2")
    refused = refusal(
        claims(email="taken@example.ch", hr_number="HR-2", first_name="T", last_name="K"), rules
    )
    assert refused.reason == "creation_failed"


def test_userinfo_for_another_subject_is_refused():
    with pytest.raises(SsoRefusal) as info:
        claims_from({"iss": ISSUER, "sub": "a"}, {"sub": "b"}, hr_claim="hr_number")
    assert info.value.reason == "subject_mismatch"


def test_claims_take_names_hr_number_and_language_from_userinfo():
    parsed = claims_from(
        {"iss": ISSUER, "sub": "a", "email": "a@b.ch"},
        {
            "sub": "a",
            "email_verified": True,
            "given_name": " Anna ",
            "family_name": "Muster",
            "employee_no": 42,
            "locale": "it-CH",
        },
        hr_claim="employee_no",
    )
    assert parsed == IdentityClaims(
        issuer=ISSUER,
        subject="a",
        email="a@b.ch",
        email_verified=True,
        first_name="Anna",
        last_name="Muster",
        hr_number="42",
        language="it",
    )


def test_unlinking_lets_the_next_sign_in_match_afresh(org, runner):
    person = make_user(org.branch_a1, email="anna@example.ch")
    match_identity(db.session, claims("sub-old", email="anna@example.ch"), BY_EMAIL, now=NOW)
    db.session.commit()
    # The provider re-created Anna's account (a new subject): refused until unlinked.
    assert refusal(claims("sub-new", email="anna@example.ch"), BY_EMAIL).reason == (
        "already_linked"
    )
    listed = runner.invoke(args=["sso", "links", "anna@example.ch"])
    assert listed.exit_code == 0 and f"{ISSUER}\tsub-old\temail" in listed.output
    other_issuer = runner.invoke(args=["sso", "unlink", "anna@example.ch", "--issuer", "x"])
    assert "0 linked identity(ies) removed" in other_issuer.output
    result = runner.invoke(args=["sso", "unlink", "anna@example.ch"])
    assert result.exit_code == 0 and "1 linked identity(ies) removed" in result.output
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso.unlinked"))
    assert (event.object_id, event.details["subject"]) == (person.id, "sub-old")
    match = match_identity(db.session, claims("sub-new", email="anna@example.ch"), BY_EMAIL)
    assert match.user.id == person.id and match.is_new_link


def test_unlink_names_an_unknown_address(app, runner):
    result = runner.invoke(args=["sso", "unlink", "nobody@example.ch"])
    assert result.exit_code != 0 and "no person has the address" in result.output
