"""Sharing in the browser and the shell: who may export and import, the preview, the confirm."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.content.media_files import media_folder
from app.content.models import Module
from app.extensions import db
from app.module_packages.pending_uploads import pending_folder
from app.people.models import Role
from app.platform.hooks import TICK_TASKS
from tests.conftest import csrf_token_from, login_as
from tests.content.builders import in_transaction
from tests.factories import make_org, make_user
from tests.module_packages.package_builders import (
    counts,
    files_under,
    read_manifest,
    rewrite_package,
    shipped_module,
)

EXPORT = "/authoring/packages/export/{id}"
UPLOAD = "/authoring/packages/import"
PREVIEW = "/authoring/packages/import/preview"
CONFIRM = "/authoring/packages/import/confirm"
CANCEL = "/authoring/packages/import/cancel"
PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    app_config["PUBLIC_BASE_URL"] = "https://ready.jura.example"
    return app_config


@pytest.fixture
def cast(app, tmp_path):
    """Provider A's module with media and quiz; trainers of A and B, an admin and a learner."""
    org = make_org()
    shipped_module(tmp_path / "library", provider=org.provider.slug)
    people = {
        "trainer_a": make_user(org.branch_a1, Role.TRAINER, provider=org.provider),
        "trainer_b": make_user(org.branch_b1, Role.TRAINER, provider=org.other_provider),
        "learner": make_user(org.branch_b1),
    }
    module = db.session.scalar(select(Module).where(Module.slug == "tax-online"))
    return org, people, module


def page(response) -> str:
    return response.get_data(as_text=True)


def download(client, module_id: int, licence: str = "CC-BY-4.0"):
    token = csrf_token_from(page(client.get(f"/authoring/modules/{module_id}")))
    return client.post(EXPORT.format(id=module_id), data={"csrf_token": token, "licence": licence})


def upload(client, data: bytes, name: str = "tax-online.zip"):
    token = csrf_token_from(page(client.get(UPLOAD)))
    return client.post(
        UPLOAD,
        data={"csrf_token": token, "package": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_trainer_b_imports_what_trainer_a_shared_and_the_learner_sees_the_origin(app, client, cast):
    org, people, module = cast
    login_as(client, people["trainer_a"])
    shown = page(client.get(f"/authoring/modules/{module.id}"))
    assert "Share with other providers" in shown
    response = download(client, module.id)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "tax-online-v1.zip" in response.headers["Content-Disposition"]
    package = response.get_data()
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert "manifest.json" in archive.namelist()

    login_as(client, people["trainer_b"])
    response = upload(client, package)
    assert response.status_code == 303 and response.headers["Location"].endswith(PREVIEW)
    preview = page(client.get(PREVIEW))
    assert "Jura IT – https://ready.jura.example" in preview
    assert "CC-BY-4.0" in preview
    assert "The quiz “Check: online tax return” (2 questions) as tax-online-bs-it-quiz." in preview
    # The package's id is taken here, so the form suggests one with the provider's id.
    assert 'value="tax-online-bs-it"' in preview
    before = counts()
    response = client.post(
        CONFIRM,
        data={
            "csrf_token": csrf_token_from(preview),
            "slug": "steuern-online",
            "provider": str(org.other_provider.id),
        },
    )
    assert response.status_code == 303, page(response)
    copy = db.session.scalar(select(Module).where(Module.slug == "steuern-online"))
    assert copy is not None and copy.provider_id == org.other_provider.id
    assert response.headers["Location"].endswith(f"/authoring/modules/{copy.id}")
    assert counts()["Module"] == before["Module"] + 1
    assert files_under(pending_folder(app.config["UPLOAD_PATH"])) == []
    editor = page(client.get(f"/authoring/modules/{copy.id}"))
    assert "Original author" in editor and "Jura IT – https://ready.jura.example" in editor

    login_as(client, people["learner"])
    learner_page = page(client.get("/modules/steuern-online"))
    assert "Adapted from “Module tax-online (en)” by Jura IT (ready.jura.example)." in learner_page
    assert 'href="https://spdx.org/licenses/CC-BY-4.0.html" rel="license' in learner_page
    assert "Adapted from" not in page(client.get("/modules/tax-online"))


def test_export_needs_a_licence_and_a_trainer_of_the_modules_provider(client, cast):
    _, people, module = cast
    login_as(client, people["trainer_a"])
    response = download(client, module.id, licence="")
    assert response.status_code == 303
    assert "Choose the licence under which others may use the module." in page(
        client.get(response.headers["Location"])
    )
    login_as(client, people["trainer_b"])
    token = csrf_token_from(page(client.get(UPLOAD)))
    refused = client.post(
        EXPORT.format(id=module.id), data={"csrf_token": token, "licence": "CC-BY-4.0"}
    )
    assert refused.status_code == 404
    login_as(client, people["learner"])
    assert client.post(EXPORT.format(id=module.id), data={"csrf_token": token}).status_code == 403


def test_learners_cannot_open_the_import_and_posts_need_the_csrf_token(client, cast):
    _, people, _ = cast
    login_as(client, people["learner"])
    assert client.get(UPLOAD).status_code == 403
    token = csrf_token_from(page(client.get("/modules")))
    assert client.post(CONFIRM, data={"csrf_token": token, "slug": "x"}).status_code == 403
    assert client.post(CANCEL, data={"csrf_token": token}).status_code == 403
    login_as(client, people["trainer_b"])
    missing = client.post(
        UPLOAD,
        data={"package": (io.BytesIO(b"PK"), "p.zip")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 400


def test_a_tampered_upload_is_refused_by_name_and_nothing_waits_or_is_saved(
    app, client, cast, tmp_path
):
    _, people, module = cast
    login_as(client, people["trainer_a"])
    package = tmp_path / "p.zip"
    package.write_bytes(download(client, module.id).get_data())
    with zipfile.ZipFile(package) as archive:
        text = archive.read("courses/tax-online/index.en.md")
    bad = rewrite_package(
        package,
        tmp_path / "bad.zip",
        replace={"courses/tax-online/index.en.md": text.replace(b"slowly", b"sneaky")},
    )
    login_as(client, people["trainer_b"])
    before = counts()
    stored = files_under(media_folder())
    response = upload(client, bad.read_bytes())
    assert response.status_code == 422
    assert "nothing was saved" in page(response)
    assert "courses/tax-online/index.en.md: the file does not match its checksum" in page(response)
    assert counts() == before
    assert files_under(media_folder()) == stored
    assert files_under(pending_folder(app.config["UPLOAD_PATH"])) == []
    assert client.get(PREVIEW).status_code == 302  # nothing waits for a confirmation


def test_the_copy_goes_only_to_a_provider_the_trainer_trains_and_a_taken_id_is_refused(
    app, client, cast
):
    org, people, module = cast
    login_as(client, people["trainer_a"])
    package = download(client, module.id).get_data()
    login_as(client, people["trainer_b"])
    upload(client, package)
    token = csrf_token_from(page(client.get(PREVIEW)))
    before = counts()
    other = client.post(
        CONFIRM, data={"csrf_token": token, "slug": "mine", "provider": str(org.provider.id)}
    )
    assert other.status_code == 422
    assert "Not a valid choice" in page(other)
    taken = client.post(
        CONFIRM,
        data={"csrf_token": token, "slug": "tax-online", "provider": str(org.other_provider.id)},
    )
    assert taken.status_code == 422
    assert "already used by another module" in page(taken)
    assert counts() == before
    cancelled = client.post(CANCEL, data={"csrf_token": token})
    assert cancelled.status_code == 303
    assert files_under(pending_folder(app.config["UPLOAD_PATH"])) == []


def test_the_shell_exports_and_imports_and_refuses_a_tampered_package(app, runner, cast, tmp_path):
    org, _, _ = cast
    target = tmp_path / "shared.zip"
    result = runner.invoke(
        args=[
            "content",
            "package",
            "export",
            "tax-online",
            str(target),
            "--licence",
            "CC-BY-SA-4.0",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "licence CC-BY-SA-4.0" in result.output
    result = runner.invoke(
        args=["content", "package", "import", str(target), "--provider", org.other_provider.slug]
    )
    assert result.exit_code == 1
    assert "already used" in result.output
    before = counts()
    stored = files_under(media_folder())
    with in_transaction():  # a real transaction, as in `flask`, so the rollback undoes
        result = runner.invoke(
            args=[
                *("content", "package", "import", str(target)),
                *("--provider", org.other_provider.slug, "--id", "trial", "--dry-run"),
            ]
        )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dry run, nothing written: would import trial: copy of")
    assert counts() == before
    assert files_under(media_folder()) == stored
    result = runner.invoke(
        args=[
            "content",
            "package",
            "import",
            str(target),
            "--provider",
            org.other_provider.slug,
            "--id",
            "tax-online-basel",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "copy of 'tax-online' by Jura IT (https://ready.jura.example)" in result.output
    copy = db.session.scalar(select(Module).where(Module.slug == "tax-online-basel"))
    assert copy.licence_spdx == "CC-BY-SA-4.0"

    bad = rewrite_package(target, tmp_path / "bad.zip", drop=("manifest.json",))
    before = counts()
    result = runner.invoke(
        args=["content", "package", "import", str(bad), "--provider", "bs-it", "--id", "x"]
    )
    assert result.exit_code == 1
    assert "manifest.json: the package has no manifest.json" in result.output
    assert "Nothing was imported" in result.output
    assert counts() == before


def test_markup_in_a_manifest_is_shown_as_text_in_the_preview(client, cast, tmp_path):
    _, people, module = cast
    login_as(client, people["trainer_a"])
    package = tmp_path / "p.zip"
    package.write_bytes(download(client, module.id).get_data())
    manifest = read_manifest(package)
    manifest["origin"]["provider"] = PAYLOAD
    manifest["licence"]["text"] = PAYLOAD
    marked = rewrite_package(package, tmp_path / "marked.zip", manifest=manifest)
    login_as(client, people["trainer_b"])
    assert upload(client, marked.read_bytes()).status_code == 303
    preview = page(client.get(PREVIEW))
    assert PAYLOAD not in preview
    assert "&lt;img src=x onerror=alert(1)&gt;" in preview


def test_packages_waiting_longer_than_a_day_are_removed_by_the_tick(app, client, cast):
    _, people, module = cast
    login_as(client, people["trainer_a"])
    package = download(client, module.id).get_data()
    login_as(client, people["trainer_b"])
    upload(client, package)
    folder = pending_folder(app.config["UPLOAD_PATH"])
    assert len(files_under(folder)) == 1
    tasks = TICK_TASKS.receivers(app)
    task = next(t for t in tasks if t.__name__ == "discard_stale_uploads")
    task(db.session, datetime.now(UTC) + timedelta(hours=23))
    assert len(files_under(folder)) == 1
    task(db.session, datetime.now(UTC) + timedelta(hours=25))
    assert files_under(folder) == []
    assert client.get(PREVIEW).status_code == 302


def test_an_upload_over_the_limit_is_refused_by_its_own_name_and_not_kept(app, client, cast):
    _, people, module = cast
    login_as(client, people["trainer_a"])
    package = download(client, module.id).get_data()
    app.config["MODULE_PACKAGE_MAX_BYTES"] = 1000
    login_as(client, people["trainer_b"])
    response = upload(client, package, name="C:\\Users\\me\\steuern.zip")
    assert response.status_code == 422
    assert "steuern.zip: the package is too large (more than 1000 bytes)" in page(response)
    assert files_under(pending_folder(app.config["UPLOAD_PATH"])) == []
