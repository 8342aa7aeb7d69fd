"""Trainer editing without loss: publishing asks minor or major, uploads keep the text."""

from __future__ import annotations

from app.content.models import ModuleDraft, ModuleVersion
from app.extensions import db
from tests.conftest import csrf_token_from, login_as
from tests.content import test_views_authoring as authoring
from tests.content.builders import count
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
