"""Media files follow the database: staged, moved on commit, deleted on refusal; check-media."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.content.importing import ImportRefused, import_library
from app.content.media_store import STAGING_FOLDER, check_media
from app.content.models import MediaFile, Module
from app.extensions import db
from app.timekeeping.clock import now
from tests.content.builders import (
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


def media_root(app) -> Path:
    """The folder that keeps module media in the test's upload store."""
    return Path(app.config["UPLOAD_PATH"]) / "content"


def all_files(app) -> list[Path]:
    """Every file in the media store, staging included."""
    root = media_root(app)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def media_row(path: str) -> MediaFile:
    """The media row of a path in the module folder."""
    return db.session.scalars(select(MediaFile).where(MediaFile.original_name == path)).one()


def module_with_media(root: Path, slug: str = "alpha") -> Path:
    """A module whose page shows a picture and links a PDF."""
    body = "## Page 1\n\n![A login form](media/login.png)\n\n[Guide](guide.pdf)\n"
    return write_module(
        root,
        slug,
        media={"media/login.png": tiny_png(), "guide.pdf": tiny_pdf()},
        texts={"fr": module_text(slug, body=body)},
    )


def test_an_import_refused_for_a_bad_quiz_leaves_no_file_on_disk(app, tmp_path):
    make_org()
    module_with_media(tmp_path / "courses")
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    # Valid as a file, refused against the database: its module is not in the import.
    source = (QUIZZES / "confidentialite-quiz.yaml").read_text()
    (quizzes / "confidentialite-quiz.yaml").write_text(source)
    with in_transaction(), pytest.raises(ImportRefused):
        import_library(
            db.session, [tmp_path / "courses", quizzes], now=now(), major=None, actor=None
        )
    assert count(Module) == 0 and count(MediaFile) == 0
    assert all_files(app) == []


def test_a_committed_import_moves_its_files_into_place(app, tmp_path):
    make_org()
    module_with_media(tmp_path / "courses")
    import_paths([tmp_path / "courses"])
    names = sorted(p.name for p in all_files(app))
    stored = sorted(db.session.scalars(select(MediaFile.stored_name)))
    assert names == stored and len(names) == 2
    assert all(p.parent == media_root(app) for p in all_files(app))
    assert check_media(db.session, media_root(app), now=now()).is_clean


def test_check_media_reports_orphans_and_missing_files_and_removes_orphans_on_request(
    app, runner, tmp_path
):
    make_org()
    module_with_media(tmp_path / "courses")
    import_paths([tmp_path / "courses"])
    root = media_root(app)
    (root / "left-behind.png").write_bytes(tiny_png())
    stale = root / STAGING_FOLDER / "stale.pdf"
    stale.write_bytes(tiny_pdf())
    missing = db.session.scalars(
        select(MediaFile).where(MediaFile.original_name == "guide.pdf")
    ).one()
    (root / missing.stored_name).unlink()

    later = now() + timedelta(hours=2)  # the staged file is old enough to be an orphan
    check = check_media(db.session, root, now=later)
    assert sorted(p.name for p in check.orphan_files) == ["left-behind.png", "stale.pdf"]
    assert [m.stored_name for m in check.missing_files] == [missing.stored_name]

    result = runner.invoke(args=["content", "check-media"])
    assert result.exit_code == 1, result.output
    assert "left-behind.png: no media row names this file" in result.output
    assert f"file missing for media row {missing.id}" in result.output
    assert (root / "left-behind.png").exists()

    result = runner.invoke(args=["content", "check-media", "--remove-orphans"])
    assert "1 orphan file(s) removed" in result.output, result.output
    assert not (root / "left-behind.png").exists()
    assert stale.exists(), "a recent staged file may belong to a running import: kept"
    assert result.exit_code == 1  # the row without its file is still there


def test_check_media_repair_moves_a_committed_file_left_in_staging(app, runner, tmp_path):
    make_org()
    module_with_media(tmp_path / "courses")
    import_paths([tmp_path / "courses"])
    root = media_root(app)
    media = db.session.scalars(
        select(MediaFile).where(MediaFile.original_name == "guide.pdf")
    ).one()
    # As if the process died between the commit and the move.
    (root / media.stored_name).rename(root / STAGING_FOLDER / media.stored_name)
    result = runner.invoke(args=["content", "check-media"])
    assert "committed but still in the staging folder" in result.output
    assert result.exit_code == 1
    result = runner.invoke(args=["content", "check-media", "--repair"])
    assert result.exit_code == 0, result.output
    assert (root / media.stored_name).exists()
