"""Importing a library: all or nothing, content hashes, versions, media, translations, quizzes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.content.importing import ImportRefused, check_paths, import_library
from app.content.models import (
    MediaFile,
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    VersionMedia,
)
from app.extensions import db
from app.timekeeping.clock import now
from tests.content.builders import (
    COURSES,
    QUIZZES,
    count,
    import_paths,
    in_transaction,
    module_text,
    tiny_pdf,
    tiny_png,
    write_module,
)
from tests.factories import make_org


@pytest.fixture
def app_config(app_config, tmp_path):
    """Each test gets its own upload store, so files written (or not) can be counted."""
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


def stored_files(app) -> list[Path]:
    """Files in the test's media store, its staging folder included (empty between requests)."""
    folder = Path(app.config["UPLOAD_PATH"]) / "content"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def versions_of(slug: str) -> list[ModuleVersion]:
    return list(
        db.session.scalars(
            select(ModuleVersion)
            .join(Module, ModuleVersion.module_id == Module.id)
            .where(Module.slug == slug)
            .order_by(ModuleVersion.number)
        )
    )


def test_the_shipped_library_imports_and_a_second_import_changes_nothing(app):
    make_org()
    first = import_paths([COURSES, QUIZZES])
    assert first.created == len([p for p in COURSES.iterdir() if p.is_dir()]) >= 10
    assert first.quiz_report is not None and first.quiz_report.created
    versions, pages = count(ModuleVersion), count(ModulePage)
    again = import_paths([COURSES, QUIZZES])
    assert (again.created, again.new_versions, again.unchanged) == (0, 0, first.created)
    assert (count(ModuleVersion), count(ModulePage)) == (versions, pages)
    assert all(m.status == ModuleStatus.PUBLISHED for m in db.session.scalars(select(Module)))


def test_a_broken_file_in_a_library_of_twenty_imports_nothing(app, tmp_path):
    make_org()
    library = tmp_path / "library"
    for n in range(20):
        write_module(
            library,
            f"module-{n:02d}",
            media={"media/picture.png": tiny_png()},
            body=f"## One\n\n![A picture](media/picture.png)\n\n## Two\n\nText {n}.\n",
        )
    broken = library / "module-13" / "index.fr.md"
    text = broken.read_text().replace("minutes: 5", "minutes: 5\ncolour: blue")
    broken.write_text(text)
    with in_transaction(), pytest.raises(ImportRefused) as refused:
        import_paths([library])
    errors = [p for p in refused.value.problems if p.is_error]
    assert [str(p) for p in errors] == [f"{broken}:10: unknown front-matter key 'colour'"]
    db.session.rollback()
    assert (count(Module), count(ModuleVersion), count(MediaFile)) == (0, 0, 0)
    assert stored_files(app) == []


def test_an_unchanged_module_gets_no_version_and_a_changed_one_gets_a_minor_one(app, tmp_path):
    make_org()
    write_module(tmp_path, "alpha")
    write_module(tmp_path, "beta")
    first = import_paths([tmp_path])
    assert first.created == 2
    assert [v.is_major for v in versions_of("alpha")] == [True]  # a first version is major

    (tmp_path / "beta" / "index.fr.md").write_text(
        module_text("beta", version_note="Typo fixed").replace("Text of page 2", "Text, page 2")
    )
    second = import_paths([tmp_path])
    assert (second.created, second.new_versions, second.unchanged) == (0, 1, 1)
    assert [(v.number, v.is_major) for v in versions_of("beta")] == [(1, True), (2, False)]
    assert versions_of("beta")[1].change_note == "Typo fixed"
    beta = db.session.scalar(select(Module).where(Module.slug == "beta"))
    assert beta.current_version.number == 2
    # The first version is kept as it was.
    old_pages = versions_of("beta")[0].variants[0].pages
    assert "Text of page 2" in old_pages[1].html


def test_the_major_flag_marks_the_changed_modules_only(app, tmp_path):
    make_org()
    write_module(tmp_path, "alpha")
    write_module(tmp_path, "beta")
    import_paths([tmp_path])
    (tmp_path / "alpha" / "index.fr.md").write_text(module_text("alpha", minutes=9))
    report = import_paths([tmp_path], major=True)
    assert [(m.slug, m.outcome, m.is_major) for m in report.modules] == [
        ("alpha", "new_version", True),
        ("beta", "unchanged", False),
    ]
    assert [v.is_major for v in versions_of("alpha")] == [True, True]
    assert len(versions_of("beta")) == 1


def test_pages_are_rendered_once_with_media_under_generated_names(app, tmp_path):
    make_org()
    write_module(
        tmp_path,
        "with-media",
        media={"media/login.png": tiny_png(), "guide.pdf": tiny_pdf()},
        body=(
            "## Log in\n\n![The log-in page](media/login.png)\n\n"
            "[The guide](guide.pdf)\n\n> [!TIP]\n> Let them type.\n"
        ),
    )
    import_paths([tmp_path])
    media = {m.original_name: m for m in db.session.scalars(select(MediaFile))}
    assert set(media) == {"media/login.png", "guide.pdf"}
    assert media["media/login.png"].mime == "image/png"
    assert media["guide.pdf"].mime == "application/pdf"
    names = [p.name for p in stored_files(app)]
    assert sorted(names) == sorted(m.stored_name for m in media.values())
    assert all("login" not in name and "guide" not in name for name in names)
    page = db.session.scalar(select(ModulePage))
    png = media["media/login.png"]
    assert f'src="/media/{png.id}/login.png"' in page.html
    assert f'href="/media/{media["guide.pdf"].id}/guide.pdf"' in page.html
    assert 'class="callout callout-tip"' in page.html
    assert {link.path for link in db.session.scalars(select(VersionMedia))} == set(media)
    variant = db.session.scalar(select(ModuleVariant))
    assert "callout" in variant.key_points_html and "The log-in page" not in variant.key_points_html


def test_a_new_picture_at_the_same_path_makes_a_new_version_and_keeps_the_old_file(app, tmp_path):
    make_org()
    body = "## One\n\n![Screen](media/screen.png)\n"
    write_module(
        tmp_path, "screens", media={"media/screen.png": tiny_png(rgb=(1, 2, 3))}, body=body
    )
    import_paths([tmp_path])
    write_module(
        tmp_path, "screens", media={"media/screen.png": tiny_png(rgb=(9, 9, 9))}, body=body
    )
    report = import_paths([tmp_path])
    assert report.new_versions == 1
    assert count(MediaFile) == 2 and len(stored_files(app)) == 2
    first, second = versions_of("screens")
    first_id = db.session.scalar(
        select(VersionMedia.media_id).where(VersionMedia.version_id == first.id)
    )
    assert f"/media/{first_id}/" in first.variants[0].pages[0].html
    assert f"/media/{first_id}/" not in second.variants[0].pages[0].html


def test_translations_following_an_older_revision_are_marked_out_of_date(app, tmp_path):
    make_org()
    write_module(tmp_path, "multi", languages=("de", "fr", "it"), source_language="de", revision=1)
    import_paths([tmp_path])
    write_module(
        tmp_path,
        "multi",
        languages=("de",),
        source_language="de",
        revision=2,
        body="## Neu\n\nNeuer Text.\n",
    )
    # The French file follows revision 2, the Italian one still revision 1.
    write_module(
        tmp_path, "multi", languages=("fr",), source_language="de", revision=2, translates=2
    )
    problems = check_paths([tmp_path])[1]
    assert any("index.it.md" in str(p) and "out of date" in str(p) for p in problems)
    import_paths([tmp_path])
    variants = {v.language: v for v in versions_of("multi")[-1].variants}
    assert {lang: v.is_outdated for lang, v in variants.items()} == {
        "de": False,
        "fr": False,
        "it": True,
    }


def test_a_missing_provider_is_created_and_reported(app, tmp_path):
    make_org()
    write_module(tmp_path, "elsewhere", provider="vs-it")
    report = import_paths([tmp_path])
    assert report.providers_created == ["vs-it"]


def test_refresher_of_links_the_full_module(app):
    make_org()
    import_paths([Path(__file__).resolve().parents[1] / "fixtures" / "courses_good"])
    refresher = db.session.scalar(select(Module).where(Module.slug == "eid-login-refresher"))
    assert refresher.refresher_of is not None and refresher.refresher_of.slug == "eid-login"


def test_a_quiz_that_names_an_unknown_module_refuses_the_whole_import(app, tmp_path):
    make_org()
    write_module(tmp_path / "courses", "alpha")
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    source = (QUIZZES / "confidentialite-quiz.yaml").read_text()
    (quizzes / "confidentialite-quiz.yaml").write_text(source)
    with in_transaction(), pytest.raises(ImportRefused) as refused:
        import_library(
            db.session, [tmp_path / "courses", quizzes], now=now(), major=None, actor=None
        )
    assert any("confidentialite" in str(p) for p in refused.value.problems if p.is_error)
    assert count(Module) == 0


def test_invalid_yaml_in_a_quiz_file_is_named_by_file_and_line(app, tmp_path):
    make_org()
    write_module(tmp_path / "courses", "alpha")
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    (quizzes / "broken-quiz.yaml").write_text("id: broken-quiz\ntitle: [unclosed\n")
    modules, problems = check_paths([tmp_path / "courses", quizzes])
    errors = [str(p) for p in problems if p.is_error]
    assert errors and all(e.startswith(f"{quizzes / 'broken-quiz.yaml'}:") for e in errors)
    with in_transaction(), pytest.raises(ImportRefused):
        import_paths([tmp_path / "courses", quizzes])
    assert count(Module) == 0


def test_a_nul_character_is_refused_with_its_line(app, tmp_path):
    make_org()
    folder = write_module(tmp_path, "with-nul", body="## One\n\nText\x00 here.\n")
    with in_transaction(), pytest.raises(ImportRefused) as refused:
        import_paths([tmp_path])
    file = folder / "index.fr.md"
    assert f"{file}:15: the file contains a NUL character (byte 0): remove it" in [
        str(p) for p in refused.value.problems
    ]
