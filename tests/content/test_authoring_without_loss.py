"""Trainer editing without loss: publishing asks minor or major, uploads keep the text."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.content.models import MediaFile, ModuleDraft, ModuleVersion
from app.extensions import db
from tests.conftest import csrf_token_from, login_as
from tests.content import test_views_authoring as authoring
from tests.content.builders import count, tiny_png
from tests.content.test_views_authoring import editor_form, html_of

# The same cast and upload folder as the authoring tests.
app_config = authoring.app_config
cast = authoring.cast


def _with_a_draft(client, module) -> None:
    fields = editor_form(client, module.id, "en")
    fields["markdown"] = fields["markdown"] + "\n\nOne more line.\n"
    response = client.post(f"/authoring/modules/{module.id}/edit/en", data=fields)
    assert response.status_code == 303, html_of(response)


def test_the_publish_form_has_no_default_kind_of_change(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    _with_a_draft(client, ours)
    page = html_of(client.get(f"/authoring/modules/{ours.id}"))
    assert 'name="change_kind"' in page
    assert "checked" not in page.split('id="publish"', 1)[1]


def test_publishing_without_choosing_minor_or_major_is_refused_naming_the_field(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    _with_a_draft(client, ours)
    versions_before = count(ModuleVersion)
    token = csrf_token_from(html_of(client.get(f"/authoring/modules/{ours.id}")))
    response = client.post(
        f"/authoring/modules/{ours.id}/publish",
        data={"csrf_token": token, "change_note": "Added a line"},
    )
    page = html_of(response)
    assert response.status_code == 422
    assert "Kind of change: choose minor or major." in page
    # The form is shown again with what the trainer wrote, and nothing was published.
    assert "Added a line" in page
    assert count(ModuleVersion) == versions_before and count(ModuleDraft) == 1
    # A forged value is refused the same way.
    response = client.post(
        f"/authoring/modules/{ours.id}/publish",
        data={"csrf_token": token, "change_note": "Added a line", "change_kind": "huge"},
    )
    assert response.status_code == 422
    assert "Kind of change: choose minor or major." in html_of(response)
    # Choosing publishes.
    response = client.post(
        f"/authoring/modules/{ours.id}/publish",
        data={"csrf_token": token, "change_note": "Added a line", "change_kind": "major"},
    )
    assert response.status_code == 303, html_of(response)
    db.session.expire_all()
    assert db.session.get(type(ours), ours.id).current_version.is_major


def _upload(client, module_id: int, token: str | None, data: bytes, name: str, **headers):
    form = {"language": "en", "file": (io.BytesIO(data), name)}
    if token is not None:
        form["csrf_token"] = token
    return client.post(
        f"/authoring/modules/{module_id}/media",
        data=form,
        content_type="multipart/form-data",
        headers={"Accept": "application/json", **headers},
    )


def test_the_editor_uploads_as_json_and_gets_the_snippet_to_insert(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    page = html_of(client.get(f"/authoring/modules/{ours.id}/edit/en"))
    # The upload form is enhanced by the editor's own script file, no inline script.
    assert 'id="upload-form"' in page and "js/content-editor.js" in page
    assert "<script>" not in page
    token = csrf_token_from(page)
    response = _upload(client, ours.id, token, tiny_png(3, 3), "Guichet.png")
    assert response.status_code == 201
    body = response.get_json()
    assert body["snippet"] == "![Guichet](media/guichet.png)"
    assert body["path"] == "media/guichet.png" and body["message"]
    assert db.session.scalar(
        select(MediaFile).where(MediaFile.original_name == "media/guichet.png")
    )


def test_json_upload_refusals_use_the_one_error_shape(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    token = csrf_token_from(html_of(client.get(f"/authoring/modules/{ours.id}/edit/en")))
    before = count(MediaFile)
    # Not an image we accept: 422 with the field and a message saying why.
    response = _upload(client, ours.id, token, b"<svg onload='alert(1)'></svg>", "x.svg")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["status"], error["code"], error["field"]) == (422, "bad_request", "file")
    assert "not an image, video or PDF we accept" in error["message"]
    # No file at all.
    response = client.post(
        f"/authoring/modules/{ours.id}/media",
        data={"csrf_token": token, "language": "en"},
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422 and response.get_json()["error"]["message"] == (
        "Choose a file."
    )
    # Without the CSRF token: refused, as JSON.
    response = _upload(client, ours.id, None, tiny_png(3, 3), "a.png")
    assert response.status_code == 400 and response.get_json()["error"]["status"] == 400
    # Another provider's trainer cannot upload into the module: 404, nothing stored.
    login_as(client, people["other"])
    token = csrf_token_from(html_of(client.get("/authoring/modules/new")))
    response = _upload(client, ours.id, token, tiny_png(3, 3), "b.png")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert count(MediaFile) == before


def _source_section(page: str) -> str:
    start = page.index('id="source-text"')
    return page[start : page.index("</section>", start)]


def test_a_new_translation_shows_the_source_and_starts_from_its_pages(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    fields = editor_form(client, ours.id, "de")
    # Pre-filled with the source's page headings, not blank; the title is left to translate.
    # (WTForms writes a newline after <textarea>, which browsers drop.)
    assert fields["markdown"].lstrip("\r\n") == "## One\n\n\n## Two\n\n\n"
    assert fields["title"] == ""
    page = html_of(client.get(f"/authoring/modules/{ours.id}/edit/de"))
    source = _source_section(page)
    assert "Source text: English" in source and 'lang="en"' in source
    assert "Module ours (en)" in source and "A short module for tests." in source
    assert "Page 1" in source and "Page 2" in source and "Second page." in source
    assert "published text" in source
    # The source is shown read-only: no field of it is in any form.
    assert "<textarea" not in source and "<input" not in source
    # The source language's own editor has no such panel.
    assert 'id="source-text"' not in html_of(client.get(f"/authoring/modules/{ours.id}/edit/en"))


def test_an_existing_translation_keeps_its_text_and_sees_the_latest_source_draft(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    fields = editor_form(client, ours.id, "en")
    fields["markdown"] = (
        "## One\n\nChanged first page.\n\n## Two\n\nSecond page.\n\n## Three\n\nNew."
    )
    response = client.post(f"/authoring/modules/{ours.id}/edit/en", data=fields)
    assert response.status_code == 303, html_of(response)
    # The French translation is kept as it is (not replaced by headings).
    french = editor_form(client, ours.id, "fr")
    assert "Second page." in french["markdown"] and "Three" not in french["markdown"]
    source = _source_section(html_of(client.get(f"/authoring/modules/{ours.id}/edit/fr")))
    assert "latest saved draft" in source
    assert "Changed first page." in source and "Page 3" in source
    # After a save refused by the form, the source is still beside the editor.
    french["title"] = ""
    response = client.post(f"/authoring/modules/{ours.id}/edit/fr", data=french)
    assert response.status_code == 422 and 'id="source-text"' in html_of(response)


def test_the_translation_skeleton_skips_the_introduction_and_ignores_code_blocks():
    from app.content.editor_texts import translation_skeleton

    text = "Intro text.\n\n## Start\n\n```\n## not a page\n```\n\n## End ##\n\nBye."
    assert translation_skeleton(text, "Title") == "## Start\n\n\n## End\n\n\n"
    assert translation_skeleton("", "Title") == ""
