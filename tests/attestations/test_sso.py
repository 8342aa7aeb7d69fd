"""Confirming by signing in again at the identity provider (the real test provider on Node.js)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.attestations.operations import sso_proof_problem
from app.extensions import db
from app.people.models import Role, User
from app.platform.audit import AuditEvent
from app.tracking.models import Statement
from app.tracking.statements import Verb
from tests.attestations.helpers import make_attestation
from tests.conftest import csrf_token_from, free_port
from tests.e2e.oidc.harness import RunningProvider, running_provider
from tests.factories import make_org, make_user
from tests.people.test_sso_protocol import APP, at_provider, path_of, start
from tests.tracking.helpers import T0, read_pages


def test_the_proof_must_be_the_learners_own_account_signed_in_just_now():
    linked = [("https://id.example", "anna")]
    fresh = {"iss": "https://id.example", "sub": "anna", "auth_time": T0.timestamp()}
    assert sso_proof_problem(fresh, linked=linked, started_at=T0) is None
    assert sso_proof_problem({**fresh, "sub": "bruno"}, linked=linked, started_at=T0) == "identity"
    old = {**fresh, "auth_time": T0.timestamp() - 3600}
    assert sso_proof_problem(old, linked=linked, started_at=T0) == "stale"
    without = {"iss": "https://id.example", "sub": "anna"}
    assert sso_proof_problem(without, linked=linked, started_at=T0) == "stale"


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    log_dir: Path = tmp_path_factory.mktemp("oidc")
    callbacks = [f"{APP}/sso/callback", f"{APP}/attestations/sso-callback"]
    with running_provider(free_port(), callbacks, [f"{APP}/sso/logged-out"], log_dir) as provider:
        yield provider


@pytest.fixture
def app_config(app_config: dict, oidc_provider: RunningProvider) -> dict:
    app_config.update(oidc_provider.app_settings())
    return app_config


@pytest.fixture
def anna(app) -> User:
    """Anna has no password of her own: she signs in through the provider only."""
    org = make_org()
    person = make_user(org.branch_a1, Role.LEARNER, email="a.muster@jura.example", password=None)
    person.hr_number = "HR-1001"
    db.session.commit()
    person.org = org
    return person


def attested() -> list[Statement]:
    db.session.expire_all()
    return db.session.scalars(select(Statement).where(Statement.verb == Verb.ATTESTED)).all()


def begin_confirmation(client, built) -> str:
    """Sign Anna in through the provider, open the last page and press the SSO button."""
    answer = client.get(path_of(at_provider(start(client), "anna", "anna-secret")))
    assert answer.status_code == 302
    html = client.get("/modules/home-office/pages/2?lang=fr").get_data(as_text=True)
    assert "Confirm by signing in again with Jura ID" in html
    assert 'autocomplete="current-password"' not in html
    response = client.post(
        "/attestations/home-office/confirm-sso",
        data={
            "csrf_token": csrf_token_from(html),
            "version_id": built.current.id,
            "language": "fr",
            "page": 2,
        },
    )
    assert response.status_code == 302
    authorize = response.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["prompt"] == ["login"] and query["max_age"] == ["0"]
    return authorize


def test_signing_in_again_confirms_with_sso(client, anna, oidc_provider):
    built = make_attestation(anna.org.provider, slug="home-office")
    read_pages(anna, built.page_ids("fr")[:1])
    authorize = begin_confirmation(client, built)
    callback = at_provider(authorize, "anna", "anna-secret")
    assert urlsplit(callback).path == "/attestations/sso-callback"
    answer = client.get(path_of(callback))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert "/attestations/records/" in answer.headers["Location"]
    statements = attested()
    assert len(statements) == 1
    assert "sso" in statements[0].payload["context"]["extensions"].values()
    record = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "confirmed by signing in again" in record
    # The same answer again (replayed): nothing more is recorded.
    assert client.get(path_of(callback)).status_code == 400
    assert len(attested()) == 1


def test_someone_else_signing_in_at_the_provider_confirms_nothing(client, anna, oidc_provider):
    built = make_attestation(anna.org.provider, slug="home-office")
    read_pages(anna, built.page_ids("fr")[:1])
    authorize = begin_confirmation(client, built)
    # Bruno types his own password on Anna's tablet.
    answer = client.get(path_of(at_provider(authorize, "bruno", "bruno-secret")))
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "did not confirm that it is you" in page
    assert attested() == []
    refused = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attestation.sso_refused")
    ).all()
    assert [event.details["reason"] for event in refused] == ["identity"]
    assert (
        db.session.scalar(select(func.count(Statement.id)).where(Statement.verb == Verb.COMPLETED))
        == 0
    )
