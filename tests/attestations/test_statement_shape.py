"""The `attested` statement is valid xAPI 1.0.3 (Ralph's models) and names the exact version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.tracking import event_statements
from app.tracking import statements as xapi

IRIS = xapi.Iris("https://counter.example.ch")
MODULE = xapi.ModuleRef(
    slug="engagement-teletravail", version=2, titles={"fr": "Engagement", "de": "Vereinbarung"}
)
WHEN = datetime(2027, 3, 1, 9, 30, 15, tzinfo=UTC)


def attested(method: str = "password") -> dict:
    return event_statements.module_attested(
        IRIS,
        statement_id=IRIS.statement_id("attested|user:1|version:7|cycle:0"),
        actor=xapi.Actor("anne@example.org", "Anne Muster"),
        module=MODULE,
        language="fr",
        content_hash="ab" * 32,
        method=method,
        timestamp=WHEN,
        registration="6f1b2a9e-1c0d-4e7b-9a39-0d3b3f1d2c11",
    )


def test_the_statement_names_the_version_its_text_and_how_it_was_signed(ralph_models):
    body = attested("sso")
    ralph_models.statement(body)
    ralph_models.statement(xapi.with_stored(body, WHEN + timedelta(seconds=1)))
    assert body["verb"] == {
        "id": "https://counter.example.ch/xapi/verbs/attested",
        "display": {"en-US": "attested"},
    }
    assert body["object"]["id"] == "https://counter.example.ch/xapi/modules/engagement-teletravail"
    context = body["context"]
    assert context["revision"] == "2" and context["language"] == "fr"
    assert context["extensions"] == {
        "https://counter.example.ch/xapi/extensions/content-hash": "ab" * 32,
        "https://counter.example.ch/xapi/extensions/authentication": "sso",
    }
    assert xapi.Verb.from_iri(body["verb"]["id"], IRIS) is xapi.Verb.ATTESTED
