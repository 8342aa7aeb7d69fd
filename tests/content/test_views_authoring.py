"""Trainer authoring: scope, drafts with optimistic locking, preview, upload, publish, history."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.content.models import (
    MediaFile,
    Module,
    ModuleDraft,
    ModuleStatus,
    ModuleVersion,
)
from app.extensions import db
from app.people.models import Role
from tests.conftest import csrf_token_from, login_as
from tests.content.builders import count, import_paths, tiny_png, write_module
from tests.factories import make_org, make_user


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


@pytest.fixture
def cast(app, tmp_path):
    """Two providers' modules, a trainer of each, an admin and a learner (English UI)."""
    org = make_org()
    write_module(
        tmp_path / "lib",
        "ours",
        languages=("en", "fr"),
        source_language="en",
        media={"media/pic.png": tiny_png()},
        body="## One\n\n![A picture](media/pic.png)\n\n## Two\n\nSecond page.\n",
    )
    write_module(
        tmp_path / "lib", "theirs", languages=("en",), source_language="en", provider="bs-it"
    )
    import_paths([tmp_path / "lib"])
    people = {
        "trainer": make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="en"),
        "colleague": make_user(org.branch_a2, Role.TRAINER, provider=org.provider, language="en"),
        "other": make_user(org.branch_b1, Role.TRAINER, provider=org.other_provider, language="en"),
        "admin": make_user(org.network, Role.ADMIN, language="en"),
        "learner": make_user(org.branch_a1, language="en"),
    }
    modules = {m.slug: m for m in db.session.scalars(select(Module))}
    return org, people, modules


def html_of(response) -> str:
    return response.get_data(as_text=True)


def editor_form(client, module_id: int, language: str) -> dict[str, str]:
    """Load the editor and return its form fields as the browser would send them."""
    page = html_of(client.get(f"/authoring/modules/{module_id}/edit/{language}"))
    fields = {
        "csrf_token": csrf_token_from(page),
        "draft_id": re.search(r'name="draft_id"[^>]*value="(\d+)"', page).group(1),
        "lock_version": re.search(r'name="lock_version"[^>]*value="(\d+)"', page).group(1),
    }
    for name in ("title", "tags", "minutes", "revision", "translates", "valid_days"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        if match:
            fields[name] = match.group(1)
    for name in ("summary", "markdown"):
        match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.S)
        fields[name] = __import__("html").unescape(match.group(1)) if match else ""
    return fields


def test_trainers_see_only_their_providers_modules_and_admins_see_all(app, client, cast):
    _org, people, _modules = cast
    login_as(client, people["trainer"])
    page = html_of(client.get("/authoring/modules"))
    assert "ours" in page and "theirs" not in page
    login_as(client, people["admin"])
    page = html_of(client.get("/authoring/modules"))
    assert "ours" in page and "theirs" in page


def test_another_providers_trainer_gets_404_on_every_module_url(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    media = db.session.scalar(select(MediaFile).where(MediaFile.module_id == ours.id))
    # An unpublished upload: only trainers of the provider may fetch it.
    draft_media = MediaFile(
        module_id=ours.id,
        sha256="0" * 64,
        stored_name="x.png",
        original_name="media/new.png",
        mime="image/png",
        size=1,
    )
    db.session.add(draft_media)
    db.session.commit()
    login_as(client, people["other"])
    token = csrf_token_from(html_of(client.get("/authoring/modules/new")))
    base = f"/authoring/modules/{ours.id}"
    for url in (
        base,
        f"{base}/edit/en",
        f"{base}/edit/en/pages/1",
        f"{base}/versions",
        f"{base}/diff?old=1&new=1&lang=en",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"{base}/edit/en",
        f"{base}/edit/en/discard",
        f"{base}/publish",
        f"{base}/archive",
        f"{base}/unarchive",
        f"{base}/media",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    preview = client.post(f"{base}/preview", json={"markdown": "x"}, headers={"X-CSRFToken": token})
    assert preview.status_code == 404
    assert client.get(f"/media/{draft_media.id}/new.png").status_code == 404
    # The published picture is public to every signed-in learner, trainers included.
    assert client.get(f"/media/{media.id}/pic.png").status_code == 200


def test_learners_cannot_open_authoring(app, client, cast):
    _org, people, modules = cast
    login_as(client, people["learner"])
    assert client.get("/authoring/modules").status_code == 403
    assert client.get(f"/authoring/modules/{modules['ours'].id}/edit/en").status_code == 403


def test_create_write_save_and_publish_a_module(app, client, cast):
    _org, people, _modules = cast
    login_as(client, people["trainer"])
    page = html_of(client.get("/authoring/modules/new"))
    response = client.post(
        "/authoring/modules/new",
        data={
            "csrf_token": csrf_token_from(page),
            "slug": "help-at-the-counter",
            "title": "Help at the counter",
            "provider": str(cast[0].provider.id),
            "source_language": "en",
        },
    )
    assert response.status_code == 302, html_of(response)
    module = db.session.scalar(select(Module).where(Module.slug == "help-at-the-counter"))
    assert module.status == ModuleStatus.DRAFT
    assert response.headers["Location"].endswith(f"/authoring/modules/{module.id}/edit/en")
    fields = editor_form(client, module.id, "en")
    fields.update(
        summary="How to help.",
        tags="counter, help",
        markdown=(
            "## First\n\nHello **there**.\n\n> [!SAY]\n> Type it yourself.\n\n## Second\n\nBye."
        ),
    )
    response = client.post(f"/authoring/modules/{module.id}/edit/en", data=fields)
    assert response.status_code == 303, html_of(response)
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    assert (draft.tags, draft.lock_version) == (["counter", "help"], 2)
    # The tablet preview shows the saved draft's page.
    preview = html_of(client.get(f"/authoring/modules/{module.id}/edit/en/pages/2"))
    assert 'class="tablet-frame"' in preview and "Bye." in preview
    page = html_of(client.get(f"/authoring/modules/{module.id}"))
    response = client.post(
        f"/authoring/modules/{module.id}/publish",
        data={
            "csrf_token": csrf_token_from(page),
            "change_note": "First version",
            "change_kind": "minor",
        },
    )
    assert response.status_code == 303, html_of(response)
    db.session.expire_all()
    module = db.session.get(Module, module.id)
    version = module.current_version
    assert (module.status, version.number, version.is_major) == (ModuleStatus.PUBLISHED, 1, True)
    assert version.published_by_id == people["trainer"].id
    assert count(ModuleDraft) == 0
    pages = version.variants[0].pages
    assert [p.title for p in pages] == ["First", "Second"]
    assert "<strong>there</strong>" in pages[0].html and "callout-say" in pages[0].html
    # Learners can read it now.
    login_as(client, people["learner"])
    assert "Hello" in html_of(client.get("/modules/help-at-the-counter/pages/1"))


def test_a_stale_save_is_refused_naming_who_saved_in_between(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    other_client = app.test_client()
    login_as(client, people["trainer"])
    login_as(other_client, people["colleague"])
    mine = editor_form(client, ours.id, "en")
    theirs = editor_form(other_client, ours.id, "en")
    assert mine["draft_id"] == theirs["draft_id"] == "0"
    theirs["markdown"] = theirs["markdown"] + "\n\nColleague's sentence."
    assert (
        other_client.post(f"/authoring/modules/{ours.id}/edit/en", data=theirs).status_code == 303
    )
    mine["markdown"] = mine["markdown"] + "\n\nMy sentence."
    response = client.post(f"/authoring/modules/{ours.id}/edit/en", data=mine)
    assert response.status_code == 409
    page = html_of(response)
    assert people["colleague"].display_name in page
    assert "Your changes were not saved" in page
    assert "My sentence." in page  # the author's text is kept in the form
    assert "Colleague&#39;s sentence." in page  # and the difference is shown
    draft = db.session.scalar(select(ModuleDraft))
    assert "My sentence" not in draft.markdown and "Colleague's sentence." in draft.markdown
    # A second stale save of an existing draft is refused as well.
    fresh = editor_form(other_client, ours.id, "en")
    fresh["markdown"] += "\n\nAgain."
    assert other_client.post(f"/authoring/modules/{ours.id}/edit/en", data=fresh).status_code == 303
    theirs["markdown"] += "\n\nStale."
    theirs.update(draft_id=fresh["draft_id"], lock_version=fresh["lock_version"])
    assert (
        other_client.post(f"/authoring/modules/{ours.id}/edit/en", data=theirs).status_code == 409
    )


def test_saving_after_the_draft_was_published_is_refused(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    stale = editor_form(client, ours.id, "en")
    stale["markdown"] += "\n\nFirst change."
    client.post(f"/authoring/modules/{ours.id}/edit/en", data=stale)
    stale = editor_form(client, ours.id, "en")
    page = html_of(client.get(f"/authoring/modules/{ours.id}"))
    client.post(
        f"/authoring/modules/{ours.id}/publish",
        data={"csrf_token": csrf_token_from(page), "change_note": "x", "change_kind": "minor"},
    )
    stale["markdown"] += "\n\nLate change."
    response = client.post(f"/authoring/modules/{ours.id}/edit/en", data=stale)
    assert response.status_code == 409
    assert "published or discarded this draft" in html_of(response)


def test_two_racing_saves_are_settled_by_the_lock_column(app, cast):
    """The check in save_draft is backed by the UPDATE's `lock_version = ?` condition."""
    from sqlalchemy import update

    from app.content.operations import DraftConflict, DraftFields, save_draft
    from app.timekeeping.clock import now
    from tests.content.builders import in_transaction

    _org, people, modules = cast
    ours = modules["ours"]
    fields = DraftFields(title="T", summary="S", tags=[], minutes=5, markdown="## A\n\nB")
    with in_transaction():
        draft = save_draft(
            db.session,
            ours,
            "en",
            fields,
            draft_id=0,
            lock_version=0,
            actor=people["trainer"],
            now=now(),
        )
        db.session.commit()
        draft_id = draft.id
        assert draft.lock_version == 1
    with in_transaction():
        draft = db.session.get(ModuleDraft, draft_id)
        assert draft.lock_version == 1
        # Another worker's save lands between our read and our write (behind the ORM's back).
        db.session.connection().execute(
            update(ModuleDraft.__table__)
            .where(ModuleDraft.__table__.c.id == draft_id)
            .values(lock_version=2)
        )
        with pytest.raises(DraftConflict):
            save_draft(
                db.session,
                ours,
                "en",
                fields,
                draft_id=draft_id,
                lock_version=1,
                actor=people["trainer"],
                now=now(),
            )


def test_publishing_refuses_broken_drafts_with_their_line(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    fields = editor_form(client, ours.id, "fr")
    fields["markdown"] = "## Un\n\nTexte.\n\n## Deux\n\n![Image](media/absent.png)"
    assert client.post(f"/authoring/modules/{ours.id}/edit/fr", data=fields).status_code == 303
    page = html_of(client.get(f"/authoring/modules/{ours.id}"))
    response = client.post(
        f"/authoring/modules/{ours.id}/publish",
        data={"csrf_token": csrf_token_from(page), "change_note": "x", "change_kind": "major"},
    )
    assert response.status_code == 422
    text = html_of(response)
    assert "French, line 7 of the text: &#39;media/absent.png&#39; does not exist" in text
    assert len(ours.current_version.variants) == 2 and ours.current_version.number == 1


def test_publishing_a_change_makes_a_new_version_with_a_readable_diff(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    fields = editor_form(client, ours.id, "en")
    fields["markdown"] = fields["markdown"].replace(
        "Second page.", "Second page, <script>alert(1)</script> changed."
    )
    fields["revision"] = "2"
    client.post(f"/authoring/modules/{ours.id}/edit/en", data=fields)
    page = html_of(client.get(f"/authoring/modules/{ours.id}"))
    response = client.post(
        f"/authoring/modules/{ours.id}/publish",
        data={
            "csrf_token": csrf_token_from(page),
            "change_note": "Clearer",
            "change_kind": "major",
        },
    )
    assert response.status_code == 303, html_of(response)
    versions = db.session.scalars(
        select(ModuleVersion)
        .where(ModuleVersion.module_id == ours.id)
        .order_by(ModuleVersion.number)
    ).all()
    assert [(v.number, v.is_major) for v in versions] == [(1, True), (2, True)]
    variants = {v.language: v for v in versions[1].variants}
    assert variants["fr"].is_outdated and not variants["en"].is_outdated
    assert "<script>" not in variants["en"].pages[1].html
    listing = html_of(client.get("/authoring/modules"))
    assert "translation out of date" in listing
    history = html_of(client.get(f"/authoring/modules/{ours.id}/versions"))
    assert "Clearer" in history and "major" in history
    diff = html_of(client.get(f"/authoring/modules/{ours.id}/diff?old=1&new=2&lang=en"))
    assert '<tr class="diff-removed">' in diff and '<tr class="diff-added">' in diff
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in diff
    assert "<script>alert" not in diff
    assert client.get(f"/authoring/modules/{ours.id}/diff?old=1&new=9&lang=en").status_code == 404


def test_upload_accepts_images_by_content_and_refuses_others_with_a_field_message(
    app, client, cast
):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    page = html_of(client.get(f"/authoring/modules/{ours.id}/edit/en"))
    token = csrf_token_from(page)

    def upload(data: bytes, name: str):
        return client.post(
            f"/authoring/modules/{ours.id}/media",
            data={"csrf_token": token, "language": "en", "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    response = upload(tiny_png(3, 3), "Écran de connexion.PNG")
    assert response.status_code == 303
    media = db.session.scalar(
        select(MediaFile).where(MediaFile.original_name == "media/ecran-de-connexion.png")
    )
    assert media is not None and media.mime == "image/png"
    assert re.fullmatch(r"[0-9a-f]{32}\.png", media.stored_name)
    editor = html_of(client.get(f"/authoring/modules/{ours.id}/edit/en"))
    assert "![Ecran de connexion](media/ecran-de-connexion.png)" in editor

    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    for data, name in (
        (svg, "drawing.svg"),
        (b"<html><script>alert(1)</script></html>", "page.png"),
        (b"GIF89a<script>alert(1)</script>", "polyglot.gif"),
    ):
        response = upload(data, name)
        assert response.status_code == 422, name
        text = html_of(response)
        assert 'id="file-error"' in text and "not an image, video or PDF we accept" in text
    app.config["CONTENT_MAX_IMAGE_BYTES"] = 100
    response = upload(tiny_png(40, 40, (1, 2, 3)) + b"\0" * 200, "big.png")
    assert response.status_code == 422
    assert "The file is too large" in html_of(response)
    response = client.post(
        f"/authoring/modules/{ours.id}/media",
        data={"csrf_token": token, "language": "en"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "Choose a file." in html_of(response)
    assert count(MediaFile) == 2  # the imported picture and the one accepted upload


def test_live_preview_returns_sanitised_html_and_needs_the_csrf_header(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    token = csrf_token_from(html_of(client.get(f"/authoring/modules/{ours.id}/edit/en")))
    url = f"/authoring/modules/{ours.id}/preview"
    markdown = (
        "Hello **world** <script>alert(1)</script> [x](javascript:alert(1))\n\n"
        "![A picture](media/pic.png)\n\n![](nothing.png)"
    )
    assert client.post(url, json={"markdown": markdown}).status_code == 400
    response = client.post(url, json={"markdown": markdown}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    html = response.json["html"]
    assert "<strong>world</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert re.search(r'<img alt="A picture" src="/media/\d+/pic.png">', html)
    assert any("alt text" in warning for warning in response.json["warnings"])


def test_archive_hides_the_module_from_learners_and_unarchive_brings_it_back(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    learner = app.test_client()
    login_as(learner, people["learner"])
    login_as(client, people["admin"])
    token = csrf_token_from(html_of(client.get(f"/authoring/modules/{ours.id}")))
    assert (
        client.post(f"/authoring/modules/{ours.id}/archive", data={"csrf_token": token}).status_code
        == 303
    )
    assert learner.get("/modules/ours").status_code == 404
    assert (
        client.post(
            f"/authoring/modules/{ours.id}/unarchive", data={"csrf_token": token}
        ).status_code
        == 303
    )
    assert learner.get("/modules/ours").status_code == 200


def test_discarding_a_draft(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    fields = editor_form(client, ours.id, "en")
    fields["markdown"] += "\n\nMore."
    client.post(f"/authoring/modules/{ours.id}/edit/en", data=fields)
    assert count(ModuleDraft) == 1
    token = csrf_token_from(html_of(client.get(f"/authoring/modules/{ours.id}")))
    response = client.post(
        f"/authoring/modules/{ours.id}/edit/en/discard", data={"csrf_token": token}
    )
    assert response.status_code == 303 and count(ModuleDraft) == 0


def test_nothing_to_publish(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    token = csrf_token_from(html_of(client.get(f"/authoring/modules/{ours.id}")))
    response = client.post(
        f"/authoring/modules/{ours.id}/publish",
        data={"csrf_token": token, "change_note": "x", "change_kind": "minor"},
    )
    assert response.status_code == 422 and "no changes to publish" in html_of(response)


def test_the_editor_warns_when_a_newer_version_came_after_the_draft(app, client, cast, tmp_path):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    fields = editor_form(client, ours.id, "en")
    fields["markdown"] += "\n\nDraft text."
    client.post(f"/authoring/modules/{ours.id}/edit/en", data=fields)
    assert "was published after this draft was started" not in html_of(
        client.get(f"/authoring/modules/{ours.id}/edit/en")
    )
    write_module(
        tmp_path / "lib",
        "ours",
        languages=("en",),
        source_language="en",
        media={"media/pic.png": tiny_png()},
        body="## One\n\nImported change.\n",
    )
    (tmp_path / "lib" / "ours" / "index.fr.md").unlink()
    import_paths([tmp_path / "lib" / "ours"])
    page = html_of(client.get(f"/authoring/modules/{ours.id}/edit/en"))
    assert "Version 2 was published after this draft was started" in page


def test_a_new_module_needs_a_free_id_and_one_of_the_trainers_providers(app, client, cast):
    org, people, _modules = cast
    login_as(client, people["trainer"])
    token = csrf_token_from(html_of(client.get("/authoring/modules/new")))
    data = {
        "csrf_token": token,
        "slug": "ours",
        "title": "Again",
        "provider": str(org.provider.id),
        "source_language": "fr",
    }
    response = client.post("/authoring/modules/new", data=data)
    assert response.status_code == 200
    assert "The id &#39;ours&#39; is already used by another module." in html_of(response)
    response = client.post(
        "/authoring/modules/new",
        data={**data, "slug": "new-one", "provider": str(org.other_provider.id)},
    )
    assert response.status_code == 200 and "Not a valid choice" in html_of(response)
    assert db.session.scalar(select(Module).where(Module.slug == "new-one")) is None


def test_a_nul_character_in_the_editor_is_a_field_error(app, client, cast):
    _org, people, modules = cast
    ours = modules["ours"]
    login_as(client, people["trainer"])
    fields = editor_form(client, ours.id, "en")
    fields["markdown"] += "\n\nBad\x00byte"
    response = client.post(f"/authoring/modules/{ours.id}/edit/en", data=fields)
    assert response.status_code == 422
    assert "The text contains an invalid character (NUL)" in html_of(response)
    assert count(ModuleDraft) == 0
