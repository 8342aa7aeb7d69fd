"""Glossary pages, CSV import, accepted terms, the editor's preview and permissions."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.content.models import Module
from app.extensions import db
from app.people.models import Role
from app.plain_language.models import AcceptedTerm, GlossaryEntry
from app.plain_language.operations import load_shipped_glossaries
from tests.conftest import csrf_token_from, login_as
from tests.content.builders import import_paths, module_text, write_module
from tests.factories import make_org, make_user

BODY = "## Ferien melden\n\nMelden Sie Ihre Ortsabwesenheit im Portal. Die Veranlagung kommt.\n"


@pytest.fixture
def cast(app, tmp_path):
    """A German module of provider ju-it, its trainer, another provider's trainer, an admin."""
    org = make_org()
    write_module(
        tmp_path / "lib",
        "ferien",
        languages=("de",),
        source_language="de",
        texts={"de": module_text("ferien", "de", source_language="de", body=BODY)},
    )
    import_paths([tmp_path / "lib"])
    from app.timekeeping import clock

    load_shipped_glossaries(db.session, now=clock.now())
    db.session.commit()
    people = {
        "trainer": make_user(org.branch_a1, Role.TRAINER, provider=org.provider),
        "other": make_user(org.branch_b1, Role.TRAINER, provider=org.other_provider),
        "admin": make_user(org.network, Role.ADMIN),
        "learner": make_user(org.branch_a1),
    }
    module = db.session.scalar(select(Module).where(Module.slug == "ferien"))
    return org, people, module


def entries(**where) -> list[GlossaryEntry]:
    query = select(GlossaryEntry).filter_by(**where).order_by(GlossaryEntry.id)
    return list(db.session.scalars(query))


def count_entries() -> int:
    return db.session.scalar(select(func.count(GlossaryEntry.id)))


def token(client, path="/plain-language/glossary/de") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def test_the_shipped_glossaries_load_once_and_again_without_duplicates(cast):
    counts = {
        lang: len(entries(language=lang, provider_id=None)) for lang in ("de", "fr", "it", "en")
    }
    assert all(n >= 40 for n in counts.values()), counts
    from app.timekeeping import clock

    results = load_shipped_glossaries(db.session, now=clock.now())
    db.session.commit()
    assert all(not r.created and not r.updated for r in results.values())
    assert sum(counts.values()) == count_entries()


def test_a_trainer_adds_edits_and_removes_their_providers_entry(client, cast):
    org, people, _ = cast
    login_as(client, people["trainer"])
    page = client.get("/plain-language/glossary/de").get_data(as_text=True)
    assert "Ortsabwesenheit" in page and "Shared glossary" not in page  # only admins write there
    response = client.post(
        "/plain-language/glossary/de/entries",
        data={
            "csrf_token": token(client),
            "owner": str(org.provider.id),
            "term": "Schalteröffnungszeiten",
            "suggestion": "Öffnungszeiten",
        },
    )
    assert response.status_code == 303
    (entry,) = entries(provider_id=org.provider.id)
    assert (entry.term, entry.suggestion, entry.term_key) == (
        "Schalteröffnungszeiten",
        "Öffnungszeiten",
        "schalteröffnungszeiten",
    )
    edit = f"/plain-language/glossary/entries/{entry.id}/edit"
    response = client.post(
        edit,
        data={"csrf_token": token(client, edit), "term": entry.term, "suggestion": "Zeiten"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert entries(provider_id=org.provider.id)[0].suggestion == "Zeiten"
    response = client.post(
        f"/plain-language/glossary/entries/{entry.id}/delete", data={"csrf_token": token(client)}
    )
    assert response.status_code == 303
    assert entries(provider_id=org.provider.id) == []


def test_a_duplicate_entry_is_refused_with_a_message(client, cast):
    org, people, _ = cast
    login_as(client, people["trainer"])
    data = {"owner": str(org.provider.id), "term": "Gesuch", "suggestion": "Antrag"}
    assert (
        client.post(
            "/plain-language/glossary/de/entries", data={**data, "csrf_token": token(client)}
        ).status_code
        == 303
    )
    response = client.post(
        "/plain-language/glossary/de/entries",
        data={**data, "term": " GESUCH ", "csrf_token": token(client)},
    )
    assert response.status_code == 422
    assert "is already in this glossary" in response.get_data(as_text=True)
    assert len(entries(provider_id=org.provider.id)) == 1


def test_csv_import_with_duplicates_names_the_rows_and_saves_nothing(client, cast):
    org, people, _ = cast
    login_as(client, people["trainer"])
    before = count_entries()
    csv = b"term,suggestion\nGesuch,Antrag\nZuzug,Umzug\ngesuch,Anfrage\n"
    response = client.post(
        "/plain-language/glossary/de/import",
        data={
            "csrf_token": token(client),
            "owner": str(org.provider.id),
            "file": (io.BytesIO(csv), "mine.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "row 4: &#39;gesuch&#39; is already on row 2 (each term once)" in page
    assert count_entries() == before


def test_csv_import_adds_and_updates_in_one_go(client, cast):
    org, people, _ = cast
    login_as(client, people["trainer"])
    csv = b"term,suggestion\nGesuch,Antrag\nZuzug,Umzug\n"
    for text in (csv, csv.replace(b"Umzug", b"Umzug hierher")):
        response = client.post(
            "/plain-language/glossary/de/import",
            data={
                "csrf_token": token(client),
                "owner": str(org.provider.id),
                "file": (io.BytesIO(text), "mine.csv"),
            },
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert response.status_code == 200
    assert "1 changed, 1 unchanged" in response.get_data(as_text=True)
    assert [(e.term, e.suggestion) for e in entries(provider_id=org.provider.id)] == [
        ("Gesuch", "Antrag"),
        ("Zuzug", "Umzug hierher"),
    ]


def test_trainers_write_only_their_providers_entries_and_learners_see_nothing(client, cast):
    org, people, _ = cast
    shared = entries(language="de", provider_id=None)[0]
    login_as(client, people["other"])
    response = client.post(
        "/plain-language/glossary/de/entries",
        data={
            "csrf_token": token(client),
            "owner": str(org.provider.id),  # not their provider
            "term": "Zuzug",
            "suggestion": "Umzug",
        },
    )
    assert response.status_code == 422  # not one of the glossaries offered to them
    assert entries(language="de", provider_id=org.provider.id) == []
    from app.permissions import may
    from app.plain_language.blueprint import EDIT_ENTRY
    from app.plain_language.glossary_views import GlossaryOwner

    other = people["other"]
    assert may(other, EDIT_ENTRY, GlossaryOwner(org.other_provider.id))
    assert not may(other, EDIT_ENTRY, GlossaryOwner(org.provider.id))
    assert not may(other, EDIT_ENTRY, GlossaryOwner(None))
    assert may(people["admin"], EDIT_ENTRY, GlossaryOwner(None))
    for owner in ("shared", "x"):
        response = client.post(
            "/plain-language/glossary/de/entries",
            data={"csrf_token": token(client), "owner": owner, "term": "A", "suggestion": "B"},
        )
        assert response.status_code == 422
    assert client.get(f"/plain-language/glossary/entries/{shared.id}/edit").status_code == 404
    response = client.post(
        f"/plain-language/glossary/entries/{shared.id}/delete", data={"csrf_token": token(client)}
    )
    assert response.status_code == 404
    assert db.session.get(GlossaryEntry, shared.id) is not None
    login_as(client, people["learner"])
    assert client.get("/plain-language/glossary/de").status_code == 403


def test_an_admin_edits_the_shared_glossary(client, cast):
    _, people, _ = cast
    shared = entries(language="de", provider_id=None)[0]
    login_as(client, people["admin"])
    edit = f"/plain-language/glossary/entries/{shared.id}/edit"
    response = client.post(
        edit,
        data={"csrf_token": token(client, edit), "term": shared.term, "suggestion": "neu"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(GlossaryEntry, shared.id).suggestion == "neu"


def test_posts_without_csrf_are_refused(client, cast):
    org, people, module = cast
    login_as(client, people["trainer"])
    response = client.post(
        "/plain-language/glossary/de/entries",
        data={"owner": str(org.provider.id), "term": "Zuzug", "suggestion": "Umzug"},
    )
    assert response.status_code in (400, 422)
    assert entries(provider_id=org.provider.id) == []
    response = client.post(
        f"/plain-language/modules/{module.id}/accept", data={"language": "de", "term": "Gesuch"}
    )
    assert response.status_code == 400


def preview(client, module, markdown="Ihre Ortsabwesenheit. Die Veranlagung."):
    page = client.get(f"/authoring/modules/{module.id}/edit/de").get_data(as_text=True)
    return client.post(
        f"/authoring/modules/{module.id}/preview",
        json={"markdown": markdown, "language": "de"},
        headers={"X-CSRFToken": csrf_token_from(page)},
    )


def test_the_editor_preview_flags_terms_long_sentences_and_gives_the_figure(client, cast):
    _, people, module = cast
    login_as(client, people["trainer"])
    long = " ".join(["Wort"] * 30) + "."
    warnings = preview(client, module, f"Ihre Ortsabwesenheit.\n\n{long}").get_json()["warnings"]
    assert (
        "line 1: plain language: 'Ortsabwesenheit' is administrative jargon; plainer: "
        "Ferien / Abwesenheit" in warnings
    )
    assert any("a sentence of 30 words (more than 25)" in w for w in warnings)
    assert any("Flesch reading ease (Amstad)" in w for w in warnings)
    page = client.get(f"/authoring/modules/{module.id}/edit/de").get_data(as_text=True)
    assert "Ortsabwesenheit&#39; is administrative jargon" in page  # the first render too


def test_a_term_accepted_for_one_module_is_silenced_there_only(client, cast, tmp_path):
    org, people, module = cast
    write_module(
        tmp_path / "lib2",
        "andere",
        languages=("de",),
        source_language="de",
        texts={"de": module_text("andere", "de", source_language="de", body=BODY)},
    )
    import_paths([tmp_path / "lib2"])
    other_module = db.session.scalar(select(Module).where(Module.slug == "andere"))
    login_as(client, people["trainer"])
    check = f"/plain-language/modules/{module.id}"
    page = client.get(check).get_data(as_text=True)
    assert "Ortsabwesenheit" in page and "Flesch reading ease (Amstad)" in page
    response = client.post(
        f"{check}/accept",
        data={"csrf_token": csrf_token_from(page), "language": "de", "term": "Ortsabwesenheit"},
    )
    assert response.status_code == 303
    (accepted,) = db.session.scalars(select(AcceptedTerm))
    assert (accepted.module_id, accepted.term_key) == (module.id, "ortsabwesenheit")
    warnings = " ".join(preview(client, module).get_json()["warnings"])
    assert "Ortsabwesenheit" not in warnings and "Veranlagung" in warnings
    warnings = " ".join(preview(client, other_module).get_json()["warnings"])
    assert "Ortsabwesenheit" in warnings
    # Withdrawn: flagged again.
    page = client.get(check).get_data(as_text=True)
    response = client.post(
        f"{check}/accepted/{accepted.id}/withdraw", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 303
    assert "Ortsabwesenheit" in " ".join(preview(client, module).get_json()["warnings"])


def test_another_providers_trainer_cannot_check_or_accept_in_the_module(client, cast):
    _, people, module = cast
    login_as(client, people["other"])
    assert client.get(f"/plain-language/modules/{module.id}").status_code == 404
    response = client.post(
        f"/plain-language/modules/{module.id}/accept",
        data={"csrf_token": token(client), "language": "de", "term": "Gesuch"},
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(AcceptedTerm.id))) == 0


def test_content_check_prints_warnings_and_a_figure_per_page(runner, cast, tmp_path):
    result = runner.invoke(args=["content", "check", str(tmp_path / "lib")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "index.de.md:15: warning: plain language: 'Ortsabwesenheit' is administrative" in out
    assert "index.de.md:15: page 1 (Ferien melden): Flesch reading ease (Amstad)" in out
    assert "0 error(s), 2 warning(s)." in out


def test_plain_language_load_command(runner, app):
    result = runner.invoke(args=["plain-language", "load"])
    assert result.exit_code == 0, result.output
    assert "glossary de: " in result.output and "added" in result.output
    assert count_entries() >= 160


def test_the_load_command_keeps_the_shipped_modules_deliberate_terms(runner, app, tmp_path):
    make_org()
    body = (
        "## Betrug\n\nDie Nachricht droht: «sonst Betreibung». Die Betreibung kommt nie per SMS.\n"
    )
    write_module(
        tmp_path / "lib",
        "phishing-arnaques",
        languages=("de",),
        source_language="de",
        texts={"de": module_text("phishing-arnaques", "de", source_language="de", body=body)},
    )
    import_paths([tmp_path / "lib"])
    result = runner.invoke(args=["plain-language", "load"])
    assert result.exit_code == 0, result.output
    assert (
        "terms kept on purpose by shipped modules: 3 (21 for modules not imported" in result.output
    )
    kept = {(a.language, a.term) for a in db.session.scalars(select(AcceptedTerm))}
    assert kept == {("de", "Betreibung"), ("fr", "poursuite"), ("it", "esecuzione")}
    result = runner.invoke(args=["content", "check", str(tmp_path / "lib")])
    assert "Betreibung" not in result.output and "0 warning(s)" in result.output
    again = runner.invoke(args=["plain-language", "load"])
    assert again.exit_code == 0 and "0 added, 0 updated" in again.output
    assert db.session.scalar(select(func.count(AcceptedTerm.id))) == 3
