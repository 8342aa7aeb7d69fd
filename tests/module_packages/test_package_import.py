"""Export from one provider, import as another: an equal copy with its origin and licence, or
nothing at all (no rows, no media files) when the package is refused or the import fails."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app.assessment.models import Quiz
from app.assessment.operations import definition_of
from app.content.media_files import media_folder
from app.content.models import MediaFile, Module, VersionMedia
from app.extensions import db
from app.module_packages import package_import
from app.module_packages.package_export import ExportRefused, choose_licence, export_package
from app.module_packages.package_format.manifest import PackageLimits, PackageRefused
from app.module_packages.package_import import SlugRefused, import_package, suggest_slug
from app.module_packages.queries import origin_of
from app.people.models import Provider
from app.platform.audit import AuditEvent
from tests.content.builders import in_transaction
from tests.factories import make_org
from tests.module_packages.package_builders import (
    LICENCE,
    NOW,
    counts,
    files_under,
    read_manifest,
    repack,
    rewrite_package,
    shipped_module,
    symlink_info,
    zeros_bomb,
    zip_with,
)

LIMITS = PackageLimits(max_total_bytes=4 * 2**20, max_file_bytes=2**20)


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


@pytest.fixture
def shared(app, tmp_path):
    """Provider A's published module with a picture and a quiz, exported as a package."""
    org = make_org()
    shipped_module(tmp_path / "library", provider=org.provider.slug)
    module = db.session.scalar(select(Module).where(Module.slug == "tax-online"))
    package = tmp_path / "tax-online.zip"
    export_package(
        db.session,
        module,
        package,
        licence=LICENCE,
        installation="https://ready.jura.example",
        media_folder=media_folder(),
        actor=None,
        now=NOW,
    )
    db.session.commit()
    return org, module, package


def import_as(provider: Provider, package: Path, slug: str) -> Module:
    module = import_package(
        db.session,
        package,
        provider=provider,
        slug=slug,
        actor=None,
        now=NOW,
        limits=LIMITS,
        media_store=media_folder(),
    )
    db.session.commit()
    return module


def test_the_package_holds_every_language_the_media_and_the_quiz(shared):
    _, module, package = shared
    with zipfile.ZipFile(package) as archive:
        names = sorted(archive.namelist())
    assert names == [
        "courses/tax-online/index.en.md",
        "courses/tax-online/index.fr.md",
        "courses/tax-online/media/login.png",
        "manifest.json",
        "quizzes/tax-online-quiz.yaml",
    ]
    manifest = read_manifest(package)
    assert manifest["format_version"] == 1
    assert manifest["module"]["content_version"] == 1
    assert manifest["module"]["languages"] == ["en", "fr"]
    assert manifest["licence"]["spdx"] == "CC-BY-4.0"
    assert manifest["origin"] == {
        "provider": "Jura IT",
        "installation": "https://ready.jura.example",
        "slug": "tax-online",
        "title": "Module tax-online (en)",
        "content_version": 1,
        "upstream": [],
    }
    assert manifest["created_at"] == "2027-02-01T09:30:00Z"
    exported = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "module.package_exported")
    )
    assert exported is not None and exported.object_id == module.id


def test_round_trip_gives_provider_b_an_equal_copy_with_origin_and_licence(shared):
    org, original, package = shared
    copy = import_as(org.other_provider, package, "tax-online-bs")

    assert copy.provider_id == org.other_provider.id
    assert copy.source_language == "en"
    assert copy.current_version is not None and copy.current_version.number == 1
    old = {v.language: v for v in original.current_version.variants}
    new = {v.language: v for v in copy.current_version.variants}
    assert sorted(new) == ["en", "fr"]
    for language in ("en", "fr"):
        assert new[language].title == old[language].title
        assert new[language].summary == old[language].summary
        assert new[language].markdown == old[language].markdown
        assert [p.title for p in new[language].pages] == [p.title for p in old[language].pages]
        assert [p.text for p in new[language].pages] == [p.text for p in old[language].pages]

    def media_bytes(module: Module) -> dict[str, str]:
        links = db.session.scalars(
            select(VersionMedia).where(VersionMedia.version_id == module.current_version_id)
        )
        return {
            link.path: hashlib.sha256(
                (media_folder() / link.media.stored_name).read_bytes()
            ).hexdigest()
            for link in links
        }

    assert media_bytes(copy) == media_bytes(original) != {}
    assert "media/" in new["en"].pages[0].html  # the copy's page shows its own picture

    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == copy.id))
    original_quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == original.id))
    assert quiz.provider_id == org.other_provider.id
    assert quiz.slug != original_quiz.slug  # the original's id is taken on this platform
    copied = definition_of(quiz.current_version)
    source = definition_of(original_quiz.current_version)
    assert copied.module_id == "tax-online-bs"
    assert copied.questions == source.questions
    assert copied.title == source.title and copied.pass_mark == source.pass_mark

    assert copy.licence_spdx == "CC-BY-4.0"
    assert copy.origin["provider"] == "Jura IT"
    assert copy.origin["installation"] == "https://ready.jura.example"
    assert copy.origin["slug"] == "tax-online"
    origin = origin_of(copy)
    assert origin.installation_host == "ready.jura.example"
    assert origin.licence_url == "https://spdx.org/licenses/CC-BY-4.0.html"
    # The original is untouched.
    assert original.provider_id == org.provider.id and original.origin is None
    assert original.current_version.number == 1
    imported = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "module.package_imported")
    )
    assert imported is not None and imported.object_id == copy.id


def test_a_copy_shared_again_keeps_its_licence_and_names_the_first_author(shared, tmp_path):
    org, _, package = shared
    copy = import_as(org.other_provider, package, "tax-online-bs")
    with pytest.raises(ExportRefused):
        choose_licence(Module(), None)
    assert choose_licence(copy, "CC0-1.0") == LICENCE  # received terms, not the new choice
    again = tmp_path / "again.zip"
    export_package(
        db.session,
        copy,
        again,
        licence=choose_licence(copy, "CC0-1.0"),
        installation="https://ready.basel.example",
        media_folder=media_folder(),
        actor=None,
        now=NOW,
    )
    manifest = read_manifest(again)
    assert manifest["licence"]["spdx"] == "CC-BY-4.0"
    assert manifest["origin"]["provider"] == "Basel IT"
    assert manifest["origin"]["upstream"][0]["provider"] == "Jura IT"
    assert manifest["origin"]["upstream"][0]["installation"] == "https://ready.jura.example"


def test_a_taken_id_is_refused_and_another_is_suggested(shared):
    org, _, package = shared
    before = counts()
    with in_transaction(), pytest.raises(SlugRefused) as caught:
        import_package(
            db.session,
            package,
            provider=org.other_provider,
            slug="tax-online",
            actor=None,
            now=NOW,
            limits=LIMITS,
            media_store=media_folder(),
        )
    assert "already used by another module" in str(caught.value)
    assert counts() == before
    assert suggest_slug(db.session, "tax-online", org.other_provider) == "tax-online-bs-it"


def refused_import(package: Path, provider: Provider, limits: PackageLimits = LIMITS) -> list[str]:
    """Import in a real transaction; return the problems, having rolled back."""
    with in_transaction(), pytest.raises(PackageRefused) as caught:
        import_package(
            db.session,
            package,
            provider=provider,
            slug="the-copy",
            actor=None,
            now=NOW,
            limits=limits,
            media_store=media_folder(),
        )
    return [str(p) for p in caught.value.problems]


def crafted_packages(package: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    """Each malicious or damaged package, with the start of the message it must get."""
    manifest = read_manifest(package)
    v2 = dict(manifest, format_version=2)
    with zipfile.ZipFile(package) as archive:
        text = archive.read("courses/tax-online/index.en.md")
    tampered = text.replace(b"Have the letter ready.", b"Give me your password!")
    return {
        "climbing": (
            zip_with(tmp / "climb.zip", [("../x", b"x"), ("manifest.json", b"{}")]),
            "../x: paths that climb out of the package",
        ),
        "absolute": (
            zip_with(tmp / "abs.zip", [("/etc/x", b"x"), ("manifest.json", b"{}")]),
            "/etc/x: absolute paths are not allowed",
        ),
        "symlink": (
            zip_with(
                tmp / "link.zip",
                [(symlink_info("courses/tax-online/media/login.png"), b"/etc/passwd")],
            ),
            "courses/tax-online/media/login.png: links (symlinks)",
        ),
        "bomb": (
            zeros_bomb(tmp / "bomb.zip", "courses/tax-online/media/login.png", 20 * 2**20),
            "courses/tax-online/media/login.png: the file is too large",
        ),
        "tampered": (
            rewrite_package(
                package,
                tmp / "tampered.zip",
                replace={"courses/tax-online/index.en.md": tampered},
            ),
            "courses/tax-online/index.en.md: ",
        ),
        "version": (
            rewrite_package(package, tmp / "v2.zip", manifest=v2),
            "manifest.json: format version 2 is not supported",
        ),
        "no manifest": (
            rewrite_package(package, tmp / "bare.zip", drop=("manifest.json",)),
            "manifest.json: the package has no manifest.json",
        ),
    }


@pytest.mark.parametrize(
    "case", ["climbing", "absolute", "symlink", "bomb", "tampered", "version", "no manifest"]
)
def test_a_malicious_package_is_refused_with_its_file_named_and_nothing_saved(
    shared, tmp_path, case
):
    org, _, package = shared
    path, message = crafted_packages(package, tmp_path)[case]
    before = counts()
    stored = files_under(media_folder())
    problems = refused_import(path, org.other_provider)
    assert any(p.startswith(message) for p in problems), problems
    assert counts() == before
    assert files_under(media_folder()) == stored
    assert db.session.scalar(select(Module).where(Module.slug == "the-copy")) is None


def test_a_crash_after_the_media_were_staged_leaves_no_row_and_no_file(shared, monkeypatch):
    org, _, package = shared
    before = counts()
    stored = files_under(media_folder())
    staged: list[Path] = []

    def crash(*args, **kwargs):
        staged.extend(p for p in files_under(media_folder()) if ".staging" in p.parts)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(package_import, "record_event", crash)
    with in_transaction(), pytest.raises(RuntimeError):
        import_package(
            db.session,
            package,
            provider=org.other_provider,
            slug="the-copy",
            actor=None,
            now=NOW,
            limits=LIMITS,
            media_store=media_folder(),
        )
    # The picture was identical to provider A's but belongs to a new module: it was staged.
    assert staged, "the import should have staged the copy's picture before the crash"
    assert counts() == before
    assert files_under(media_folder()) == stored
    assert (
        db.session.scalar(select(MediaFile).join(Module).where(Module.slug == "the-copy")) is None
    )


def test_a_module_file_with_an_error_is_refused_with_its_archive_name_and_line(shared, tmp_path):
    org, _, package = shared
    with zipfile.ZipFile(package) as archive:
        text = archive.read("courses/tax-online/index.fr.md").decode()
    broken = text.replace("minutes: 5", "minutes: 500").encode()
    bad = repack(package, tmp_path / "minutes.zip", {"courses/tax-online/index.fr.md": broken})
    before = counts()
    problems = refused_import(bad, org.other_provider)
    line = text.split("\n").index("minutes: 5") + 1
    assert len(problems) == 1
    assert problems[0].startswith(f"courses/tax-online/index.fr.md:{line}: ")
    assert "minutes" in problems[0]
    assert counts() == before


def test_a_quiz_of_another_module_or_with_an_error_is_refused_by_its_archive_name(shared, tmp_path):
    org, _, package = shared
    name = "quizzes/tax-online-quiz.yaml"
    with zipfile.ZipFile(package) as archive:
        text = archive.read(name).decode()
    elsewhere = repack(
        package,
        tmp_path / "elsewhere.zip",
        {name: text.replace("module: tax-online", "module: payroll").encode()},
    )
    assert refused_import(elsewhere, org.other_provider) == [
        f"{name}: the quiz must have the id tax-online-quiz and belong to module tax-online"
    ]
    broken = repack(
        package,
        tmp_path / "broken.zip",
        {name: text.replace("pass_mark: 80", "pass_mark: 800").encode()},
    )
    problems = refused_import(broken, org.other_provider)
    assert problems and all(p.startswith(f"{name}:") for p in problems), problems
    assert "pass_mark" in " ".join(problems)
